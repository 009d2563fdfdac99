import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_PAGES, HistoryWriter } from '../../../server/store/history-writer.js';
import { SCHEMA, openHistoryDb } from '../../../server/store/schema.js';
import { tempDir } from '../../helpers/process.js';

const HOUR = 3_600_000;
const PAGE = 4096;

/** A commit whose one log block is `bytes` long (about bytes / 4096 pages of the write-ahead file). */
function bigCommit(seq: number, bytes: number) {
  return {
    seq,
    series: [],
    wal: new Float64Array([seq, 1_700_000_000_000 + seq * 1000, 1, 0, bytes]),
    walBytes: new Uint8Array(bytes).fill(seq),
    chunks: new Float64Array(0),
    chunkBytes: new Uint8Array(0),
    seqs: [],
    trimWalBelow: 0,
    samples: 1,
  };
}

function writerOn(file: string, checkpointMs: number) {
  const db = openHistoryDb(file);
  db.exec(SCHEMA);
  db.pragma('wal_checkpoint(TRUNCATE)'); // start from an empty write-ahead file
  return { db, writer: new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR }, { checkpointMs }) };
}

describe("the history writer's checkpoints", () => {
  it('let the write-ahead file grow past SQLite’s default 1000 pages, up to 10 000, between timed ones', () => {
    const file = path.join(tempDir(), 'p.db');
    const { db, writer } = writerOn(file, HOUR);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_PAGES);
    expect(CHECKPOINT_PAGES).toBe(10_000);
    const before = statSync(file).size;
    // 1500 pages of log: over the default's bound, under ours; nothing is copied into the database file yet.
    writer.commit(bigCommit(1, 1500 * PAGE));
    expect(statSync(file).size).toBe(before);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1500 * PAGE);
    db.close();
  });

  it('copy commits into the database file once the time bound has passed', () => {
    const file = path.join(tempDir(), 't.db');
    const { db, writer } = writerOn(file, 0);
    writer.commit(bigCommit(1, 300 * PAGE));
    // The block's pages are in the database file itself now, not only in the write-ahead file.
    expect(statSync(file).size).toBeGreaterThan(300 * PAGE);
    db.close();
  });

  it('also comes with the once-a-second pruning, so the last commits before a quiet spell are copied too', () => {
    const file = path.join(tempDir(), 'q.db');
    const { db, writer } = writerOn(file, HOUR);
    writer.commit(bigCommit(1, 300 * PAGE));
    const before = statSync(file).size;
    expect(before).toBeLessThan(300 * PAGE);
    // Another writer on the same connection whose time bound has passed at once: its pruning checkpoints.
    new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR }, { checkpointMs: 0 }).prune(1_700_000_000_000);
    expect(statSync(file).size).toBeGreaterThan(300 * PAGE);
    db.close();
  });
});
