import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { HostSummary } from '../../../shared/protocol.js';
import { SqliteStore } from '../../../server/store/sqlite.js';
import { HistoryWriter } from '../../../server/store/history-writer.js';
import { SCHEMA, openHistoryDb } from '../../../server/store/schema.js';
import { ChunkEncoder } from '../../../server/store/chunk-codec.js';
import { readWalBlock } from '../../../server/store/wal-block.js';
import { appendSamples } from '../../../server/store/store.js';
import { createLogger } from '../../../shared/log.js';
import { REPO, getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';
import { PROCFS } from '../../helpers/fixtures.js';
import { frameText } from '../../../shared/frame-text.js';

const HOUR = 3_600_000;
/** A read-only connection of the test's own, for looking at what a store wrote (the store has no public handle). */
const readOnly = (file: string) => new Database(file, { readonly: true });
const countOf = (file: string, sql: string, ...args: unknown[]) => {
  const db = readOnly(file);
  try {
    return (db.prepare(sql).get(...args) as { n: number }).n;
  } finally {
    db.close();
  }
};
/** The start of the hour `hours` ago: inside raw retention whatever today's date is. */
const hoursAgo = (hours: number) => Math.floor(Date.now() / HOUR) * HOUR - hours * HOUR;

describe('SQLite history', () => {
  it('rollups match the raw samples, replays do not count twice, and both survive reopening', async () => {
    const file = path.join(tempDir(), 'h.db');
    let store = new SqliteStore({ file });
    const t0 = hoursAgo(4);
    const value = (i: number) => ((i * 37) % 101) - 20 + (i % 7) / 4; // an irregular signal, negatives included
    for (let i = 0; i < 3 * 3600; i++)
      appendSamples(store, 'db1', t0 + i * 1000, [{ m: 'disk_aqu_sz', l: { device: 'sda' }, v: value(i) }]);
    // a replayed stretch (same timestamps again) must not change any rollup
    for (let i = 100; i < 200; i++)
      appendSamples(store, 'db1', t0 + i * 1000, [{ m: 'disk_aqu_sz', l: { device: 'sda' }, v: value(i) }]);
    store.flush();
    await store.close();
    store = new SqliteStore({ file });

    const raw = store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' }).map(([ts, value]) => ({ ts, value: value! }));
    expect(raw).toHaveLength(3 * 3600);
    expect(raw.map((r) => r.value)).toEqual(Array.from({ length: 3 * 3600 }, (_, i) => value(i)));
    const expected = (bucketMs: number) => {
      const out = new Map<number, number[]>();
      for (const r of raw) {
        const b = r.ts - (r.ts % bucketMs);
        (out.get(b) ?? out.set(b, []).get(b)!).push(r.value);
      }
      return [...out].map(([ts, vs]) => ({
        ts,
        min: Math.min(...vs),
        max: Math.max(...vs),
        avg: vs.reduce((a, b) => a + b, 0) / vs.length,
        last: vs[vs.length - 1]!,
        count: vs.length,
      }));
    };
    for (const [table, bucket] of [
      ['rollup_1m', 60_000],
      ['rollup_1h', HOUR],
    ] as const) {
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
    for (let ts = start; ts <= now; ts += 1000)
      appendSamples(store, 'db1', ts, [{ m: 'disk_util_percent', l: { device: 'sda' }, v: (ts / 1000) % 100 }]);
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
    expect(store.resolutionFor(now - HOUR, now)).toEqual({ table: 'raw', stepMs: 2000 });
    expect(store.resolutionFor(now - 300 * 24 * HOUR, now).table).toBe('rollup_1h');
    await store.close();
  });

  it('prunes raw samples past retention and keeps the rollups', async () => {
    const file = path.join(tempDir(), 'p.db');
    const store = new SqliteStore({ file, rawRetentionMs: HOUR });
    const now = Date.now();
    for (let ts = now - 3 * HOUR; ts <= now; ts += 10_000)
      appendSamples(store, 'db1', ts, [{ m: 'disk_in_flight', l: { device: 'sda' }, v: 1 }]);
    store.sealAll();
    store.pruneSome(now);
    // Whole chunks go: none that ends before the cut-off is left, and what is left reaches back to it (a chunk spans at most 10 min).
    const raw = store.rawSamples('db1', 'disk_in_flight', { device: 'sda' });
    expect(raw[0]![0]).toBeLessThan(now - HOUR + 10 * 60_000);
    expect(raw[0]![0]).toBeGreaterThanOrEqual(now - HOUR - 10 * 60_000);
    expect(countOf(file, 'SELECT count(*) AS n FROM chunks WHERE end_ts < ?', now - HOUR)).toBe(0);
    expect(store.rollups('rollup_1m', 'db1', 'disk_in_flight', { device: 'sda' }).length).toBeGreaterThanOrEqual(180);
    await store.close();
  });

  it('keeps each agent session’s last sequence across a restart, committed with its batch', async () => {
    const file = path.join(tempDir(), 's.db');
    const a = new SqliteStore({ file });
    appendSamples(a, 'db1', 1000, [{ m: 'disk_in_flight', v: 1 }]);
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
    const { base, port, start } = await serverProcess();
    server = await start();
    agent = runCli(
      [
        'agent',
        '--server',
        `ws://127.0.0.1:${port}`,
        '--agent-id',
        'db1',
        '--interval-ms',
        '250',
        '--root',
        path.join(PROCFS, 'prometheus-procfs'),
      ],
      { TIDEMARK_TOKEN: 't' },
    );
    await until(
      async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.stats.batches >= 8),
      15_000,
      'eight batches',
    );
    await agent.stop();
    // Once the server has seen the agent go, no batch is still on its way to change the snapshot below.
    await until(
      async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db1' && !h.connected),
      10_000,
      'the server to see the agent go',
    );
    const before = await getJson<{ series: { points: [number, number][] }[] }>(
      `${base}/api/series?host=db1&metric=raid_disks_missing&array=md6&from=now-5m`,
    );
    expect(before.series[0]!.points.length).toBeGreaterThanOrEqual(8);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const families = parsePrometheusTextFormat(metrics) as {
      name: string;
      help: string;
      type: string;
      metrics: { value: string; labels: Record<string, string> }[];
    }[];
    const missing = families.find((f) => f.name === 'tidemark_raid_disks_missing')!;
    expect(missing.type).toBe('GAUGE');
    expect(missing.help).toMatch(/Unit: disks\.$/);
    expect(missing.metrics.find((m) => m.labels.array === 'md6')).toEqual({
      value: '1',
      labels: { array: 'md6', host: 'db1' },
    });
    expect(
      families
        .find((f) => f.name === 'tidemark_io_pressure_avg60_percent')!
        .metrics.find((m) => m.labels.kind === 'full')!.value,
    ).toBe('3');

    await server.stop();
    server = await start();
    const after = await getJson<{ series: { points: [number, number][] }[] }>(
      `${base}/api/series?host=db1&metric=raid_disks_missing&array=md6&from=now-5m`,
    );
    expect(after.series[0]!.points).toEqual(before.series[0]!.points);
    // the restarted server still lists the host, disconnected, last seen at its newest sample
    const host = (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db1')!;
    expect(host).toMatchObject({ connected: false, lastSeen: after.series[0]!.points.at(-1)![0] });
  });
});

describe('a server killed with SIGKILL', () => {
  let server: Running | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('loses no acknowledged sample: the write-ahead log is replayed at the next start', async () => {
    const { base, port, start } = await serverProcess();
    server = await start();

    // A protocol-2 agent by hand: 40 one-second batches, each acknowledged (so on disk) before the kill.
    const t0 = Date.now() - 120_000;
    const value = (i: number) => Math.round(1000 * Math.sin(i / 3)) / 7; // not a compressible constant
    const agent = async (batches: { seq: number; frame: object }[]) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
      const acks: number[] = [];
      let welcome: { lastSeq: number } | undefined;
      ws.on('message', (d) => {
        const m = JSON.parse(frameText(d));
        if (m.type === 'welcome') welcome = m;
        if (m.type === 'ack') acks.push(m.seq);
      });
      await new Promise((r) => ws.once('open', r));
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: 2,
          agentId: 'crash1',
          session: 'sess-1',
          hostname: 'crash1',
          agentVersion: 't',
          inventory: null,
          series: [['disk_aqu_sz', { device: 'sda' }]],
        }),
      );
      await until(() => welcome, 5000, 'welcome');
      for (const b of batches) ws.send(JSON.stringify(b.frame));
      if (batches.length) await until(() => acks.includes(batches.at(-1)!.seq), 10_000, 'the last ack');
      ws.close();
      return welcome!;
    };
    const batch = (i: number) => ({
      seq: i + 1,
      frame: {
        type: 'batch',
        seq: i + 1,
        ts: t0 + i * 1000,
        ...(i === 0 ? { defs: [[1, 'mongod_up']] } : {}),
        v: Buffer.from(new Float64Array([value(i), i % 2]).buffer).toString('base64'),
      },
    });
    const w1 = await agent(Array.from({ length: 40 }, (_, i) => batch(i)));
    expect(w1.lastSeq).toBe(0);

    expect(await server.stop('SIGKILL')).toBe(null);
    server = await start();
    // The session's sequence survived with its samples: a reconnecting agent is told to resume after 40.
    const w2 = await agent([]);
    expect(w2.lastSeq).toBe(40);
    const got = await getJson<{ series: { points: [number, number][] }[] }>(
      `${base}/api/series?host=crash1&metric=disk_aqu_sz&from=${t0}&to=${t0 + 60_000}`,
    );
    expect(got.series[0]!.points).toEqual(Array.from({ length: 40 }, (_, i) => [t0 + i * 1000, value(i)]));
    const up = await getJson<{ series: { points: [number, number][] }[] }>(
      `${base}/api/series?host=crash1&metric=mongod_up&from=${t0}&to=${t0 + 60_000}`,
    );
    expect(up.series[0]!.points.map((p) => p[1])).toEqual(Array.from({ length: 40 }, (_, i) => i % 2));
  });
});

describe('a store process killed between chunk writes', () => {
  it('comes back with every committed sample, stored chunks and replayed log together, and right rollups', async () => {
    const file = path.join(tempDir(), 'k.db');
    const t0 = hoursAgo(2);
    // 1000 samples: the first 600 are sealed into a chunk (the count cap), the last 400 only in the log.
    // The child waits past one maintenance pass (which trims the log) before it is killed.
    const script = `
      import { SqliteStore } from ${JSON.stringify(path.join(REPO, 'dist/server/store/sqlite.js'))};
      const store = new SqliteStore({ file: ${JSON.stringify(file)} });
      const id = store.seriesId('db1', 'disk_aqu_sz', { device: 'sda' });
      for (let i = 0; i < 1000; i++) store.appendValues(${t0} + i * 1000, [id], [i % 13 === 0 ? null : (i * 37) % 101 - 20.25]);
      await store.whenDurable();
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1500);
    `;
    const scriptFile = path.join(tempDir(), 'crash.mjs');
    writeFileSync(scriptFile, script);
    const child = spawn(process.execPath, [scriptFile], { stdio: 'inherit' });
    const signal = await new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGKILL');

    const store = new SqliteStore({ file });
    const expected = Array.from({ length: 1000 }, (_, i): [number, number | null] => [
      t0 + i * 1000,
      i % 13 === 0 ? null : ((i * 37) % 101) - 20.25,
    ]);
    expect(countOf(file, 'SELECT count(*) AS n FROM chunks')).toBe(1);
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' })).toEqual(expected);
    store.sealAll();
    const minutes = new Map<number, number[]>();
    for (const [ts, v] of expected)
      if (v !== null)
        (minutes.get(ts - (ts % 60_000)) ?? minutes.set(ts - (ts % 60_000), []).get(ts - (ts % 60_000))!).push(v);
    const got = store.rollups('rollup_1m', 'db1', 'disk_aqu_sz', { device: 'sda' });
    expect(got.map((r) => [r.ts, r.min, r.max, r.count, r.last])).toEqual(
      [...minutes].map(([ts, vs]) => [ts, Math.min(...vs), Math.max(...vs), vs.length, vs.at(-1)]),
    );
    await store.close();
  });
});

describe('a store whose writes fail', () => {
  it('keeps everything pending, acknowledges nothing, and writes it all once the disk works again', async () => {
    const lines: string[] = [];
    const log = createLogger('warn', 'test', (l) => lines.push(l));
    const file = path.join(tempDir(), 'f.db');
    const store = new SqliteStore({ file, log, commitIntervalMs: 20 });
    // A second connection of the test's own, to break and mend the schema under the store.
    const other = openHistoryDb(file);
    const id = store.seriesId('db1', 'disk_in_flight', { device: 'sda' });
    store.flush();
    // Take the log table away under the store: every commit now fails, as on a full or broken disk.
    other.exec('ALTER TABLE wal_block RENAME TO wal_away');
    store.appendValues(1000, [id], [1]);
    store.setLastSeq('db1', 's', 1);
    let durable = false;
    void store.whenDurable().then(() => (durable = true));
    await until(() => store.failure, 5000, 'the failure to be seen');
    expect(store.failure).toMatch(/no such table: wal_block/);
    store.appendValues(2000, [id], [2]);
    // The time is the point: retries come every 1 s, so 1.2 s holds at least one, and it must still fail quietly.
    await new Promise((r) => setTimeout(r, 1200));
    expect(durable).toBe(false);
    expect(lines.filter((l) => /writing history failed/.test(l))).toHaveLength(1); // said once, not once per retry
    other.exec('ALTER TABLE wal_away RENAME TO wal_block');
    await until(() => durable, 5000, 'the retry to succeed');
    // The retry carries the failed commit; the sample appended during the outage may follow in the next one.
    await store.whenDurable();
    expect(store.failure).toBe(null);
    expect(store.lastSeq('db1', 's')).toBe(1);
    expect(store.rawSamples('db1', 'disk_in_flight', { device: 'sda' })).toEqual([
      [1000, 1],
      [2000, 2],
    ]);
    // One block per commit; the batches in them, in order, are what was appended.
    const logged = (
      other.prepare('SELECT id, last_id, n, batches, data FROM wal_block ORDER BY id').all() as Parameters<
        typeof readWalBlock
      >[0][]
    ).flatMap((row) => readWalBlock(row).batches.map(({ ts, n }) => ({ ts, n })));
    other.close();
    expect(logged).toEqual([
      { ts: 1000, n: 1 },
      { ts: 2000, n: 1 },
    ]);
    // What the retry wrote is what was appended: a second store on the file (as after a crash) replays the same samples.
    const replayed = new SqliteStore({ file });
    expect(replayed.rawSamples('db1', 'disk_in_flight', { device: 'sda' })).toEqual([
      [1000, 1],
      [2000, 2],
    ]);
    await replayed.close();
    await store.close();
  });
});

describe('the history writer', () => {
  it('applies a commit once, even when it is sent again after it landed', () => {
    const db = openHistoryDb(path.join(tempDir(), 'w.db'));
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR });
    const enc = new ChunkEncoder();
    for (let i = 0; i < 3; i++) enc.push(60_000 + i * 1000, i + 0.5);
    const chunk = enc.bytes();
    const walBytes = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]); // series 1 (zigzag 2), then 1.5
    const batch = {
      seq: 1,
      series: [[1, 'db1\u0000m', 'db1', 'm', '{}']] as [number, string, string, string, string][],
      wal: new Float64Array([7, 60_000, 1, 0, walBytes.length]),
      walBytes,
      chunks: new Float64Array([1, 60_000, 62_000, 3, 0, chunk.length]),
      chunkBytes: chunk,
      seqs: [['db1', 's', 5]] as [string, string, number][],
      trimWalBelow: 0,
      samples: 1,
    };
    writer.commit(batch);
    writer.commit(batch); // as a replacement writer thread would get it
    const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect([count('series'), count('wal_block'), count('chunks'), count('rollup_1m')]).toEqual([1, 1, 1, 1]);
    expect(db.prepare('SELECT min, max, sum, count, last FROM rollup_1m').get()).toEqual({
      min: 0.5,
      max: 2.5,
      sum: 4.5,
      count: 3,
      last: 2.5,
    });
    expect(() => writer.commit({ ...batch, seq: 2 })).toThrow(/UNIQUE|PRIMARY KEY/); // a different commit with the same rows is refused, not merged
    db.close();
  });
});

describe('a database written before chunks', () => {
  it('has its row-per-sample table turned into chunks at the first start, every value kept', async () => {
    const file = path.join(tempDir(), 'old.db');
    // The layout of the previous release: one row per sample in `samples`.
    const old = openHistoryDb(file);
    old.exec(`
      CREATE TABLE series (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, host TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL);
      CREATE TABLE samples (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
    `);
    old
      .prepare('INSERT INTO series VALUES (1, ?, ?, ?, ?)')
      .run('db1\u0000disk_aqu_sz{device="sda"}', 'db1', 'disk_aqu_sz', '{"device":"sda"}');
    const t0 = hoursAgo(3);
    const expected: [number, number | null][] = Array.from({ length: 1500 }, (_, i) => [
      t0 + i * 1000,
      i % 11 === 0 ? null : i / 4,
    ]);
    const insert = old.prepare('INSERT INTO samples VALUES (1, ?, ?)');
    old.transaction(() => expected.forEach(([ts, v]) => insert.run(ts, v)))();
    old.close();

    const store = new SqliteStore({ file });
    expect(countOf(file, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'samples'")).toBe(0);
    expect(countOf(file, 'SELECT count(*) AS n FROM chunks')).toBe(3); // 600 + 600 + 300
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' })).toEqual(expected);
    await store.close();
  });
});
