import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryWriter } from '../../../server/store/history-writer.js';
import { SCHEMA, openHistoryDb } from '../../../server/store/schema.js';
import { ChunkEncoder } from '../../../server/store/chunk-codec.js';
import { tempDir } from '../../helpers/process.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** A fixed hour boundary, so the buckets below are the same whatever the date. */
const H = 1_700_002_800_000;

function chunkOf(samples: [number, number | null][]): { fields: number[]; bytes: Uint8Array } {
  const enc = new ChunkEncoder();
  for (const [ts, v] of samples) enc.push(ts, v);
  return { fields: [enc.firstTs, enc.lastTs, enc.count], bytes: enc.bytes() };
}

/** A commit of chunks of series 1 only (each given as its samples). */
function commitOf(seq: number, chunks: [number, number | null][][]) {
  const fields: number[] = [];
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const samples of chunks) {
    const c = chunkOf(samples);
    fields.push(1, ...c.fields, at, at + c.bytes.length);
    parts.push(c.bytes);
    at += c.bytes.length;
  }
  return {
    seq,
    series: seq === 1 ? [[1, 'db1\u0000m', 'db1', 'm', '{}'] as [number, string, string, string, string]] : [],
    wal: new Float64Array(0),
    walBytes: new Uint8Array(0),
    chunks: new Float64Array(fields),
    chunkBytes: Buffer.concat(parts),
    seqs: [],
    trimWalBelow: 0,
    samples: 0,
  };
}

describe('rollups written from chunks', () => {
  it('are exact when one commit holds several chunks of a series in one minute, and merge with a later commit', () => {
    const db = openHistoryDb(path.join(tempDir(), 'r.db'));
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR });
    // Commit 1: two chunks inside minute H, then one running from minute H into minute H + 1 min.
    writer.commit(
      commitOf(1, [
        [
          [H + 1000, 5],
          [H + 2000, -1],
        ],
        [
          [H + 3000, null],
          [H + 4000, 7.5],
        ],
        [
          [H + 59_000, 2],
          [H + MINUTE, 4],
          [H + MINUTE + 1000, 0.25],
        ],
      ]),
    );
    // Commit 2: a chunk that ends minute H + 1 min and starts the next hour's first minute.
    writer.commit(
      commitOf(2, [
        [
          [H + MINUTE + 2000, 10],
          [H + HOUR, -3],
        ],
      ]),
    );
    const rows = (t: string) =>
      db.prepare(`SELECT ts, min, max, sum, count, last, last_ts FROM ${t} WHERE series_id = 1 ORDER BY ts`).all();
    // Minute H: 5, -1, 7.5, 2 (the null counts nowhere); minute H+1: 4, 0.25, 10; next hour's first minute: -3.
    expect(rows('rollup_1m')).toEqual([
      { ts: H, min: -1, max: 7.5, sum: 13.5, count: 4, last: 2, last_ts: H + 59_000 },
      { ts: H + MINUTE, min: 0.25, max: 10, sum: 14.25, count: 3, last: 10, last_ts: H + MINUTE + 2000 },
      { ts: H + HOUR, min: -3, max: -3, sum: -3, count: 1, last: -3, last_ts: H + HOUR },
    ]);
    // Hour H, done once the series reached the next hour: all seven values above (from its two minutes). The
    // next hour (-3) is still open: in the minute table only (rollup-hours.ts).
    expect(rows('rollup_1h')).toEqual([
      { ts: H, min: -1, max: 10, sum: 27.75, count: 7, last: 10, last_ts: H + MINUTE + 2000 },
    ]);
    db.close();
  });

  it('writes no rollup row for a chunk of nulls only', () => {
    const db = openHistoryDb(path.join(tempDir(), 'n.db'));
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR });
    writer.commit(
      commitOf(1, [
        [
          [H, null],
          [H + MINUTE, null],
        ],
      ]),
    );
    expect(db.prepare('SELECT count(*) AS n FROM rollup_1m').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM rollup_1h').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM chunks').get()).toEqual({ n: 1 });
    db.close();
  });

  it('puts a sample on a minute boundary into the later minute, across skipped minutes and before 1970', () => {
    const db = openHistoryDb(path.join(tempDir(), 'b.db'));
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR });
    // Minute bucket = ts - (ts % 60 000), the remainder taking the sign of ts: -90 000 and -70 000 fall in -60 000,
    // -30 000 and 0 in 0; H + 59 999 in H; H + 60 000 (on the boundary) in H + 1 min; H + 3 min after two skipped.
    writer.commit(
      commitOf(1, [
        [
          [-90_000, 5],
          [-70_000, 6],
          [-30_000, 7],
          [0, 8],
        ],
        [
          [H + 59_999, 1],
          [H + MINUTE, 2],
          [H + MINUTE + 1, null],
          [H + MINUTE + 59_999, 3],
          [H + 3 * MINUTE, 4],
        ],
      ]),
    );
    const rows = db.prepare('SELECT ts, min, max, sum, count, last, last_ts FROM rollup_1m ORDER BY ts').all();
    expect(rows).toEqual([
      { ts: -MINUTE, min: 5, max: 6, sum: 11, count: 2, last: 6, last_ts: -70_000 },
      { ts: 0, min: 7, max: 8, sum: 15, count: 2, last: 8, last_ts: 0 },
      { ts: H, min: 1, max: 1, sum: 1, count: 1, last: 1, last_ts: H + 59_999 },
      { ts: H + MINUTE, min: 2, max: 3, sum: 5, count: 2, last: 3, last_ts: H + MINUTE + 59_999 },
      { ts: H + 3 * MINUTE, min: 4, max: 4, sum: 4, count: 1, last: 4, last_ts: H + 3 * MINUTE },
    ]);
    db.close();
  });
});
