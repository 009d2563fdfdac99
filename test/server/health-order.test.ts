/**
 * The order FleetHealth keeps a host's disks and mongod ops in: the order of
 * their first values (a Map's insertion order), whatever the slots' order and
 * however many batches pass between two verdicts. It decides which of two
 * equally busy disks a tile names and the order of a verdict's reasons.
 * Every expectation below is worked out by hand from that rule and from
 * server/health.ts's thresholds (busy from 90 % util; tickets warn from 90 %;
 * 10 operations queued; lock wait from 50 %).
 */
import { describe, expect, it } from 'vitest';
import type { DecodedBatch, Hello, SeriesRef } from '../../shared/protocol.js';
import { HostRegistry } from '../../server/hosts.js';
import { FleetHealth, SPARK_BUCKET_MS, SPARK_POINTS } from '../../server/fleet-health.js';
import { hostReasons } from '../../server/health.js';
import { Gen } from '../helpers/batch-frames.js';

const NOW = 1_700_000_000_000;
const START = Math.ceil(NOW / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;
const mongodUp = { up: true, uri: 'u', version: '7', gauges: null, figures: null, discarded: null, missing: [] };

/** One connected host 'db-a' with mongod up; `feed` stores a batch as the server's ingestion does. */
function rig() {
  const hosts = new HostRegistry();
  const hello: Hello = {
    type: 'hello',
    protocol: 3,
    agentId: 'db-a',
    session: 's',
    hostname: 'db-a',
    agentVersion: 't',
    inventory: null,
  };
  hosts.connected(hello, NOW);
  let now = NOW;
  const health = new FleetHealth(hosts, () => now);
  hosts.seen('db-a', NOW, { stateKinds: ['mongod'], states: [{ kind: 'mongod', key: 'status', value: mongodUp }] });
  return {
    feed: (at: number, series: SeriesRef[], values: number[]) => {
      now = START + at;
      const b: DecodedBatch = { type: 'batch', seq: 1, ts: now, series, values: Float64Array.from(values) };
      hosts.seen('db-a', now, b);
      health.observe('db-a', b);
    },
    tile: (at: number) => {
      now = START + at;
      const t = health.tile(hosts.get('db-a')!);
      return { ...t, texts: t.reasons.map((r) => `${r.health}: ${r.text}`) };
    },
    host: () => hosts.get('db-a')!,
  };
}

const util = (device: string): SeriesRef => ({ m: 'disk_util_percent', l: { device } });
const tickets = (op: string, instance: string): SeriesRef => ({
  m: 'mongod_tickets_util_percent',
  l: { op, instance },
});
const lock = (instance: string): SeriesRef => ({ m: 'mongod_lock_percent', l: { type: 'wait', instance } });

describe('FleetHealth keeps the order of first values', () => {
  it('places a disk at its first value, not at its slot, and names the first of equally busy disks', () => {
    const { feed, tile } = rig();
    const shape = [util('sda'), util('sdb'), util('sdc')];
    // sdc has a value first, then sdb, then sda: the order is sdc, sdb, sda.
    feed(1000, shape, [NaN, NaN, 95]);
    feed(2000, shape, [NaN, 95, 95]);
    feed(3000, shape, [95, 95, 95]);
    expect(tile(3000)).toMatchObject({
      reason: 'disk sdc busy (95 % util) (+2 more)',
      texts: ['warn: disk sdc busy (95 % util)', 'warn: disk sdb busy (95 % util)', 'warn: disk sda busy (95 % util)'],
    });
    // Bucket 1: sda and sdb at 97, sdc at 96; of the two at 97 sdb comes first.
    feed(11_000, shape, [97, 97, 96]);
    expect(tile(20_000)).toMatchObject({ spark: [95, 97], worstDisk: 'sdb' });
  });

  it('keeps what an older series array fed, in its place, after a new hello brings another', () => {
    const { feed, tile } = rig();
    const first = [util('sda'), util('sdb'), { m: 'mongod_queued', l: { op: 'total' } }];
    feed(1000, first, [50, 95, 12]);
    // No verdict asked in between. The new array drops sdb and the queue and brings sdc (placed after sdb).
    const second = [util('sdc'), util('sda'), tickets('write', 'a')];
    feed(2000, second, [95, 95, 91]);
    // Bucket 1: sdb's 95 stays as it was; sdc also at 95, but sdb comes first.
    feed(11_000, second, [95, 80, NaN]);
    expect(tile(20_000)).toMatchObject({
      spark: [95, 95],
      worstDisk: 'sdb',
      texts: [
        'warn: disk sdb busy (95 % util)',
        'warn: disk sdc busy (95 % util)',
        'warn: mongod write tickets 91 %',
        'warn: mongod 12 operations queued',
      ],
    });
    // Bucket 2: sda back at 95 ties with sdb's 95 and sdc's 95, and sda comes first of the three.
    feed(21_000, second, [NaN, 95, NaN]);
    expect(tile(30_000)).toMatchObject({ spark: [95, 95, 95], worstDisk: 'sda' });
  });

  it('gives two slots of one key the later non-null value, in the place of its first value', () => {
    const { feed, tile } = rig();
    // Two mongods: each op twice, the lock wait twice.
    const shape = [tickets('read', 'a'), tickets('write', 'a'), tickets('read', 'b'), tickets('write', 'b')];
    shape.push(lock('a'), lock('b'));
    feed(1000, shape, [NaN, 10, 80, 92, 60, 70]);
    feed(2000, shape, [95, 10, NaN, 92, NaN, NaN]);
    // write had a value first (a's 10), read next (b's 80, then a's 95); the lock wait is b's 70, kept through two nulls.
    expect(tile(2000).texts).toEqual([
      'warn: mongod write tickets 92 %',
      'warn: mongod read tickets 95 %',
      'warn: mongod lock wait 70 %',
    ]);
    feed(3000, shape, [99, 93, 91, NaN, 55, NaN]);
    expect(tile(3000).texts).toEqual([
      'warn: mongod write tickets 93 %',
      'warn: mongod read tickets 91 %',
      'warn: mongod lock wait 55 %',
    ]);
  });

  it('takes the latest of several batches between two verdicts', () => {
    const { feed, tile } = rig();
    const sda = [
      { m: 'disk_saturated', l: { device: 'sda' } },
      util('sda'),
      { m: 'disk_aqu_sz', l: { device: 'sda' } },
    ];
    feed(1000, sda, [1, 50, 3]);
    feed(2000, sda, [0, 60, NaN]);
    feed(3000, sda, [1, NaN, 7]);
    expect(tile(3000).texts).toEqual(['bad: disk sda saturated (queue 7, 60 % util)']);
    feed(4000, sda, [0, 99, NaN]);
    feed(5000, sda, [NaN, NaN, NaN]);
    expect(tile(5000).texts).toEqual(['warn: disk sda busy (99 % util)']);
  });
});

/** The way of the code before cells, a Map.set per slot and batch, as the reference for the random runs below. */
class Reference {
  readonly g = {
    saturated: new Set<string>(),
    diskUtil: new Map<string, number>(),
    diskAqu: new Map<string, number>(),
    tickets: new Map<string, number>(),
    queued: null as number | null,
    lockPercent: null as number | null,
  };
  readonly spark: (number | null)[] = [];
  private bucket = 0;
  private max: number | null = null;
  private disk: string | null = null;
  private named: string | null = null;

  observe(b: DecodedBatch): void {
    const g = this.g;
    b.series.forEach(({ m, l }, i) => {
      const v = b.values[i]!;
      if (Number.isNaN(v)) return;
      if (m === 'disk_saturated') {
        if (v >= 1) g.saturated.add(l?.device ?? '');
        else g.saturated.delete(l?.device ?? '');
      } else if (m === 'disk_util_percent') g.diskUtil.set(l?.device ?? '', v);
      else if (m === 'disk_aqu_sz') g.diskAqu.set(l?.device ?? '', v);
      else if (m === 'mongod_tickets_util_percent') g.tickets.set(l?.op ?? '', v);
      else if (m === 'mongod_queued' && l?.op === 'total') g.queued = v;
      else if (m === 'mongod_lock_percent') g.lockPercent = v;
    });
    this.closeBuckets(b.ts);
    let worst: string | null = null;
    let worstUtil = -1;
    for (const [d, u] of g.diskUtil) if (u > worstUtil) [worst, worstUtil] = [d, u];
    if (worst !== null && worstUtil > (this.max ?? -1)) [this.max, this.disk] = [worstUtil, worst];
  }

  /** Steps are a few seconds here, so no gap needs skipping. */
  closeBuckets(ts: number): void {
    const bucket = Math.floor(ts / SPARK_BUCKET_MS);
    if (this.bucket === 0) this.bucket = bucket;
    for (; this.bucket < bucket; this.bucket++) {
      this.spark.push(this.max === null ? null : Math.round(this.max));
      if (this.max !== null) this.named = this.disk;
      this.max = null;
    }
  }

  worstDisk(): string | null {
    return this.named ?? this.disk;
  }
}

describe('FleetHealth against a Map.set per slot and batch', () => {
  const pool: SeriesRef[] = [
    ...['sda', 'sdb', 'sdc', 'sdd'].map(util),
    ...['sda', 'sdb'].map((device) => ({ m: 'disk_aqu_sz', l: { device } })),
    ...['sda', 'sdb', 'sdc'].map((device) => ({ m: 'disk_saturated', l: { device } })),
    ...['a', 'b'].flatMap((i) => [tickets('read', i), tickets('write', i), lock(i)]),
    ...['total', 'read'].map((op) => ({ m: 'mongod_queued', l: { op } })),
    { m: 'cpu_user_percent' },
  ];
  const figures = [NaN, NaN, -1, -0, 0, 1, 50, 89, 90, 95, 95, 100, 120];

  it.each([1, 2, 3, 4, 5])('gives the same tiles over 400 random batches, new arrays and ties (seed %i)', (seed) => {
    const gen = new Gen(seed);
    const { feed, tile, host } = rig();
    const ref = new Reference();
    const newShape = () => Array.from({ length: 1 + gen.int(10) }, () => gen.pick(pool));
    let shape = newShape();
    let at = 1000;
    for (let step = 0; step < 400; step++, at += 1000 + gen.int(3) * 1000) {
      if (gen.chance(0.05)) shape = newShape();
      const values = shape.map(() => gen.pick(figures));
      feed(at, shape, values);
      ref.observe({ type: 'batch', seq: 1, ts: START + at, series: shape, values: Float64Array.from(values) });
      if (!gen.chance(0.2)) continue;
      const t = tile(at);
      ref.closeBuckets(START + at);
      expect(t.reasons).toEqual(hostReasons(host(), ref.g, START + at));
      expect(t.spark).toEqual(ref.spark.slice(-SPARK_POINTS));
      expect(t.worstDisk).toBe(ref.worstDisk());
    }
  });
});
