import { describe, expect, it } from 'vitest';
import type { DecodedBatch, Hello } from '../../shared/protocol.js';
import { HostRegistry } from '../../server/hosts.js';
import { FleetHealth } from '../../server/fleet-health.js';
import { OverviewPush } from '../../server/overview-push.js';
import {
  appendSpark,
  forEachSpark,
  SPARK_BUCKET_MS,
  SPARK_POINTS,
  type HostTile,
  type OverviewFrame,
} from '../../shared/overview.js';

// A bucket boundary, so the test's timestamps fall in the buckets named below.
const START = Math.ceil(1_700_000_000_000 / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;

const hello = (id: string): Hello => ({
  type: 'hello',
  protocol: 2,
  agentId: id,
  session: 's',
  hostname: id,
  agentVersion: 't',
  inventory: null,
});

const batch = (ts: number, util: Record<string, number>): DecodedBatch => ({
  type: 'batch',
  seq: 1,
  ts,
  series: Object.keys(util).map((device) => ({ m: 'disk_util_percent', l: { device } })),
  values: Float64Array.from(Object.values(util)),
});

function tile(over: Partial<HostTile>): HostTile {
  return {
    id: 'db-1',
    hostname: 'db-1',
    connected: true,
    lastSeen: START,
    health: 'ok',
    reason: 'ok',
    reasons: [],
    sets: [],
    worstDisk: 'sda',
    spark: [10, 20],
    sparkEnd: START,
    ...over,
  };
}

/** What a dashboard does with a push (web/src/overview.ts applies the same rules). */
function applyPush(client: Map<string, HostTile>, f: OverviewFrame): void {
  for (const t of f.tiles) client.set(t.id, structuredClone(t));
  if (f.spark) {
    const { values, end } = f.spark;
    forEachSpark(f.spark, (id, from, count) => appendSpark(client.get(id)!, values, end, from, count));
  }
  for (const [id, disk] of Object.entries(f.spark?.disks ?? {})) client.get(id)!.worstDisk = disk;
}

describe('the overview push', () => {
  it('sends nothing when nothing changed, lastSeen aside', () => {
    const push = new OverviewPush();
    push.baseline([tile({})]);
    expect(push.next([tile({ lastSeen: START + 5000 })], START + 5000)).toBeNull();
  });

  it('sends a closed bucket as its point, not as the whole tile; a changed verdict as the whole tile', () => {
    const push = new OverviewPush();
    push.baseline([tile({}), tile({ id: 'db-2', hostname: 'db-2' })]);
    const busy = tile({
      id: 'db-2',
      hostname: 'db-2',
      health: 'warn',
      reason: 'disk sda busy (95 % util)',
      reasons: [{ health: 'warn', text: 'disk sda busy (95 % util)' }],
      spark: [10, 20, 95],
      sparkEnd: START + SPARK_BUCKET_MS,
    });
    const f = push.next([tile({ spark: [10, 20, 30], sparkEnd: START + SPARK_BUCKET_MS }), busy], START + 11_000)!;
    expect(f.partial).toBe(true);
    expect(f.tiles).toEqual([busy]);
    expect(f.spark).toEqual({ end: START + SPARK_BUCKET_MS, ids: ['db-1'], counts: [1], values: [30] });
  });

  it('sends every bucket closed since the last push, and a new busiest disk by name', () => {
    const push = new OverviewPush();
    push.baseline([tile({})]);
    const later = tile({ spark: [10, 20, 30, null, 50], sparkEnd: START + 3 * SPARK_BUCKET_MS, worstDisk: 'sdb' });
    const f = push.next([later], START + 31_000)!;
    expect(f.tiles).toEqual([]);
    expect(f.spark).toEqual({
      end: START + 3 * SPARK_BUCKET_MS,
      ids: ['db-1'],
      counts: [3],
      values: [30, null, 50],
      disks: { 'db-1': 'sdb' },
    });
    expect(push.next([later], START + 33_000)).toBeNull();
  });

  it('appends a push’s points once, a skipped bucket as a gap, and keeps SPARK_POINTS at most', () => {
    /** The line after appending, or null when appendSpark said nothing changed; sparkEnd moves with it. */
    const after = (t: HostTile, points: (number | null)[], end: number) => {
      const changed = appendSpark(t, points, end);
      if (changed) expect(t.sparkEnd).toBe(end);
      return changed ? t.spark : null;
    };
    // The same points again (a dashboard that subscribed after the push was computed) add nothing.
    expect(after(tile({}), [30], START)).toBeNull();
    expect(after(tile({}), [30], START + SPARK_BUCKET_MS)).toEqual([10, 20, 30]);
    // Three buckets later with one point: the two buckets between are gaps.
    expect(after(tile({}), [40], START + 3 * SPARK_BUCKET_MS)).toEqual([10, 20, null, null, 40]);
    // Points the tile already has (the first two of three end at or before its sparkEnd) are skipped.
    expect(after(tile({}), [20, 30, 40], START + 2 * SPARK_BUCKET_MS)).toEqual([10, 20, 30, 40]);
    const t = tile({});
    after(t, [30], START + SPARK_BUCKET_MS);
    expect(after(t, [30], START + SPARK_BUCKET_MS)).toBeNull();
    const full = tile({ spark: Array.from({ length: SPARK_POINTS }, (_, i) => i) });
    const next = after(full, [99], START + SPARK_BUCKET_MS)!;
    expect(next).toHaveLength(SPARK_POINTS);
    expect([next[0], next.at(-1)]).toEqual([1, 99]);
    // A tile with no point yet takes the points as sent.
    expect(after(tile({ spark: [], sparkEnd: 0 }), [5], START)).toEqual([5]);
  });

  it('sends several hosts’ points as columns that decode to each host’s own line', () => {
    const push = new OverviewPush();
    const ids = ['db-1', 'db-2', 'db-3'];
    push.baseline(ids.map((id) => tile({ id, hostname: id, spark: [10, 20], sparkEnd: START })));
    // db-1 and db-3 close one bucket (40, 60); db-2 two since its last push (a gap, then 50); nothing else moves.
    const next = [
      tile({ id: 'db-1', hostname: 'db-1', spark: [10, 20, 40], sparkEnd: START + 2 * SPARK_BUCKET_MS }),
      tile({ id: 'db-2', hostname: 'db-2', spark: [10, 20, null, 50], sparkEnd: START + 2 * SPARK_BUCKET_MS }),
      tile({ id: 'db-3', hostname: 'db-3', spark: [10, 20, 60], sparkEnd: START + 2 * SPARK_BUCKET_MS }),
    ];
    // db-1 and db-3 were pushed at START + 10 s (so one new point each); db-2 not since START.
    push.baseline([
      tile({ id: 'db-1', hostname: 'db-1', spark: [10, 20], sparkEnd: START + SPARK_BUCKET_MS }),
      tile({ id: 'db-3', hostname: 'db-3', spark: [10, 20], sparkEnd: START + SPARK_BUCKET_MS }),
    ]);
    const f = push.next(next, START + 21_000)!;
    expect(f.tiles).toEqual([]);
    expect(f.spark).toEqual({
      end: START + 2 * SPARK_BUCKET_MS,
      ids: ['db-1', 'db-2', 'db-3'],
      counts: [1, 2, 1],
      values: [40, null, 50, 60],
    });
    // A dashboard that had [10, 20] ending at the baselines appends the same points.
    const client = new Map<string, HostTile>([
      ['db-1', tile({ id: 'db-1', spark: [10, 20], sparkEnd: START + SPARK_BUCKET_MS })],
      ['db-2', tile({ id: 'db-2', spark: [10, 20], sparkEnd: START })],
      ['db-3', tile({ id: 'db-3', spark: [10, 20], sparkEnd: START + SPARK_BUCKET_MS })],
    ]);
    applyPush(client, f);
    expect(client.get('db-1')!.spark).toEqual([10, 20, 40]);
    expect(client.get('db-2')!.spark).toEqual([10, 20, null, 50]);
    expect(client.get('db-3')!.spark).toEqual([10, 20, 60]);
  });

  it('ignores a points push whose columns disagree in length', () => {
    const seen: string[] = [];
    const each = (id: string, from: number, count: number) => seen.push(`${id} ${from} ${count}`);
    forEachSpark({ end: START, ids: ['a', 'b'], counts: [1], values: [1] }, each);
    forEachSpark({ end: START, ids: ['a', 'b'], counts: [1, 2], values: [1, 2] }, each);
    expect(seen).toEqual([]);
    forEachSpark({ end: START, ids: ['a', 'b'], counts: [1, 2], values: [1, 2, 3] }, each);
    expect(seen).toEqual(['a 0 1', 'b 1 2']);
  });

  it('leaves a dashboard with the server’s tiles after every push (FleetHealth end to end)', () => {
    const hosts = new HostRegistry();
    for (const id of ['db-a', 'db-b']) hosts.connected(hello(id), START);
    let now = START;
    const health = new FleetHealth(hosts, () => now);
    const push = new OverviewPush();
    const client = new Map<string, HostTile>();
    const first = health.tiles(now);
    for (const t of first) client.set(t.id, structuredClone(t));
    push.baseline(first);
    // db-a: sdb peaks at 70 in bucket 0, sda at 40 later in it; db-b busy in bucket 2 (a verdict change).
    const script: [number, string, Record<string, number>][] = [
      [1000, 'db-a', { sda: 10, sdb: 70 }],
      [2000, 'db-b', { sda: 50 }],
      [5000, 'db-a', { sda: 40, sdb: 5 }],
      [11_000, 'db-a', { sda: 20, sdb: 1 }],
      [12_000, 'db-b', { sda: 60 }],
      [21_000, 'db-a', { sda: 30, sdb: 2 }],
      [22_000, 'db-b', { sda: 95 }],
      [51_000, 'db-a', { sda: 35, sdb: 3 }],
      [52_000, 'db-b', { sda: 20 }],
    ];
    const frames: OverviewFrame[] = [];
    for (const [at, id, util] of script) {
      now = START + at;
      health.observe(id, batch(now, util));
      hosts.seen(id, now, {});
      const f = push.next(health.tiles(now), now);
      if (f) {
        frames.push(f);
        applyPush(client, f);
      }
      const strip = (t: HostTile) => ({ ...t, lastSeen: null });
      expect([...client.values()].map(strip).sort((x, y) => x.id.localeCompare(y.id))).toEqual(
        health
          .tiles(now)
          .map(strip)
          .sort((x, y) => x.id.localeCompare(y.id)),
      );
    }
    // By hand: db-a's buckets 0..4 are 70 (sdb), 20, 30, gap, gap; db-b's 50, 60, 95, gap, gap.
    const end = health.tiles(now);
    expect(end.find((t) => t.id === 'db-a')).toMatchObject({ spark: [70, 20, 30, null, null], worstDisk: 'sda' });
    expect(end.find((t) => t.id === 'db-b')).toMatchObject({ spark: [50, 60, 95, null, null] });
    // The sparkline of a host whose verdict stayed ok never travelled as a whole tile after the baseline.
    expect(frames.flatMap((f) => f.tiles.map((t) => t.id))).not.toContain('db-a');
  });
});
