import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { HostSummary } from '../../shared/protocol.js';
import { SqliteStore } from '../../server/store/sqlite.js';
import { freePort, getJson, runCli, tempDir, until, type Running } from '../helpers/process.js';
import { PROCFS } from '../helpers/fixtures.js';

const HOUR = 3_600_000;

describe('SQLite history', () => {
  it('rollups match the raw samples, replays do not count twice, and both survive reopening', async () => {
    const file = path.join(tempDir(), 'h.db');
    let store = new SqliteStore({ file });
    const t0 = Date.UTC(2026, 10, 26, 10, 0, 0);
    const value = (i: number) => ((i * 37) % 101) - 20 + (i % 7) / 4; // an irregular signal, negatives included
    for (let i = 0; i < 3 * 3600; i++) store.append('db1', t0 + i * 1000, [{ m: 'disk_aqu_sz', l: { device: 'sda' }, v: value(i) }]);
    // a replayed stretch (same timestamps again) must not change any rollup
    for (let i = 100; i < 200; i++) store.append('db1', t0 + i * 1000, [{ m: 'disk_aqu_sz', l: { device: 'sda' }, v: value(i) }]);
    store.flush();
    await store.close();
    store = new SqliteStore({ file });

    const raw = store.db.prepare('SELECT ts, value FROM samples ORDER BY ts').all() as { ts: number; value: number }[];
    expect(raw).toHaveLength(3 * 3600);
    const expected = (bucketMs: number) => {
      const out = new Map<number, number[]>();
      for (const r of raw) {
        const b = r.ts - (r.ts % bucketMs);
        (out.get(b) ?? out.set(b, []).get(b)!).push(r.value);
      }
      return [...out].map(([ts, vs]) => ({ ts, min: Math.min(...vs), max: Math.max(...vs), avg: vs.reduce((a, b) => a + b, 0) / vs.length, last: vs[vs.length - 1]!, count: vs.length }));
    };
    for (const [table, bucket] of [['rollup_1m', 60_000], ['rollup_1h', HOUR]] as const) {
      const got = store.rollups(table, 'db1', 'disk_aqu_sz', { device: 'sda' });
      const want = expected(bucket);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => {
        const w = want[i]!;
        expect([g.ts, g.min, g.max, g.last, g.count]).toEqual([w.ts, w.min, w.max, w.last, w.count]);
        expect(g.avg).toBeCloseTo(w.avg, 9);
      });
    }
    await store.close();
  });

  it('answers a range with at most about 2000 points, at the finest resolution that fits', async () => {
    const store = new SqliteStore({ file: path.join(tempDir(), 'r.db') });
    const now = Date.now();
    const start = now - 24 * HOUR;
    for (let ts = start; ts <= now; ts += 1000) store.append('db1', ts, [{ m: 'disk_util_percent', l: { device: 'sda' }, v: (ts / 1000) % 100 }]);
    const q = (from: number) => store.query({ host: 'db1', metric: 'disk_util_percent', from, to: now })[0]!.points;
    expect(q(now - 15 * 60_000)).toHaveLength(901); // 15 min of raw 1 s points
    // 6 h: raw rows grouped into 11 s buckets (10.8 s rounded up to whole seconds)
    const six = q(now - 6 * HOUR);
    expect(six.length).toBeLessThanOrEqual(2000);
    expect(six.length).toBeGreaterThan(1900);
    expect(six[1]![0] - six[0]![0]).toBe(11_000);
    const day = q(start);
    expect(day.length).toBeLessThanOrEqual(2000);
    expect(day.length).toBeGreaterThan(1400);
    expect(store.resolutionFor(start, now)).toEqual({ table: 'rollup_1m', stepMs: 60_000 });
    expect(store.resolutionFor(now - 7 * 24 * HOUR, now)).toEqual({ table: 'rollup_1m', stepMs: 360_000 }); // 302.4 s rounded up to whole minutes
    expect(store.resolutionFor(now - HOUR, now)).toEqual({ table: 'samples', stepMs: 2000 });
    expect(store.resolutionFor(now - 300 * 24 * HOUR, now).table).toBe('rollup_1h');
    await store.close();
  });

  it('prunes raw samples past retention and keeps the rollups', async () => {
    const store = new SqliteStore({ file: path.join(tempDir(), 'p.db'), rawRetentionMs: HOUR });
    const now = Date.now();
    for (let ts = now - 3 * HOUR; ts <= now; ts += 10_000) store.append('db1', ts, [{ m: 'disk_in_flight', l: { device: 'sda' }, v: 1 }]);
    store.flush();
    store.pruneSome(now);
    const oldest = (store.db.prepare('SELECT min(ts) AS t FROM samples').get() as { t: number }).t;
    expect(oldest).toBeGreaterThanOrEqual(now - HOUR);
    expect(store.rollups('rollup_1m', 'db1', 'disk_in_flight', { device: 'sda' }).length).toBeGreaterThanOrEqual(180);
    await store.close();
  });

  it('keeps each agent session’s last sequence across a restart, committed with its batch', async () => {
    const file = path.join(tempDir(), 's.db');
    const a = new SqliteStore({ file });
    a.append('db1', 1000, [{ m: 'disk_in_flight', v: 1 }]);
    a.setLastSeq('db1', 'sess', 42);
    expect(a.lastSeq('db1', 'sess')).toBe(42);
    await a.whenDurable();
    await a.close();
    const b = new SqliteStore({ file });
    expect(b.lastSeq('db1', 'sess')).toBe(42);
    expect(b.lastSeq('db1', 'other')).toBe(0);
    await b.close();
  });
});

describe('a real server with its default SQLite store', () => {
  let server: Running;
  let agent: Running;
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('keeps history across a restart and exposes /metrics in the Prometheus text format', async () => {
    const port = await freePort();
    const dataDir = tempDir();
    const base = `http://127.0.0.1:${port}`;
    const start = async () => {
      const s = runCli(['server', '--port', String(port), '--token', 't', '--data-dir', dataDir]);
      await s.waitFor(/dashboard at/);
      return s;
    };
    server = await start();
    agent = runCli(['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'db1', '--interval-ms', '250', '--root', path.join(PROCFS, 'prometheus-procfs')], { TIDEMARK_TOKEN: 't' });
    await until(async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.stats.batches >= 8), 15_000, 'eight batches');
    await agent.stop();
    await new Promise((r) => setTimeout(r, 500));
    const before = await getJson<{ series: { points: [number, number][] }[] }>(`${base}/api/series?host=db1&metric=raid_disks_missing&array=md6&from=now-5m`);
    expect(before.series[0]!.points.length).toBeGreaterThanOrEqual(8);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const families = parsePrometheusTextFormat(metrics) as { name: string; help: string; type: string; metrics: { value: string; labels: Record<string, string> }[] }[];
    const missing = families.find((f) => f.name === 'tidemark_raid_disks_missing')!;
    expect(missing.type).toBe('GAUGE');
    expect(missing.help).toMatch(/Unit: disks\.$/);
    expect(missing.metrics.find((m) => m.labels.array === 'md6')).toEqual({ value: '1', labels: { array: 'md6', host: 'db1' } });
    expect(families.find((f) => f.name === 'tidemark_io_pressure_avg60_percent')!.metrics.find((m) => m.labels.kind === 'full')!.value).toBe('3');

    await server.stop();
    server = await start();
    const after = await getJson<{ series: { points: [number, number][] }[] }>(`${base}/api/series?host=db1&metric=raid_disks_missing&array=md6&from=now-5m`);
    expect(after.series[0]!.points).toEqual(before.series[0]!.points);
    // the restarted server still lists the host, disconnected, last seen at its newest sample
    const host = (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db1')!;
    expect(host).toMatchObject({ connected: false, lastSeen: after.series[0]!.points.at(-1)![0] });
  });
});
