import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../server/store/sqlite.js';
import { HistoryWriter } from '../../../server/store/history-writer.js';
import { SCHEMA, openHistoryDb } from '../../../server/store/schema.js';
import { readWalBlock } from '../../../server/store/wal-block.js';
import { REPO, tempDir } from '../../helpers/process.js';

const HOUR = 3_600_000;
const hoursAgo = (hours: number) => Math.floor(Date.now() / HOUR) * HOUR - hours * HOUR;
const countOf = (file: string, sql: string) => {
  const db = new Database(file, { readonly: true });
  const n = (db.prepare(sql).get() as { n: number }).n;
  db.close();
  return n;
};

/**
 * A batch's samples in the log's documented encoding, built here by hand: per
 * sample the series id as a zigzag varint step from the previous one (ids and
 * steps here stay below 64, so one byte: 2 × step, or 2 × |step| − 1 when
 * negative), then the value as a little-endian float64 (NaN for null).
 */
function batchBytes(samples: [id: number, value: number | null][]): Buffer {
  const out = Buffer.alloc(samples.length * 9);
  let prev = 0;
  samples.forEach(([id, v], i) => {
    const step = id - prev;
    out[i * 9] = step >= 0 ? 2 * step : -2 * step - 1;
    out.writeDoubleLE(v ?? NaN, i * 9 + 1);
    prev = id;
  });
  return out;
}

/** A database in the previous release's layout: a `wal` row per batch; the rest of the layout did not change. */
function oldLogDb(file: string): Database.Database {
  const old = openHistoryDb(file);
  old.exec(
    SCHEMA.replace(/CREATE TABLE IF NOT EXISTS wal_block [^;]*;/, '') +
      'CREATE TABLE wal (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);',
  );
  return old;
}

const SERIES: [number, string, string, string, string][] = [
  [1, 'db1\u0000disk_aqu_sz{device="sda"}', 'db1', 'disk_aqu_sz', '{"device":"sda"}'],
  [2, 'db1\u0000disk_aqu_sz{device="sdb"}', 'db1', 'disk_aqu_sz', '{"device":"sdb"}'],
];

describe('the write-ahead log, one block per commit', () => {
  it('replays every batch of a block at the next start, each sample at its own time and value', async () => {
    const file = path.join(tempDir(), 'b.db');
    const db = openHistoryDb(file);
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: 48 * HOUR, minuteMs: 48 * HOUR, hourMs: 48 * HOUR });
    const t0 = hoursAgo(1);
    // Three batches in one commit, the series in either order, a null, and batch ids 5, 6, 9 (gaps are allowed).
    const batches: [number, number, [number, number | null][]][] = [
      [
        5,
        t0,
        [
          [1, 1.5],
          [2, -2],
        ],
      ],
      [
        6,
        t0 + 1000,
        [
          [2, null],
          [1, 2.25],
        ],
      ],
      [9, t0 + 2000, [[1, 1e300]]],
    ];
    const parts = batches.map(([, , s]) => batchBytes(s));
    const wal: number[] = [];
    let at = 0;
    batches.forEach(([id, ts, s], i) => {
      wal.push(id, ts, s.length, at, at + parts[i]!.length);
      at += parts[i]!.length;
    });
    writer.commit({
      seq: 1,
      series: SERIES,
      wal: new Float64Array(wal),
      walBytes: Buffer.concat(parts),
      chunks: new Float64Array(0),
      chunkBytes: new Uint8Array(0),
      seqs: [],
      trimWalBelow: 0,
      samples: 5,
    });
    db.close();
    expect(countOf(file, 'SELECT count(*) AS n FROM wal_block')).toBe(1);
    expect(countOf(file, 'SELECT last_id AS n FROM wal_block WHERE id = 5')).toBe(9);

    const store = new SqliteStore({ file });
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' })).toEqual([
      [t0, 1.5],
      [t0 + 1000, 2.25],
      [t0 + 2000, 1e300],
    ]);
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sdb' })).toEqual([
      [t0, -2],
      [t0 + 1000, null],
    ]);
    // New batches are numbered after the block's last (9), so the next block does not collide with it.
    store.appendValues(t0 + 3000, [1], [3]);
    await store.whenDurable();
    expect(countOf(file, 'SELECT count(*) AS n FROM wal_block WHERE id = 10 AND last_id = 10')).toBe(1);
    await store.close();
  });

  it('loses nothing committed when the process is killed: several commits of many batches come back exactly', async () => {
    const file = path.join(tempDir(), 'k.db');
    const t0 = hoursAgo(1);
    // 3 series, 90 one-second batches in three bursts (three or more commits), killed before any head is sealed.
    const value = (i: number, s: number) => (i % 17 === s ? null : Math.round(1000 * Math.sin(i + s)) / 8);
    const script = `
      import { SqliteStore } from ${JSON.stringify(path.join(REPO, 'dist/server/store/sqlite.js'))};
      const store = new SqliteStore({ file: ${JSON.stringify(file)} });
      const ids = [0, 1, 2].map((s) => store.seriesId('db1', 'disk_util_percent', { device: 'sd' + s }));
      const value = ${value.toString()};
      for (let burst = 0; burst < 3; burst++) {
        for (let i = burst * 30; i < burst * 30 + 30; i++) store.appendValues(${t0} + i * 1000, ids, ids.map((_, s) => value(i, s)));
        store.flush();
        await store.whenDurable();
      }
      process.kill(process.pid, 'SIGKILL');
    `;
    const scriptFile = path.join(tempDir(), 'crash.mjs');
    writeFileSync(scriptFile, script);
    const child = spawn(process.execPath, [scriptFile], { stdio: 'inherit' });
    expect(await new Promise((r) => child.once('exit', (_code, sig) => r(sig)))).toBe('SIGKILL');
    expect(countOf(file, 'SELECT count(*) AS n FROM chunks')).toBe(0);
    expect(countOf(file, 'SELECT count(*) AS n FROM wal_block')).toBeGreaterThanOrEqual(3);

    const store = new SqliteStore({ file });
    for (let s = 0; s < 3; s++)
      expect(store.rawSamples('db1', 'disk_util_percent', { device: `sd${s}` })).toEqual(
        Array.from({ length: 90 }, (_, i) => [t0 + i * 1000, value(i, s)]),
      );
    await store.close();
  });

  it('opens a database with the earlier log form (a row per batch) and replays it exactly', async () => {
    const file = path.join(tempDir(), 'old-log.db');
    const old = oldLogDb(file);
    const insertSeries = old.prepare('INSERT INTO series (id, key, host, metric, labels) VALUES (?, ?, ?, ?, ?)');
    for (const s of SERIES) insertSeries.run(...s);
    const t0 = hoursAgo(1);
    const row = old.prepare('INSERT INTO wal (id, ts, n, data) VALUES (?, ?, ?, ?)');
    row.run(
      3,
      t0,
      2,
      batchBytes([
        [1, 10],
        [2, 20],
      ]),
    );
    row.run(
      4,
      t0 + 1000,
      2,
      batchBytes([
        [2, null],
        [1, 11],
      ]),
    );
    old.close();

    const store = new SqliteStore({ file });
    expect(countOf(file, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'wal'")).toBe(0);
    expect(countOf(file, 'SELECT count(*) AS n FROM wal_block')).toBe(2);
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' })).toEqual([
      [t0, 10],
      [t0 + 1000, 11],
    ]);
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sdb' })).toEqual([
      [t0, 20],
      [t0 + 1000, null],
    ]);
    await store.close();
    // A clean stop seals every head into a chunk and trims the converted rows with the rest.
    expect(countOf(file, 'SELECT count(*) AS n FROM wal_block')).toBe(0);
    expect(countOf(file, 'SELECT count(*) AS n FROM chunks')).toBe(2);
  });

  it('converts an earlier log of more rows than one page of the conversion reads, every sample kept', async () => {
    const file = path.join(tempDir(), 'old-long-log.db');
    const old = oldLogDb(file);
    old.prepare('INSERT INTO series (id, key, host, metric, labels) VALUES (?, ?, ?, ?, ?)').run(...SERIES[0]!);
    const t0 = hoursAgo(1);
    const row = old.prepare('INSERT INTO wal (id, ts, n, data) VALUES (?, ?, ?, ?)');
    // 2 500 batches of one sample: the conversion reads 1 000 rows at a time, so three pages.
    const rows = 2500;
    old.transaction(() => {
      for (let i = 1; i <= rows; i++) row.run(i, t0 + i * 1000, 1, batchBytes([[1, i / 4]]));
    })();
    old.close();

    const store = new SqliteStore({ file });
    expect(countOf(file, 'SELECT count(*) AS n FROM wal_block')).toBe(rows);
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' })).toEqual(
      Array.from({ length: rows }, (_, k) => [t0 + (k + 1) * 1000, (k + 1) / 4]),
    );
    await store.close();
  });

  it('refuses a block whose sample count its bytes cannot hold, before sizing anything by it', () => {
    const data = batchBytes([[1, 5]]);
    const batches = new Uint8Array([0, 2, 1, data.length]); // id step 0, ts zigzag 2 (= 1), 1 sample, its bytes
    expect(readWalBlock({ id: 7, last_id: 7, n: 1, batches, data }).values).toEqual(new Float64Array([5]));
    for (const n of [1e9, 2, -1, 0.5])
      expect(() => readWalBlock({ id: 7, last_id: 7, n, batches, data })).toThrow(
        `the row counts ${n} samples in ${data.length} bytes`,
      );
  });

  it('skips and reports a corrupt block, and replays the others', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openHistoryDb(file);
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: 48 * HOUR, minuteMs: 48 * HOUR, hourMs: 48 * HOUR });
    const t0 = hoursAgo(1);
    const commit = (seq: number, walId: number, ts: number, v: number) => {
      const bytes = batchBytes([[1, v]]);
      writer.commit({
        seq,
        series: seq === 1 ? SERIES.slice(0, 1) : [],
        wal: new Float64Array([walId, ts, 1, 0, bytes.length]),
        walBytes: bytes,
        chunks: new Float64Array(0),
        chunkBytes: new Uint8Array(0),
        seqs: [],
        trimWalBelow: 0,
        samples: 1,
      });
    };
    commit(1, 1, t0, 1);
    commit(2, 2, t0 + 1000, 2);
    commit(3, 3, t0 + 2000, 3);
    // The middle block says it holds two samples where its bytes hold one.
    db.prepare('UPDATE wal_block SET n = 2 WHERE id = 2').run();
    db.close();

    const store = new SqliteStore({ file });
    expect(store.rawSamples('db1', 'disk_aqu_sz', { device: 'sda' })).toEqual([
      [t0, 1],
      [t0 + 2000, 3],
    ]);
    expect(store.storageErrors().map((e) => e.message)).toEqual([expect.stringMatching(/^write-ahead log block 2\b/)]);
    await store.close();
  });
});
