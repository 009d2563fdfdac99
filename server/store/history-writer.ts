import type Database from 'better-sqlite3';
import { asBuffer } from './bytes.js';
import { checkChunkCount, decodeChunkInto } from './chunk-codec.js';
import { HourRollups } from './rollup-hours.js';
import { WAL_FIELDS, walBlockData, walBlockIndex } from './wal-block.js';

export { WAL_FIELDS };

/**
 * The write side of the SQLite store: one commit of new series, write-ahead
 * log rows, chunks (with their rollups) and agents' sequence numbers, and the
 * retention pruning. It owns a connection of its own, so it can run in a
 * worker thread (history-writer-worker.ts) while the main thread ingests and
 * answers queries, or inline (tests, and wherever worker threads cannot load
 * the compiled module).
 */

export interface CommitBatch {
  /** Commits are numbered; the number is stored with them so a reader knows which it can see. */
  seq: number;
  series: [id: number, key: string, host: string, metric: string, labels: string][];
  /**
   * Log rows, WAL_FIELDS numbers each: id, ts, sample count, and their bytes'
   * start and end in walBytes. Numbers in typed arrays, not objects, because a
   * worker gets its own copy of every commit, and copying typed arrays is a
   * memcpy where thousands of small objects are not.
   */
  wal: Float64Array;
  walBytes: Uint8Array;
  /** Chunks, CHUNK_FIELDS numbers each: series id, first and last ts, sample count, bytes' start and end in chunkBytes. */
  chunks: Float64Array;
  chunkBytes: Uint8Array;
  seqs: [agentId: string, session: string, seq: number][];
  /** Log rows below this id hold no sample that is not in a chunk (this commit's included). */
  trimWalBelow: number;
  samples: number;
}

export const CHUNK_FIELDS = 6;

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

/** Write-ahead file pages (4 KiB) after which SQLite checkpoints (its default is 1000), and the longest time between checkpoints. */
export const CHECKPOINT_PAGES = 10_000;
export const CHECKPOINT_MS = 5000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

export interface WriterOptions {
  /** The longest time between checkpoints while commits come (tests shorten it). */
  checkpointMs?: number;
  /** Runs a checkpoint (tests put in one that fails, as a disk error would). */
  checkpoint?: (db: Database.Database) => void;
  /** A checkpoint that failed: the commit before it stands; the next one tries again. */
  onCheckpointFailed?: (error: unknown) => void;
}

const passiveCheckpoint = (db: Database.Database) => db.pragma('wal_checkpoint(PASSIVE)');

export class HistoryWriter {
  private readonly stmt: Record<string, Database.Statement>;
  private pruneCursor = 0;
  private lastCheckpoint = performance.now();
  private readonly minute: Bucket;
  private readonly hours: HourRollups;
  /** Samples of hours that have their row already, merged into it (rollup-hours.ts). */
  private readonly late: Bucket;
  /** A chunk's samples, decoded for its rollups (grown to the largest chunk seen). */
  private ts = new Float64Array(1024);
  private values = new Float64Array(1024);

  constructor(
    readonly db: Database.Database,
    private readonly retention: Retention,
    private readonly o: WriterOptions = {},
  ) {
    const upsert = (t: string) =>
      db.prepare(`INSERT INTO ${t} (series_id, ts, min, max, sum, count, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (series_id, ts) DO UPDATE SET min = min(min, excluded.min), max = max(max, excluded.max), sum = sum + excluded.sum,
        count = count + excluded.count, last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END, last_ts = max(last_ts, excluded.last_ts)`);
    this.stmt = {
      insertSeries: db.prepare('INSERT INTO series (id, key, host, metric, labels) VALUES (?, ?, ?, ?, ?)'),
      insertChunk: db.prepare('INSERT INTO chunks (series_id, start_ts, end_ts, n, data) VALUES (?, ?, ?, ?, ?)'),
      insertWal: db.prepare('INSERT INTO wal_block (id, last_id, n, batches, data) VALUES (?, ?, ?, ?, ?)'),
      // Blocks are in id order and do not overlap: the id bound lets SQLite walk the rowid range only.
      trimWal: db.prepare('DELETE FROM wal_block WHERE id < ? AND last_id < ?'),
      setSeq: db.prepare(
        'INSERT INTO agent_seq (agent_id, session, last_seq) VALUES (?, ?, ?) ON CONFLICT (agent_id, session) DO UPDATE SET last_seq = excluded.last_seq',
      ),
      setCommit: db.prepare(
        "INSERT INTO meta (key, value) VALUES ('commit', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      getCommit: db.prepare("SELECT value FROM meta WHERE key = 'commit'"),
      upsert1m: upsert('rollup_1m'),
      upsert1h: upsert('rollup_1h'),
      dropExpiredChunks: db.prepare(
        'DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE end_ts < ? ORDER BY end_ts LIMIT ?)',
      ),
      prune1m: db.prepare('DELETE FROM rollup_1m WHERE series_id = ? AND ts < ?'),
      prune1h: db.prepare('DELETE FROM rollup_1h WHERE series_id = ? AND ts < ?'),
      maxSeries: db.prepare('SELECT max(id) AS m FROM series'),
    };
    // Checkpoints copy each page once however often commits rewrote it since the last one, so fewer
    // are cheaper; the timed one in checkpointIfDue keeps the power-loss window (README) a few seconds.
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    this.minute = new Bucket(this.stmt.upsert1m!);
    this.hours = new HourRollups(db);
    this.late = new Bucket(this.stmt.upsert1h!);
  }

  /**
   * One transaction: all of it is on disk afterwards, or (on a throw) none of
   * it. A commit that is already on disk is not applied twice (a writer thread
   * that died after committing but before saying so gets it again).
   */
  commit(b: CommitBatch): void {
    try {
      this.commitOnce(b);
    } catch (err) {
      // The transaction rolled back the hour rows it wrote: what the cache learnt from them is gone too.
      this.hours.forgetCached();
      throw err;
    }
    this.checkpointIfDue();
  }

  private commitOnce(b: CommitBatch): void {
    this.db.transaction(() => {
      if (((this.stmt.getCommit!.get() as { value: number } | undefined)?.value ?? 0) >= b.seq) return;
      for (const row of b.series) {
        this.stmt.insertSeries!.run(...row);
        this.hours.created(row[0]);
      }
      this.writeLog(b);
      const c = b.chunks;
      for (let i = 0; i < c.length; i += CHUNK_FIELDS)
        this.writeChunk(c[i]!, c[i + 1]!, c[i + 2]!, c[i + 3]!, b.chunkBytes.subarray(c[i + 4], c[i + 5]));
      for (const [agent, session, seq] of b.seqs) this.stmt.setSeq!.run(agent, session, seq);
      this.stmt.trimWal!.run(b.trimWalBelow, b.trimWalBelow);
      this.stmt.setCommit!.run(b.seq);
    })();
  }

  /**
   * A checkpoint at least every checkpointMs (after commits and the once-a-second pruning; SQLite's own runs at
   * CHECKPOINT_PAGES). One that fails is reported as such, never as a failed commit: the commit is on disk.
   */
  private checkpointIfDue(): void {
    const now = performance.now();
    if (now - this.lastCheckpoint < (this.o.checkpointMs ?? CHECKPOINT_MS)) return;
    this.lastCheckpoint = now;
    try {
      (this.o.checkpoint ?? passiveCheckpoint)(this.db);
    } catch (err) {
      if (!this.o.onCheckpointFailed) throw err;
      this.o.onCheckpointFailed(err);
    }
  }

  /** The commit's log entries as one block row (wal-block.ts). */
  private writeLog(b: CommitBatch): void {
    const w = b.wal;
    if (w.length === 0) return;
    let n = 0;
    for (let i = 2; i < w.length; i += WAL_FIELDS) n += w[i]!;
    const data = walBlockData(w, b.walBytes);
    this.stmt.insertWal!.run(w[0], w[w.length - WAL_FIELDS], n, asBuffer(walBlockIndex(w)), asBuffer(data));
  }

  /** A chunk row, its samples merged into the 1-minute rollup rows (and hour rows that exist), and the hours it completes. */
  private writeChunk(seriesId: number, startTs: number, endTs: number, count: number, data: Uint8Array): void {
    this.stmt.insertChunk!.run(seriesId, startTs, endTs, count, asBuffer(data));
    checkChunkCount(data, count); // before the count sizes anything
    if (this.ts.length < count) {
      this.ts = new Float64Array(count);
      this.values = new Float64Array(count);
    }
    const { ts, values, minute, late } = this;
    decodeChunkInto(data, startTs, count, ts, values);
    this.hours.beforeChunk(seriesId, startTs);
    const open = this.hours.openFrom(seriesId);
    minute.start(seriesId);
    late.start(seriesId);
    // The minute a sample is in, computed again only when a sample leaves it (a remainder of a time this
    // large is a floating-point fmod, and a chunk's samples mostly share their minute with the one before).
    let minuteStart = NaN;
    let minuteEnd = NaN;
    for (let i = 0; i < count; i++) {
      const v = values[i]!;
      if (v !== v) continue;
      const t = ts[i]!;
      if (!(t >= minuteStart && t < minuteEnd)) {
        minuteStart = t - (t % MINUTE);
        minuteEnd = t >= 0 ? minuteStart + MINUTE : NaN; // a remainder takes the sign of a time before 1970
      }
      minute.add(minuteStart, t, v);
      if (t < open) late.add(t - (t % HOUR), t, v);
    }
    minute.flush();
    late.flush();
    this.hours.afterChunk(seriesId, endTs);
  }

  /**
   * Deletes expired chunks (oldest first, a bounded number per call) and the
   * expired rollup rows of a few series: many short deletes, never one long one.
   * A series' hours that ended over an hour ago get their rows first
   * (rollup-hours.ts), so no minute row goes before its hour has a row.
   */
  prune(now: number, seriesPerCall = 200, chunksPerCall = 20_000): void {
    const maxId = (this.stmt.maxSeries!.get() as { m: number | null }).m ?? 0;
    const closedBefore = now - (now % HOUR) - HOUR;
    this.db.transaction(() => {
      this.stmt.dropExpiredChunks!.run(now - this.retention.rawMs, chunksPerCall);
      for (let i = 0; maxId > 0 && i < Math.min(seriesPerCall, maxId); i++) {
        const id = 1 + (this.pruneCursor++ % maxId);
        this.hours.closeIdle(id, closedBefore);
        this.stmt.prune1m!.run(id, Math.min(now - this.retention.minuteMs, closedBefore));
        this.stmt.prune1h!.run(id, now - this.retention.hourMs);
      }
    })();
    this.checkpointIfDue();
  }
}

/**
 * One rollup row being summed from a chunk's samples (in time order); written
 * (merged into its stored row) when the next sample falls into another bucket
 * and at the chunk's end. One per resolution, reused for every chunk.
 */
class Bucket {
  private seriesId = 0;
  private bucket = NaN;
  private min = 0;
  private max = 0;
  private sum = 0;
  private count = 0;
  private last = 0;
  private lastTs = 0;

  constructor(private readonly upsert: Database.Statement) {}

  start(seriesId: number): void {
    this.seriesId = seriesId;
    this.bucket = NaN;
  }

  add(bucket: number, ts: number, v: number): void {
    if (bucket !== this.bucket) {
      this.flush();
      this.bucket = bucket;
      this.min = this.max = this.sum = v;
      this.count = 0;
    } else {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      this.sum += v;
    }
    this.count++;
    this.last = v;
    this.lastTs = ts;
  }

  flush(): void {
    if (this.bucket !== this.bucket) return;
    this.upsert.run(this.seriesId, this.bucket, this.min, this.max, this.sum, this.count, this.last, this.lastTs);
    this.bucket = NaN;
  }
}
