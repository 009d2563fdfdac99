import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkEncoder } from '../../../server/store/chunk-codec.js';
import { HistoryWriter } from '../../../server/store/history-writer.js';
import { SCHEMA, openHistoryDb } from '../../../server/store/schema.js';
import { SqliteStore } from '../../../server/store/sqlite.js';
import { seriesKey } from '../../../shared/series-key.js';
import { tempDir } from '../../helpers/process.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A fixed hour boundary (1_700_002_800_000 / 3_600_000 = 472 223 hours), so buckets do not depend on the date. */
const H = 1_700_002_800_000;

/** A commit of one chunk of series 1 (created in commit 1). */
function chunkCommit(seq: number, samples: [number, number][]) {
  const enc = new ChunkEncoder();
  for (const [ts, v] of samples) enc.push(ts, v);
  const bytes = enc.bytes();
  return {
    seq,
    series: seq === 1 ? [[1, 'db1\u0000m', 'db1', 'm', '{}'] as [number, string, string, string, string]] : [],
    wal: new Float64Array(0),
    walBytes: new Uint8Array(0),
    chunks: new Float64Array([1, enc.firstTs, enc.lastTs, enc.count, 0, bytes.length]),
    chunkBytes: bytes,
    seqs: [],
    trimWalBelow: 0,
    samples: 0,
  };
}

const hourRows = (db: ReturnType<typeof openHistoryDb>) =>
  db.prepare('SELECT ts, min, max, sum, count, last, last_ts FROM rollup_1h ORDER BY ts').all();

describe('hour rollups', () => {
  it('get their row once the series moves on to a later hour; readers take the open hour from its minutes', async () => {
    const file = path.join(tempDir(), 'h.db');
    const store = new SqliteStore({ file, now: () => H + 3 * HOUR, writer: 'inline' });
    const id = store.seriesId('db1', 'm', {});
    // Hour H: 1, 2, 3; hour H+1: 10 (one chunk across the boundary).
    for (const [ts, v] of [
      [H, 1],
      [H + 30 * MINUTE, 2],
      [H + 59 * MINUTE, 3],
      [H + HOUR + 10_000, 10],
    ] as const)
      store.appendValues(ts, [id], [v]);
    store.sealAll();
    const peek = openHistoryDb(file);
    // Only hour H is done: its row; hour H+1 is in the minute table alone.
    expect(hourRows(peek)).toEqual([{ ts: H, min: 1, max: 3, sum: 6, count: 3, last: 3, last_ts: H + 59 * MINUTE }]);
    expect(store.rollups('rollup_1h', 'db1', 'm')).toEqual([
      { ts: H, min: 1, max: 3, avg: 2, last: 3, count: 3 },
      { ts: H + HOUR, min: 10, max: 10, avg: 10, last: 10, count: 1 },
    ]);
    // Hour H+2: 4. Now hour H+1 is done too.
    store.appendValues(H + 2 * HOUR + 5000, [id], [4]);
    store.sealAll();
    expect(hourRows(peek)).toEqual([
      { ts: H, min: 1, max: 3, sum: 6, count: 3, last: 3, last_ts: H + 59 * MINUTE },
      { ts: H + HOUR, min: 10, max: 10, sum: 10, count: 1, last: 10, last_ts: H + HOUR + 10_000 },
    ]);
    // 297 days and 3 hours at 2000 points: 3.57 h a point, so 4-hour buckets of hour rows. H is 472 223 hours after
    // the epoch, 3 hours into its 4-hour bucket: H-3h holds hour H (1, 2, 3: avg 2); H+1h holds H+1 (a row: 10)
    // and H+2 (open, from its minute: 4): (10 + 4) / 2 = 7.
    const from = H - 297 * DAY;
    expect(store.resolutionFor(from, H + 3 * HOUR)).toEqual({ table: 'rollup_1h', stepMs: 4 * HOUR });
    expect(store.query({ host: 'db1', metric: 'm', from, to: H + 3 * HOUR })[0]!.points).toEqual([
      [H - 3 * HOUR, 2],
      [H + HOUR, 7],
    ]);
    peek.close();
    await store.close();
  });

  it('of a database written before (a row for the hour in progress) read back the same and are completed later', async () => {
    const file = path.join(tempDir(), 'old.db');
    // The earlier writer's rows for samples 1 at H and 2 at H+1 min, in one chunk: each minute, and the hour so far.
    const old = openHistoryDb(file);
    old.exec(SCHEMA);
    const enc = new ChunkEncoder();
    enc.push(H, 1);
    enc.push(H + MINUTE, 2);
    old
      .prepare("INSERT INTO series (id, key, host, metric, labels) VALUES (1, ?, 'db1', 'm', '{}')")
      .run(`db1\u0000${seriesKey('m', {})}`);
    old
      .prepare('INSERT INTO chunks (series_id, start_ts, end_ts, n, data) VALUES (1, ?, ?, 2, ?)')
      .run(H, H + MINUTE, enc.bytes());
    const roll = (t: string) =>
      old.prepare(
        `INSERT INTO ${t} (series_id, ts, min, max, sum, count, last, last_ts) VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      );
    roll('rollup_1m').run(H, 1, 1, 1, 1, 1, H);
    roll('rollup_1m').run(H + MINUTE, 2, 2, 2, 1, 2, H + MINUTE);
    roll('rollup_1h').run(H, 1, 2, 3, 2, 2, H + MINUTE);
    old.close();

    const store = new SqliteStore({ file, now: () => H + 2 * HOUR, writer: 'inline' });
    expect(store.rawSamples('db1', 'm')).toEqual([
      [H, 1],
      [H + MINUTE, 2],
    ]);
    expect(store.rollups('rollup_1h', 'db1', 'm')).toEqual([{ ts: H, min: 1, max: 2, avg: 1.5, last: 2, count: 2 }]);
    // 3 at H+2 min is merged into hour H's row (1, 2, 3); 7 is in the next hour, open.
    const id = store.seriesId('db1', 'm', {});
    store.appendValues(H + 2 * MINUTE, [id], [3]);
    store.appendValues(H + HOUR + 5000, [id], [7]);
    store.sealAll();
    expect(store.rollups('rollup_1h', 'db1', 'm')).toEqual([
      { ts: H, min: 1, max: 3, avg: 2, last: 3, count: 3 },
      { ts: H + HOUR, min: 7, max: 7, avg: 7, last: 7, count: 1 },
    ]);
    expect(store.rawSamples('db1', 'm')).toEqual([
      [H, 1],
      [H + MINUTE, 2],
      [H + 2 * MINUTE, 3],
      [H + HOUR + 5000, 7],
    ]);
    await store.close();
  });

  it('of a series that stopped are written by pruning before its minutes expire, and rewritten by a late chunk', () => {
    const db = openHistoryDb(path.join(tempDir(), 'idle.db'));
    db.exec(SCHEMA);
    // Minutes are kept one minute only: pruning must write the hour before it drops them.
    const writer = new HistoryWriter(db, { rawMs: 10 * DAY, minuteMs: MINUTE, hourMs: 10 * DAY });
    writer.commit(
      chunkCommit(1, [
        [H, 1],
        [H + MINUTE, 2],
      ]),
    );
    expect(hourRows(db)).toEqual([]);
    // An hour and a half later hour H is still the last hour that ended less than an hour ago: kept open.
    writer.prune(H + HOUR + 30 * MINUTE);
    expect(hourRows(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM rollup_1m').get()).toEqual({ n: 2 });
    // At H+2h hour H ended an hour ago: its row (1, 2), and then its minutes go.
    writer.prune(H + 2 * HOUR);
    expect(hourRows(db)).toEqual([{ ts: H, min: 1, max: 2, sum: 3, count: 2, last: 2, last_ts: H + MINUTE }]);
    expect(db.prepare('SELECT count(*) AS n FROM rollup_1m').get()).toEqual({ n: 0 });
    // A late chunk (an agent's outage buffer) adds 5 at H+59 min: merged into the hour's row (1, 2, 5), though
    // the minutes of 1 and 2 are gone.
    writer.commit(chunkCommit(2, [[H + 59 * MINUTE, 5]]));
    expect(hourRows(db)).toEqual([{ ts: H, min: 1, max: 5, sum: 8, count: 3, last: 5, last_ts: H + 59 * MINUTE }]);
    db.close();
  });
  it('of a commit that failed and was sent again are whole: the rolled-back hour is not taken as written', () => {
    const db = openHistoryDb(path.join(tempDir(), 'retry.db'));
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: 10 * DAY, minuteMs: 10 * DAY, hourMs: 10 * DAY });
    writer.commit(
      chunkCommit(1, [
        [H, 1],
        [H + MINUTE, 2],
      ]),
    );
    // Commit 2 completes hour H (3 at H+2 min, then 4 in hour H+1) but fails at its end, as a full disk would
    // fail it: everything it wrote is rolled back.
    db.exec(`CREATE TRIGGER fail_once BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const second = chunkCommit(2, [
      [H + 2 * MINUTE, 3],
      [H + HOUR + 5000, 4],
    ]);
    expect(() => writer.commit(second)).toThrow(/disk full/);
    expect(hourRows(db)).toEqual([]);
    db.exec('DROP TRIGGER fail_once');
    // Sent again, it writes hour H whole (1, 2, 3), not as a late chunk's part (3 alone).
    writer.commit(second);
    expect(hourRows(db)).toEqual([{ ts: H, min: 1, max: 3, sum: 6, count: 3, last: 3, last_ts: H + 2 * MINUTE }]);
    // And once hour H+2 starts, hour H+1 (4) gets its row.
    writer.commit(chunkCommit(3, [[H + 2 * HOUR + 5000, 5]]));
    expect(hourRows(db)).toEqual([
      { ts: H, min: 1, max: 3, sum: 6, count: 3, last: 3, last_ts: H + 2 * MINUTE },
      { ts: H + HOUR, min: 4, max: 4, sum: 4, count: 1, last: 4, last_ts: H + HOUR + 5000 },
    ]);
    db.close();
  });

  describe('of a series this writer created (no look-up before its first chunk)', () => {
    /** A commit creating series 1 (when `create`) and holding a chunk of it (when samples are given). */
    const commitOf = (seq: number, create: boolean, samples: [number, number][]) => ({
      ...chunkCommit(seq, samples.length > 0 ? samples : [[0, 0]]),
      series: create ? [[1, 'db1\u0000m', 'db1', 'm', '{}'] as [number, string, string, string, string]] : [],
      chunks: samples.length > 0 ? chunkCommit(seq, samples).chunks : new Float64Array(0),
    });
    const minuteCount = (db: ReturnType<typeof openHistoryDb>) =>
      (db.prepare('SELECT count(*) AS n FROM rollup_1m').get() as { n: number }).n;
    /**
     * The same commits' chunks written by a writer that did not create the series (one before it did, in a commit of
     * its own): it looks the series up, as every writer did before.
     */
    function writtenAfterLookUp(commits: ReturnType<typeof commitOf>[]) {
      const db = openHistoryDb(path.join(tempDir(), 'lookup.db'));
      db.exec(SCHEMA);
      const retention = { rawMs: 10 * DAY, minuteMs: 10 * DAY, hourMs: 10 * DAY };
      new HistoryWriter(db, retention).commit(commitOf(1, true, []));
      const writer = new HistoryWriter(db, retention);
      for (const c of commits) writer.commit({ ...c, seq: c.seq + 1, series: [] });
      return db;
    }

    it('gets its hours from its first chunk on, idle pruning before it writing nothing', () => {
      const db = openHistoryDb(path.join(tempDir(), 'new.db'));
      db.exec(SCHEMA);
      const writer = new HistoryWriter(db, { rawMs: 10 * DAY, minuteMs: 10 * DAY, hourMs: 10 * DAY });
      // Created with no chunk; pruning three hours later finds nothing to close.
      const commits = [
        commitOf(1, true, []),
        // First chunk inside hour H+1 (no hour done yet), then one from H+1 into H+2 and H+3: hours H+1
        // (7 at H+1h+30min, 8 at H+1h+59min) and H+2 (9 at H+2h+1min) are done; H+3 (6) stays open.
        commitOf(2, false, [
          [H + HOUR + 30 * MINUTE, 7],
          [H + HOUR + 59 * MINUTE, 8],
        ]),
        commitOf(3, false, [
          [H + 2 * HOUR + MINUTE, 9],
          [H + 3 * HOUR, 6],
        ]),
      ];
      writer.commit(commits[0]!);
      writer.prune(H + 3 * HOUR);
      expect(hourRows(db)).toEqual([]);
      writer.commit(commits[1]!);
      expect(hourRows(db)).toEqual([]);
      expect(minuteCount(db)).toBe(2);
      writer.commit(commits[2]!);
      const expected = [
        { ts: H + HOUR, min: 7, max: 8, sum: 15, count: 2, last: 8, last_ts: H + HOUR + 59 * MINUTE },
        { ts: H + 2 * HOUR, min: 9, max: 9, sum: 9, count: 1, last: 9, last_ts: H + 2 * HOUR + MINUTE },
      ];
      expect(hourRows(db)).toEqual(expected);
      expect(hourRows(writtenAfterLookUp(commits))).toEqual(expected);
      db.close();
    });

    it('whose first chunk crosses two hours writes both, as a writer that looked it up does', () => {
      const db = openHistoryDb(path.join(tempDir(), 'cross.db'));
      db.exec(SCHEMA);
      const writer = new HistoryWriter(db, { rawMs: 10 * DAY, minuteMs: 10 * DAY, hourMs: 10 * DAY });
      const commits = [
        commitOf(1, true, [
          [H + 59 * MINUTE, 1],
          [H + HOUR + 30 * MINUTE, 2],
          [H + 2 * HOUR + MINUTE, 3],
        ]),
      ];
      writer.commit(commits[0]!);
      const expected = [
        { ts: H, min: 1, max: 1, sum: 1, count: 1, last: 1, last_ts: H + 59 * MINUTE },
        { ts: H + HOUR, min: 2, max: 2, sum: 2, count: 1, last: 2, last_ts: H + HOUR + 30 * MINUTE },
      ];
      expect(hourRows(db)).toEqual(expected);
      expect(hourRows(writtenAfterLookUp(commits))).toEqual(expected);
      db.close();
    });

    it('with times before 1970 writes what a writer that looked it up writes', () => {
      const db = openHistoryDb(path.join(tempDir(), 'old.db'));
      db.exec(SCHEMA);
      const writer = new HistoryWriter(db, { rawMs: 10 * DAY, minuteMs: 10 * DAY, hourMs: 10 * DAY });
      const commits = [
        commitOf(1, true, [[-30 * MINUTE, 1]]),
        commitOf(2, false, [
          [-20 * MINUTE, 2],
          [HOUR + MINUTE, 3],
        ]),
        commitOf(3, false, [[2 * HOUR + MINUTE, 4]]),
      ];
      for (const c of commits) writer.commit(c);
      const lookedUp = writtenAfterLookUp(commits);
      expect(hourRows(db)).toEqual(hourRows(lookedUp));
      expect(hourRows(db).length).toBeGreaterThan(0);
      db.close();
    });
  });
});
