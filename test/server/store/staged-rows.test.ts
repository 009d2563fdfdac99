import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Appender } from '../../../server/store/appender.js';
import { WAL_FIELDS } from '../../../server/store/history-writer.js';
import { SqliteStore } from '../../../server/store/sqlite.js';
import { STAGED_ROWS } from '../../../server/store/staged-rows.js';
import { REPO, tempDir } from '../../helpers/process.js';

// The store stages a batch as a row of its shape's block when it sees the same ids array again (a steady
// session's batches share one), so every test here appends through one array per shape, as a session does.

const HOUR = 3_600_000;
/** The start of the hour `hours` ago: inside raw retention whatever today's date is. */
const hoursAgo = (hours: number) => Math.floor(Date.now() / HOUR) * HOUR - hours * HOUR;
const countOf = (file: string, sql: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

function openStore(clock?: { now: number }) {
  const file = path.join(tempDir(), 'staged.db');
  const store = new SqliteStore({ file, ...(clock ? { now: () => clock.now } : {}) });
  const id = (device: string) => store.seriesId('db1', 'disk_util_percent', { device });
  const raw = (device: string) => store.rawSamples('db1', 'disk_util_percent', { device });
  return { file, store, id, raw };
}

/** An appender alone, knowing series `known` (room made for them), with a chunk age and a clock. */
function appenderFor(known: number[], chunkAgeMs: number, now: () => number = () => 0): Appender {
  const a = new Appender(0, {
    now,
    chunkAgeMs,
    commitSamples: 1000,
    isSeries: (id) => known.includes(id),
    onPending: () => {},
  });
  a.ensure(Math.max(...known) + 1);
  return a;
}

describe('staged rows (batches of a steady shape, into the heads a block at a time)', () => {
  it('a query between appends sees every staged sample, exactly, nulls included', async () => {
    const { store, id, raw } = openStore();
    const t0 = hoursAgo(1);
    const ids = [id('sda'), id('sdb')];
    store.appendValues(t0, ids, [1.5, -2]);
    store.appendValues(t0 + 1000, ids, [null, 0.1 + 0.2]);
    store.appendValues(t0 + 2000, ids, new Float64Array([1e300, NaN]));
    expect(raw('sda')).toEqual([
      [t0, 1.5],
      [t0 + 1000, null],
      [t0 + 2000, 1e300],
    ]);
    // Appends after the query (the series was read in between) and a query through the public interface.
    store.appendValues(t0 + 3000, ids, [4, 5]);
    store.appendValues(t0 + 4000, ids, [6, -0]);
    const points = store.query({
      host: 'db1',
      metric: 'disk_util_percent',
      labels: { device: 'sdb' },
      from: t0,
      to: t0 + 4000,
    });
    expect(points[0]!.points).toEqual([
      [t0, -2],
      [t0 + 1000, 0.30000000000000004],
      [t0 + 2000, null],
      [t0 + 3000, 5],
      [t0 + 4000, -0],
    ]);
    expect(raw('sda').map(([ts]) => ts)).toEqual([t0, t0 + 1000, t0 + 2000, t0 + 3000, t0 + 4000]);
    const latest = [...store.latest()].map((l) => [l.labels.device, l.ts, l.value]);
    expect(latest).toEqual([
      ['sda', t0 + 4000, 6],
      ['sdb', t0 + 4000, -0],
    ]);
    await store.close();
  });

  it('keeps every sample of blocks that fill and start again', async () => {
    const { store, id, raw } = openStore();
    const t0 = hoursAgo(1);
    const ids = [id('sda'), id('sdb'), id('sdc')];
    // Two and a half blocks' worth; values i/4 - 3 (sda), -i (sdb), null every 5th else i * 1e-3 (sdc).
    const n = 2 * STAGED_ROWS + 7;
    for (let i = 0; i < n; i++) store.appendValues(t0 + i * 1000, ids, [i / 4 - 3, -i, i % 5 === 0 ? null : i * 1e-3]);
    const ts = (i: number) => t0 + i * 1000;
    expect(raw('sda')).toEqual(Array.from({ length: n }, (_, i) => [ts(i), i / 4 - 3]));
    expect(raw('sdb')).toEqual(Array.from({ length: n }, (_, i) => [ts(i), -i]));
    expect(raw('sdc')).toEqual(Array.from({ length: n }, (_, i) => [ts(i), i % 5 === 0 ? null : i * 1e-3]));
    await store.close();
  });

  it('keeps every sample when a session’s shape changes, in either direction', async () => {
    const { store, id, raw } = openStore();
    const t0 = hoursAgo(1);
    const [a, b, c, d] = [id('sda'), id('sdb'), id('sdc'), id('sdd')];
    const before = [a, b, c];
    const after = [b, c, d]; // a disk gone, one added: sdb and sdc move to another block
    for (let i = 0; i < 3; i++) store.appendValues(t0 + i * 1000, before, [10 + i, 20 + i, 30 + i]);
    for (let i = 3; i < 6; i++) store.appendValues(t0 + i * 1000, after, [20 + i, 30 + i, 40 + i]);
    for (let i = 6; i < 8; i++) store.appendValues(t0 + i * 1000, before, [10 + i, 20 + i, 30 + i]);
    expect(raw('sda')).toEqual([
      [t0, 10],
      [t0 + 1000, 11],
      [t0 + 2000, 12],
      [t0 + 6000, 16],
      [t0 + 7000, 17],
    ]);
    expect(raw('sdb')).toEqual(Array.from({ length: 8 }, (_, i) => [t0 + i * 1000, 20 + i]));
    expect(raw('sdc')).toEqual(Array.from({ length: 8 }, (_, i) => [t0 + i * 1000, 30 + i]));
    expect(raw('sdd')).toEqual([
      [t0 + 3000, 43],
      [t0 + 4000, 44],
      [t0 + 5000, 45],
    ]);
    await store.close();
  });

  it('drops a replayed sample (at or before its series’ newest) whole or in part, as the direct way does', async () => {
    const { store, id, raw } = openStore();
    const t0 = hoursAgo(1);
    const ids = [id('sda'), id('sdb')];
    for (let i = 0; i < 4; i++) store.appendValues(t0 + i * 1000, ids, [i, 100 + i]);
    // A whole batch again (an agent's replay after a reconnect) with other values: dropped.
    store.appendValues(t0 + 2000, ids, [-1, -1]);
    store.appendValues(t0 + 3000, ids, [-1, -1]);
    // sdb alone moves ahead; then the shape's batch of that second keeps only sda's sample.
    store.appendValues(t0 + 4000, [ids[1]!], [555]);
    store.appendValues(t0 + 4000, ids, [4, -1]);
    store.appendValues(t0 + 5000, ids, [5, 105]);
    expect(raw('sda')).toEqual(Array.from({ length: 6 }, (_, i) => [t0 + i * 1000, i]));
    expect(raw('sdb')).toEqual([
      [t0, 100],
      [t0 + 1000, 101],
      [t0 + 2000, 102],
      [t0 + 3000, 103],
      [t0 + 4000, 555],
      [t0 + 5000, 105],
    ]);
    await store.close();
  });

  it('writes the same log rows as the direct way: every kept sample, at append time', () => {
    const a = appenderFor([3, 5], 60_000);
    const ids = [5, 3];
    a.appendValues(1000, ids, [1, 2]);
    a.appendValues(2000, ids, [3, null]); // staged: the shape was seen before
    a.appendValues(2000, ids, [9, 9]); // a replay: no row
    const { wal, walBytes, samples } = a.take();
    expect(samples).toBe(4);
    expect(wal.length).toBe(2 * WAL_FIELDS);
    // Row 2 (log id 2, ts 2000, 2 samples): id 5 as zigzag 10, then 3.0; id delta -2 as zigzag 3, then NaN.
    const [, , , , , id2, ts2, n2, start2, end2] = wal;
    expect([id2, ts2, n2]).toEqual([2, 2000, 2]);
    const row = walBytes.subarray(start2, end2);
    const data = new DataView(row.buffer, row.byteOffset, row.byteLength);
    expect([row[0], data.getFloat64(1, true), row[9], data.getFloat64(10, true)]).toEqual([10, 3, 3, NaN]);
    expect(row.length).toBe(18);
  });

  it('keeps the log row of a staged sample that is in no head yet when the log is trimmed', () => {
    const a = appenderFor([1], 60_000);
    const ids = [1];
    a.appendValues(1000, ids, [1]); // log row 1, into the head
    a.appendValues(2000, ids, [2]); // log row 2, staged
    a.sealAll(); // both into a chunk: no head is open
    a.appendValues(3000, ids, [3]); // log row 3, staged, in no head
    a.refreshTrim();
    // Rows 1 and 2 are in a chunk of this commit; row 3 must stay until its sample is in a chunk too.
    expect(a.take().trimWalBelow).toBe(3);
  });

  it('puts a block into the heads when it is full, or at the first second after a third of the chunk age', () => {
    let now = 0;
    const a = appenderFor([1], 600_000, () => now); // heads due 600–610 s after they start: none is sealed here
    const ids = [1];
    const count = () => a.heads.count[1];
    a.appendValues(1000, ids, [0]); // the shape's first batch: straight into the head
    for (let i = 1; i < STAGED_ROWS; i++) a.appendValues(1000 + i * 1000, ids, [i]);
    expect(count()).toBe(1); // STAGED_ROWS - 1 rows staged
    a.appendValues(1000 + STAGED_ROWS * 1000, ids, [STAGED_ROWS]);
    expect(count()).toBe(1 + STAGED_ROWS); // the block was full
    now = 100_000;
    a.appendValues(200_000, ids, [-1]); // staged at 100 s
    a.sealDue(299_999);
    expect(count()).toBe(1 + STAGED_ROWS); // 199.999 s old: still staged
    a.sealDue(300_000);
    expect(count()).toBe(2 + STAGED_ROWS); // 200 s (a third of the chunk age) old: in the head
  });

  it('takes turns: blocks of shapes that started together go into the heads in different seconds', () => {
    const a = appenderFor([1, 2, 3], 600_000); // nothing is due or old enough here
    // Three sessions of one series each, every batch at the same second; each shape's first batch goes direct.
    const shapes = [[1], [2], [3]];
    const second = (t: number) => shapes.forEach((ids, k) => a.appendValues(1000 * t, ids, [10 * k + t]));
    second(0);
    const inHeads = () => [1, 2, 3].map((id) => a.heads.count[id]);
    // Blocks 0, 1, 2 (made at the second batch): block k goes in when (rows staged ever + k) is a multiple of
    // STAGED_ROWS, so after its STAGED_ROWS - k th row: block 2 first, then 1, then 0 (full).
    for (let t = 1; t <= STAGED_ROWS - 3; t++) second(t);
    expect(inHeads()).toEqual([1, 1, 1]);
    second(STAGED_ROWS - 2); // block 2's turn
    expect(inHeads()).toEqual([1, 1, STAGED_ROWS - 1]);
    second(STAGED_ROWS - 1); // block 1's turn
    expect(inHeads()).toEqual([1, STAGED_ROWS, STAGED_ROWS - 1]);
    second(STAGED_ROWS); // block 0: full
    expect(inHeads()).toEqual([STAGED_ROWS + 1, STAGED_ROWS, STAGED_ROWS - 1]);
    // From then on each takes its turn every STAGED_ROWS rows: block 2 again after STAGED_ROWS more of its rows.
    for (let t = STAGED_ROWS + 1; t < 2 * STAGED_ROWS - 2; t++) second(t);
    expect(inHeads()).toEqual([STAGED_ROWS + 1, STAGED_ROWS, STAGED_ROWS - 1]);
    second(2 * STAGED_ROWS - 2);
    expect(inHeads()).toEqual([STAGED_ROWS + 1, STAGED_ROWS, 2 * STAGED_ROWS - 1]);
  });

  it('lets go of a block unused for 60 s: its shape starts again the direct way', () => {
    let now = 0;
    const a = appenderFor([1], 600_000, () => now); // no head is due here; a block goes in at 200 s old
    const ids = [1];
    const count = () => a.heads.count[1];
    a.appendValues(1000, ids, [1]); // direct
    a.appendValues(2000, ids, [2]); // staged
    a.sealDue(59_999);
    a.appendValues(3000, ids, [3]); // the block is still there (used at 0 s): staged
    expect(count()).toBe(1);
    now = 200_000;
    a.sealDue(now); // 200 s old: into the heads; unused for 60 s: let go
    expect(count()).toBe(3);
    a.appendValues(4000, ids, [4]); // seen afresh: direct
    expect(count()).toBe(4);
    a.appendValues(5000, ids, [5]); // seen twice: staged again
    expect(count()).toBe(4);
  });

  it('seals due heads with their staged samples, and the chunks hold every sample exactly', async () => {
    const clock = { now: hoursAgo(3) };
    const { file, store, id, raw } = openStore(clock);
    const t0 = clock.now;
    const ids = [id('sda'), id('sdb')];
    const value = (i: number, s: number) => (s === 0 ? (i % 60) / 2 : i % 7 === 0 ? null : -i / 8);
    // 200 one-second batches; commits (and so due seals) every 10 s. A head is due 60 s (+ up to 60 s
    // staggered) after its first sample, so most samples are sealed into chunks by the end.
    for (let i = 0; i < 200; i++) {
      clock.now = t0 + i * 1000;
      store.appendValues(clock.now, ids, [value(i, 0), value(i, 1)]);
      if (i % 10 === 9) store.flush();
    }
    await store.whenDurable();
    expect(countOf(file, 'SELECT count(*) AS n FROM chunks')).toBeGreaterThanOrEqual(2);
    for (const [s, device] of ['sda', 'sdb'].entries())
      expect(raw(device)).toEqual(Array.from({ length: 200 }, (_, i) => [t0 + i * 1000, value(i, s)]));
    // Every head sealed and committed: sda's minute rollups are 0, 0.5 … 29.5 (avg 14.75), 60 per minute.
    store.sealAll();
    const minutes = store.rollups('rollup_1m', 'db1', 'disk_util_percent', { device: 'sda' });
    expect(minutes.slice(0, 3).map((m) => [m.ts - t0, m.min, m.max, m.avg, m.count])).toEqual([
      [0, 0, 29.5, 14.75, 60],
      [60_000, 0, 29.5, 14.75, 60],
      [120_000, 0, 29.5, 14.75, 60],
    ]);
    // The last 20 s: 0 … 9.5, avg 4.75.
    expect(minutes.slice(3).map((m) => [m.ts - t0, m.min, m.max, m.avg, m.count])).toEqual([
      [180_000, 0, 9.5, 4.75, 20],
    ]);
    await store.close();
  });

  it('loses nothing staged when the process is killed: the log replays every sample exactly', async () => {
    const file = path.join(tempDir(), 'staged-kill.db');
    const t0 = hoursAgo(1);
    // 2 series, 20 batches through one ids array: the last 3 are staged in a block, in no head, at the kill.
    const script = `
      import { SqliteStore } from ${JSON.stringify(path.join(REPO, 'dist/server/store/sqlite.js'))};
      const store = new SqliteStore({ file: ${JSON.stringify(file)} });
      const ids = ['sda', 'sdb'].map((device) => store.seriesId('db1', 'disk_util_percent', { device }));
      for (let i = 0; i < 20; i++) store.appendValues(${t0} + i * 1000, ids, [i * 1.25, i % 3 ? -i : null]);
      store.flush();
      await store.whenDurable();
      process.kill(process.pid, 'SIGKILL');
    `;
    const scriptFile = path.join(tempDir(), 'staged-crash.mjs');
    writeFileSync(scriptFile, script);
    const child = spawn(process.execPath, [scriptFile], { stdio: 'inherit' });
    expect(await new Promise((r) => child.once('exit', (_code, sig) => r(sig)))).toBe('SIGKILL');
    const store = new SqliteStore({ file });
    const raw = (device: string) => store.rawSamples('db1', 'disk_util_percent', { device });
    expect(raw('sda')).toEqual(Array.from({ length: 20 }, (_, i) => [t0 + i * 1000, i * 1.25]));
    expect(raw('sdb')).toEqual(Array.from({ length: 20 }, (_, i) => [t0 + i * 1000, i % 3 ? -i : null]));
    // After the restart the same shape is staged again and continues where the log left off.
    const ids = ['sda', 'sdb'].map((device) => store.seriesId('db1', 'disk_util_percent', { device }));
    for (let i = 20; i < 23; i++) store.appendValues(t0 + i * 1000, ids, [i * 1.25, -i]);
    expect(raw('sdb').slice(18)).toEqual([
      [t0 + 18_000, null],
      [t0 + 19_000, -19],
      [t0 + 20_000, -20],
      [t0 + 21_000, -21],
      [t0 + 22_000, -22],
    ]);
    await store.close();
  });
});
