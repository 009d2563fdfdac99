import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { seriesKey } from '../../shared/protocol.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { ByteReader, ByteWriter, asBuffer, unzigzag, zigzag } from './bytes.js';
import { ChunkEncoder, decodeChunk } from './chunk-codec.js';
import { HeadTable, grown } from './heads.js';
import {
  CHUNK_FIELDS,
  HistoryWriter,
  SCHEMA,
  WAL_FIELDS,
  openHistoryDb,
  type CommitBatch,
  type Retention,
} from './history-writer.js';
import type { LatestValue, SeriesQuery, SeriesResult, Store } from './store.js';
import { StorageErrors } from './integrity.js';

export interface SqliteStoreOptions {
  file: string;
  /** Raw samples are kept this long (default 48 h). */
  rawRetentionMs?: number;
  /** 1-minute rollups (default 30 d) and 1-hour rollups (default 1 y). */
  minuteRetentionMs?: number;
  hourRetentionMs?: number;
  /** Appended samples are committed (and acknowledged) at least this often (default 100 ms) or when this many are waiting (default 50 000). */
  commitIntervalMs?: number;
  commitSamples?: number;
  /** A series' in-memory head becomes a stored chunk after about this long (default 60 s, plus up to as much again, staggered per series). */
  chunkAgeMs?: number;
  /** At most this many points per series in a query answer (default 2000). */
  maxPoints?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Where commit failures are reported (they are retried; nothing is acknowledged meanwhile). */
  log?: Logger;
  /**
   * Where commits run: 'worker' (a worker thread: the default for the compiled
   * server) or 'inline' (on the calling thread: the default when running from
   * TypeScript sources, as the tests do, where the worker module cannot load).
   */
  writer?: 'worker' | 'inline';
  /** Where rows that cannot be read are reported (they are skipped); /healthz lists them. */
  errors?: StorageErrors;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A head is sealed early at this many samples or this time span (a replay after an outage arrives all at once). */
const MAX_CHUNK_SAMPLES = 600;
const MAX_CHUNK_SPAN_MS = 10 * 60_000;
const RESOLUTIONS = [
  { table: 'raw', stepMs: 1000 },
  { table: 'rollup_1m', stepMs: 60_000 },
  { table: 'rollup_1h', stepMs: HOUR },
] as const;
type Resolution = (typeof RESOLUTIONS)[number]['table'];

/** What a series is; what changes every second (its newest sample, its head) is in typed arrays indexed by id. */
interface SeriesInfo {
  id: number;
  host: string;
  metric: string;
  labels: Record<string, string>;
}

/** Per-series numbers, indexed by series id: no object (and no boxed double) per series for the garbage collector to trace. */
class SeriesColumns {
  /** The newest sample's time and value (NaN for null), whatever its chunk. */
  lastTs = new Float64Array(0);
  lastValue = new Float64Array(0);
  /** The open head's samples are in the write-ahead log from this row on. */
  walFrom = new Float64Array(0);
  /** When the open head is due to become a chunk. */
  dueAt = new Float64Array(0);

  ensure(n: number): void {
    if (n <= this.lastTs.length) return;
    const cap = Math.max(n, 2 * this.lastTs.length, 1024);
    this.lastTs = grown(this.lastTs, cap, -Infinity);
    this.lastValue = grown(this.lastValue, cap, NaN);
    this.walFrom = grown(this.walFrom, cap);
    this.dueAt = grown(this.dueAt, cap);
  }
}

/** A batch's log row, its bytes in the commit's arena: per sample, the series id as a zigzag varint delta from the previous one, then the value as a float64 (NaN for null). */
interface WalEntry {
  id: number;
  ts: number;
  n: number;
  start: number;
  end: number;
}

/** The commit being written: kept until it is on disk, for retries, readers (its chunks) and acks. */
interface InFlight {
  batch: CommitBatch;
  seqs: Map<string, number>;
  waiters: (() => void)[];
}

/**
 * History in SQLite (WAL mode), laid out like a time-series database rather
 * than a row per sample (after Prometheus' head block and Gorilla's chunks):
 *
 * - each series collects its newest samples in an in-memory **head**, encoded
 *   as it goes (chunk-codec.ts, ~2–6 bytes a sample); after 1–2 minutes the
 *   head is written as one **chunk** row, so SQLite sees one insert per series
 *   per minute or two instead of one per sample;
 * - every appended sample is first committed to a **write-ahead log** table,
 *   one row per batch (appends at the end of its B-tree), in the same
 *   transaction as the agent's sequence number; acknowledgements wait for that
 *   commit, and a restart replays the log into the heads. Log rows are deleted
 *   once every sample in them is in a chunk;
 * - **rollups** (1 min and 1 h: min, max, sum, count, last) are computed from
 *   each chunk as it is written and merged into their rows;
 * - retention drops expired chunks oldest-first and prunes rollups a few
 *   series at a time, so no prune stalls ingestion.
 *
 * Queries read chunks plus the head, and pick the coarsest resolution that
 * still gives ~2000 points (rollup buckets not yet written come from the head).
 *
 * Commits run in a worker thread (history-writer.ts) with its own connection;
 * this thread keeps the heads, builds each commit, and reads. A reader sees
 * a consistent snapshot with the number of the last commit in it, and adds
 * the chunks of later commits from memory.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly ids = new Map<string, number>();
  /** Series per host, for the series limits. */
  private readonly hostSeries = new Map<string, number>();
  private readonly series: (SeriesInfo | undefined)[] = [];
  private readonly cols = new SeriesColumns();
  private readonly heads = new HeadTable();
  private readonly o: Required<Omit<SqliteStoreOptions, 'file' | 'writer' | 'errors'>>;
  readonly errors: StorageErrors;
  private readonly stmt: Record<string, Database.Statement>;
  private wal: WalEntry[] = [];
  /** Bytes of the log rows waiting for the next commit; reused, since each commit takes a copy. */
  private readonly walBytes = new ByteWriter(1 << 20);
  private walSamples = 0;
  private nextWalId: number;
  /** Chunks sealed for the next commit: CHUNK_FIELDS numbers each (as in CommitBatch), their bytes in sealedBytes. */
  private sealed: number[] = [];
  private readonly sealedBytes = new ByteWriter(1 << 20);
  private nextSeriesId = 1;
  private newSeries: CommitBatch['series'] = [];
  private readonly pendingSeq = new Map<string, number>();
  private inFlight: InFlight | null = null;
  private commitSeq: number;
  /** Log rows below this hold only samples already in chunks (recomputed every few seconds; a stale value only trims less). */
  private trimWalBelow = 0;
  /** Heads due to be sealed, by the second they are due. */
  private readonly due = new Map<number, number[]>();
  private dueCursor: number;
  private commitTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly maintenanceTimer: NodeJS.Timeout;
  private maintenanceRuns = 0;
  private durableWaiters: (() => void)[] = [];
  private inline: HistoryWriter | null = null;
  private worker: Worker | null = null;
  private closing = false;
  private readonly file: string;
  samplesWritten = 0;

  constructor(opts: SqliteStoreOptions) {
    this.o = {
      rawRetentionMs: opts.rawRetentionMs ?? 48 * HOUR,
      minuteRetentionMs: opts.minuteRetentionMs ?? 30 * DAY,
      hourRetentionMs: opts.hourRetentionMs ?? 365 * DAY,
      commitIntervalMs: opts.commitIntervalMs ?? 100,
      commitSamples: opts.commitSamples ?? 50_000,
      chunkAgeMs: opts.chunkAgeMs ?? 60_000,
      maxPoints: opts.maxPoints ?? 2000,
      now: opts.now ?? Date.now,
      log: opts.log ?? createLogger('warn', 'tidemark/store'),
    };
    this.errors = opts.errors ?? new StorageErrors();
    mkdirSync(path.dirname(opts.file), { recursive: true });
    this.file = opts.file;
    this.db = openHistoryDb(opts.file);
    this.db.exec(SCHEMA);
    this.stmt = {
      chunksOf: this.db.prepare(
        'SELECT start_ts, n, data FROM chunks WHERE series_id = ? AND start_ts >= ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts',
      ),
      getSeq: this.db.prepare('SELECT last_seq FROM agent_seq WHERE agent_id = ? AND session = ?'),
      lastCommit: this.db.prepare("SELECT value FROM meta WHERE key = 'commit'"),
    };
    this.migrateRowPerSampleTable();
    const max = (sql: string) => (this.db.prepare(sql).get() as { m: number | null }).m ?? 0;
    this.nextWalId = max('SELECT max(id) AS m FROM wal') + 1;
    this.nextSeriesId = max('SELECT max(id) AS m FROM series') + 1;
    this.commitSeq = this.committedSeq();
    this.dueCursor = Math.floor(this.o.now() / 1000);
    this.load();
    this.trimWalBelow = this.oldestNeededWalId();
    const retention: Retention = {
      rawMs: this.o.rawRetentionMs,
      minuteMs: this.o.minuteRetentionMs,
      hourMs: this.o.hourRetentionMs,
    };
    const mode = opts.writer ?? (import.meta.url.endsWith('.ts') ? 'inline' : 'worker');
    if (mode === 'inline') this.inline = new HistoryWriter(this.db, retention);
    else this.startWorker(retention);
    this.maintenanceTimer = setInterval(() => this.maintain(), 1000);
    this.maintenanceTimer.unref();
  }

  private startWorker(retention: Retention): void {
    const worker = new Worker(new URL('./history-writer-worker.js', import.meta.url), {
      workerData: { file: this.file, retention },
    });
    let ready = false;
    this.worker = worker;
    worker.on('message', (m: { type: string; seq?: number; error?: string }) => {
      if (m.type === 'ready') ready = true;
      else if (m.type === 'committed') this.committed(m.seq!);
      else if (m.type === 'failed') this.failed(m.error!);
      else if (m.type === 'prune-failed') this.o.log.error('pruning history failed', { error: m.error });
    });
    worker.on('error', (err) => this.o.log.error('history writer thread failed', { error: err.message }));
    worker.on('exit', (code) => {
      if (this.closing) return;
      this.worker = null;
      // A writer that dies takes no data with it: the commit in flight is still here and goes to the next writer.
      // One that cannot even start (no worker threads here) leaves the writing to this thread.
      if (ready) {
        this.o.log.error('history writer thread stopped; starting another', { code });
        this.startWorker(retention);
      } else {
        this.o.log.warn('history writer thread could not start; writing on the main thread', { code });
        this.inline = new HistoryWriter(this.db, retention);
      }
      if (this.inFlight) this.send(this.inFlight.batch);
    });
  }

  private committedSeq(): number {
    return (this.stmt.lastCommit!.get() as { value: number } | undefined)?.value ?? 0;
  }

  /** Series, their newest values from the newest chunks, then the write-ahead log replayed into the heads. */
  private load(): void {
    for (const row of this.db.prepare('SELECT id, key, host, metric, labels FROM series').all() as {
      id: number;
      key: string;
      host: string;
      metric: string;
      labels: string;
    }[]) {
      const labels = this.readable(`series row ${row.id} (${row.key.replace('\u0000', ' ')})`, () =>
        labelsOf(row.labels),
      );
      if (!labels) continue;
      this.ids.set(row.key, row.id);
      this.addSeries({ id: row.id, host: row.host, metric: row.metric, labels });
    }
    const newest = this.db
      .prepare(
        'SELECT series_id, start_ts, n, data FROM chunks WHERE id IN (SELECT max(id) FROM chunks GROUP BY series_id)',
      )
      .all() as { series_id: number; start_ts: number; n: number; data: Buffer }[];
    for (const c of newest) {
      const id = c.series_id;
      if (this.series[id])
        this.readable(`newest chunk of series ${id}`, () =>
          decodeChunk(
            c.data,
            c.start_ts,
            c.n,
            (ts, v) => ((this.cols.lastTs[id] = ts), (this.cols.lastValue[id] = v ?? NaN)),
          ),
        );
    }
    for (const row of this.db.prepare('SELECT id, ts, n, data FROM wal ORDER BY id').iterate() as Iterable<{
      id: number;
      ts: number;
      n: number;
      data: Buffer;
    }>) {
      // A log row is decoded whole before any of it goes into the heads: a corrupt one is skipped entire.
      const samples = this.readable(`write-ahead log row ${row.id}`, () => walSamples(row.data, row.n));
      for (const [id, v] of samples ?? []) if (this.series[id]) this.push(id, row.ts, v, row.id);
    }
  }

  /** Runs a read of one stored row; a row that cannot be read is reported (naming it) and skipped, never fatal. */
  private readable<T>(what: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (err) {
      this.errors.record(
        `${what} in ${this.file} cannot be read and was skipped: ${(err as Error).message}`,
        this.o.log,
      );
      return undefined;
    }
  }

  seriesId(host: string, metric: string, labels: Record<string, string> | undefined): number {
    const key = `${host}\u0000${seriesKey(metric, labels)}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      // Numbered now, written with the next commit: a fleet's first connections name hundreds of thousands of series at once.
      const l = { ...(labels ?? {}) };
      id = this.nextSeriesId++;
      this.newSeries.push([id, key, host, metric, JSON.stringify(l)]);
      this.scheduleCommit();
      this.ids.set(key, id);
      this.addSeries({ id, host, metric, labels: l });
    }
    return id;
  }

  findSeriesId(host: string, metric: string, labels: Record<string, string> | undefined): number | undefined {
    return this.ids.get(`${host}\u0000${seriesKey(metric, labels)}`);
  }

  seriesCount(host?: string): number {
    return host === undefined ? this.ids.size : (this.hostSeries.get(host) ?? 0);
  }

  private addSeries(info: SeriesInfo): void {
    this.hostSeries.set(info.host, (this.hostSeries.get(info.host) ?? 0) + 1);
    this.series[info.id] = info;
    this.cols.ensure(info.id + 1);
    this.heads.ensure(info.id + 1);
  }

  appendValues(ts: number, ids: ArrayLike<number>, values: ArrayLike<number | null>): void {
    const walId = this.nextWalId;
    const out = this.walBytes;
    const start = out.len;
    out.reserve(ids.length * 18);
    let kept = 0;
    let prevId = 0;
    try {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (!this.series[id]) throw new Error(`unknown series id ${id}`);
        const v = values[i] ?? NaN;
        if (!this.push(id, ts, v, walId)) continue;
        out.varint(zigzag(id - prevId));
        out.float64(v);
        prevId = id;
        kept++;
      }
    } finally {
      // Whatever went into the heads goes into the log too, even if a bad id stopped the loop.
      if (kept) {
        this.nextWalId++;
        this.wal.push({ id: walId, ts, n: kept, start, end: out.len });
        this.walSamples += kept;
      }
    }
    if (this.walSamples >= this.o.commitSamples) this.flush();
    else this.scheduleCommit();
  }

  /**
   * Adds a sample to a series' head. A sample at or before the series' newest
   * is a replay (or a clock step back) and is dropped, so it can neither be
   * stored twice nor count twice in a rollup.
   */
  private push(id: number, ts: number, value: number, walId: number): boolean {
    const c = this.cols;
    if (ts <= c.lastTs[id]!) return false;
    c.lastTs[id] = ts;
    c.lastValue[id] = value;
    const h = this.heads;
    if (h.count[id] === 0) {
      c.walFrom[id] = walId;
      // Stagger the sealing over a second chunk age so a fleet's heads are not all written in the same second.
      const dueAt = (c.dueAt[id] = this.o.now() + this.o.chunkAgeMs + (id % 60) * (this.o.chunkAgeMs / 60));
      const second = Math.floor(dueAt / 1000);
      const list = this.due.get(second);
      if (list) list.push(id);
      else this.due.set(second, [id]);
    }
    h.push(id, ts, value);
    if (h.count[id]! >= MAX_CHUNK_SAMPLES || ts - h.firstTs[id]! >= MAX_CHUNK_SPAN_MS) this.seal(id);
    return true;
  }

  /** Copies a head into the next commit's chunks and frees it. */
  private seal(id: number): void {
    const h = this.heads;
    if (h.count[id] === 0) return;
    const start = this.sealedBytes.len;
    this.sealedBytes.append(h.bytes(id));
    this.sealed.push(id, h.firstTs[id]!, h.lastTs[id]!, h.count[id]!, start, this.sealedBytes.len);
    h.release(id);
    this.scheduleCommit();
  }

  private get pendingWork(): boolean {
    return this.wal.length > 0 || this.pendingSeq.size > 0 || this.sealed.length > 0 || this.newSeries.length > 0;
  }

  whenDurable(): Promise<void> {
    // Pending work goes with the next commit; otherwise the one in flight is the last that matters.
    if (this.pendingWork) return new Promise((resolve) => this.durableWaiters.push(resolve));
    if (this.inFlight) return new Promise((resolve) => this.inFlight!.waiters.push(resolve));
    return Promise.resolve();
  }

  /**
   * Sends what is pending (log rows, sealed chunks, new series, sequence
   * numbers) as one commit. One commit is in flight at a time, so they land in
   * order; what arrives meanwhile goes with the next. With the inline writer
   * the commit is on disk when this returns.
   */
  flush(): void {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    this.sealDue(this.o.now());
    if (this.inFlight || !this.pendingWork) return;
    const wal = new Float64Array(this.wal.length * WAL_FIELDS);
    this.wal.forEach((e, i) => wal.set([e.id, e.ts, e.n, e.start, e.end], i * WAL_FIELDS));
    const batch: CommitBatch = {
      seq: ++this.commitSeq,
      series: this.newSeries,
      wal,
      walBytes: this.walBytes.copy(),
      chunks: Float64Array.from(this.sealed),
      chunkBytes: this.sealedBytes.copy(),
      seqs: [...this.pendingSeq].map(([key, seq]) => [...(key.split('\u0000') as [string, string]), seq]),
      trimWalBelow: this.trimWalBelow,
      samples: this.walSamples,
    };
    this.inFlight = { batch, seqs: new Map(this.pendingSeq), waiters: this.durableWaiters };
    this.newSeries = [];
    this.wal = [];
    this.walBytes.len = 0;
    this.walSamples = 0;
    this.sealed = [];
    this.sealedBytes.len = 0;
    this.pendingSeq.clear();
    this.durableWaiters = [];
    this.send(batch);
  }

  private send(batch: CommitBatch): void {
    if (this.worker) {
      this.worker.postMessage({ type: 'commit', batch });
      return;
    }
    try {
      this.inline!.commit(batch);
    } catch (err) {
      this.failed((err as Error).message);
      return;
    }
    this.committed(batch.seq);
  }

  private committed(seq: number): void {
    const f = this.inFlight;
    if (!f || f.batch.seq !== seq) return;
    this.inFlight = null;
    this.failure = null;
    this.samplesWritten += f.batch.samples;
    for (const w of f.waiters) w();
    if (this.pendingWork) this.scheduleCommit();
  }

  /** A failed commit keeps everything (nothing is acknowledged meanwhile) and is sent again a second later. */
  private failed(error: string): void {
    if (this.failure !== error)
      this.o.log.error('writing history failed; retrying, and not acknowledging agents meanwhile', { error });
    this.failure = error;
    if (this.retryTimer || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.inFlight) this.send(this.inFlight.batch);
    }, 1000);
  }

  private scheduleCommit(delayMs = this.o.commitIntervalMs): void {
    if (this.commitTimer) return;
    // Not unref'd: a process must not exit with appended samples uncommitted (or a whenDurable() unresolved).
    this.commitTimer = setTimeout(() => this.flush(), delayMs);
  }

  /** The last commit error, until a commit succeeds again (for /healthz). */
  failure: string | null = null;

  /** Seals the heads that have reached their age. */
  private sealDue(now: number): void {
    const until = Math.floor(now / 1000);
    for (; this.dueCursor <= until; this.dueCursor++) {
      const ids = this.due.get(this.dueCursor);
      if (!ids) continue;
      this.due.delete(this.dueCursor);
      for (const id of ids) {
        // A head sealed early and started again has a later due time of its own.
        if (this.heads.count[id]! > 0 && Math.floor(this.cols.dueAt[id]! / 1000) <= this.dueCursor) this.seal(id);
      }
    }
  }

  /** Writes every head as a chunk (on close, and for tests and exports that read rollups). */
  sealAll(): void {
    for (const s of this.series) if (s) this.seal(s.id);
    this.flush();
  }

  /** Once a second: seal due heads and commit, work out how much of the log is still needed, prune a little. */
  private maintain(): void {
    this.flush();
    // Finding the oldest log row still needed walks every series: every few seconds is plenty.
    if (++this.maintenanceRuns % 5 === 0) this.trimWalBelow = this.oldestNeededWalId();
    try {
      this.prune(this.o.now());
    } catch (err) {
      this.o.log.error('pruning history failed', { error: (err as Error).message });
    }
  }

  /** Pruning runs where commits run: in the writer thread (which reports its own failures), or here. */
  private prune(now: number): void {
    if (this.worker) this.worker.postMessage({ type: 'prune', now });
    else this.inline?.prune(now);
  }

  /** The oldest log row holding a sample that is in no chunk yet: every open head's first. */
  private oldestNeededWalId(): number {
    let keepFrom = this.nextWalId;
    const h = this.heads.count;
    const walFrom = this.cols.walFrom;
    for (let id = 0; id < this.series.length; id++) if (h[id]! > 0 && walFrom[id]! < keepFrom) keepFrom = walFrom[id]!;
    return keepFrom;
  }

  /** Expired data goes a little at a time (see HistoryWriter.prune); exposed for tests. */
  pruneSome(now: number): void {
    this.flush();
    this.prune(now);
  }

  /**
   * The table and bucket size for a range: the coarsest stored resolution that
   * is at most twice the step ~maxPoints points would need (so a day reads 1440
   * one-minute rollups, not 86 400 raw points), with buckets a whole number of
   * that resolution. Sources whose retention does not reach back to `from` are
   * skipped.
   */
  resolutionFor(from: number, to: number, now = this.o.now()): { table: Resolution; stepMs: number } {
    const wanted = Math.max(1000, Math.ceil((to - from) / this.o.maxPoints));
    const retention: Record<Resolution, number> = {
      raw: this.o.rawRetentionMs,
      rollup_1m: this.o.minuteRetentionMs,
      rollup_1h: this.o.hourRetentionMs,
    };
    const usable = RESOLUTIONS.filter((r) => from >= now - retention[r.table] || r.table === 'rollup_1h');
    const source = [...usable].reverse().find((r) => r.stepMs <= 2 * wanted) ?? usable[0]!;
    return { table: source.table, stepMs: Math.ceil(wanted / source.stepMs) * source.stepMs };
  }

  query(q: SeriesQuery): SeriesResult[] {
    const { table, stepMs } = this.resolutionFor(q.from, q.to);
    const wanted = Object.entries(q.labels ?? {});
    const out: SeriesResult[] = [];
    // One read snapshot for the whole answer, with the number of the last commit in it.
    this.db.transaction(() => {
      const committed = this.committedSeq();
      for (const s of this.series) {
        if (!s || s.host !== q.host || s.metric !== q.metric) continue;
        if (!wanted.every(([k, v]) => s.labels[k] === v)) continue;
        // At full resolution, points keep their own timestamps; coarser ones are bucket starts.
        const points =
          table === 'raw'
            ? this.rawPoints(s, committed, q.from, q.to, stepMs)
            : this.rollupPoints(s, committed, table, q.from, q.to, stepMs);
        out.push({ metric: s.metric, labels: s.labels, points });
      }
    })();
    return out.sort((a, b) => seriesKey(a.metric, a.labels).localeCompare(seriesKey(b.metric, b.labels)));
  }

  /**
   * A series' samples that a reader whose snapshot holds commit `committed`
   * cannot find in the database: chunks of later commits (in flight or still
   * pending), then the head. All are newer than anything stored.
   */
  private eachUnstored(s: SeriesInfo, committed: number, each: (ts: number, v: number | null) => void): void {
    const id = s.id;
    const visit = (fields: ArrayLike<number>, bytes: Uint8Array) => {
      for (let i = 0; i < fields.length; i += CHUNK_FIELDS)
        if (fields[i] === id)
          decodeChunk(bytes.subarray(fields[i + 4], fields[i + 5]), fields[i + 1]!, fields[i + 3]!, each);
    };
    if (this.inFlight && this.inFlight.batch.seq > committed)
      visit(this.inFlight.batch.chunks, this.inFlight.batch.chunkBytes);
    visit(this.sealed, this.sealedBytes.view());
    const h = this.heads;
    if (h.count[id]! > 0) decodeChunk(h.bytes(id), h.firstTs[id]!, h.count[id]!, each);
  }

  /** Every sample of a series in [from, to], in time order: stored chunks, then the rest from memory. */
  private eachRaw(
    s: SeriesInfo,
    committed: number,
    from: number,
    to: number,
    each: (ts: number, v: number | null) => void,
  ): void {
    const visit = (ts: number, v: number | null) => {
      if (ts >= from && ts <= to) each(ts, v);
    };
    for (const c of this.stmt.chunksOf!.all(s.id, from - MAX_CHUNK_SPAN_MS, to, from) as {
      start_ts: number;
      n: number;
      data: Buffer;
    }[])
      this.readable(`chunk of series ${s.id} from ${c.start_ts}`, () => decodeChunk(c.data, c.start_ts, c.n, visit));
    this.eachUnstored(s, committed, visit);
  }

  private rawPoints(
    s: SeriesInfo,
    committed: number,
    from: number,
    to: number,
    stepMs: number,
  ): [number, number | null][] {
    const points: [number, number | null][] = [];
    if (stepMs === 1000) {
      this.eachRaw(s, committed, from, to, (ts, v) => points.push([ts, v]));
      return points;
    }
    // Bucket averages; a bucket of only nulls is null.
    let bucket = NaN;
    let sum = 0;
    let n = 0;
    const emit = () => {
      if (!Number.isNaN(bucket)) points.push([bucket, n ? sum / n : null]);
    };
    this.eachRaw(s, committed, from - (from % stepMs), to, (ts, v) => {
      const b = ts - (ts % stepMs);
      if (b !== bucket) {
        emit();
        bucket = b;
        sum = 0;
        n = 0;
      }
      if (v !== null) {
        sum += v;
        n++;
      }
    });
    emit();
    return points;
  }

  /** Rollup buckets of a series, with the samples not yet in any rollup row (unstored chunks, the head) added in. */
  private rollupPoints(
    s: SeriesInfo,
    committed: number,
    table: 'rollup_1m' | 'rollup_1h',
    from: number,
    to: number,
    stepMs: number,
  ): [number, number | null][] {
    const start = from - (from % stepMs);
    const buckets = new Map<number, { sum: number; count: number }>();
    const rows = this.db
      .prepare(
        `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, sum(sum) AS sum, sum(count) AS count FROM ${table} WHERE series_id = ? AND ts >= ? AND ts <= ? GROUP BY b ORDER BY b`,
      )
      .all(stepMs, stepMs, s.id, start, to) as { b: number; sum: number; count: number }[];
    // (Bucket sizes are cast: better-sqlite3 binds numbers as REAL, and REAL division would not group.)
    for (const r of rows) buckets.set(r.b, { sum: r.sum, count: r.count });
    this.eachUnstored(s, committed, (ts, v) => {
      if (v === null || ts < start || ts > to) return;
      const b = ts - (ts % stepMs);
      const a = buckets.get(b);
      if (a) {
        a.sum += v;
        a.count++;
      } else buckets.set(b, { sum: v, count: 1 });
    });
    return [...buckets].sort((a, b) => a[0] - b[0]).map(([b, a]) => [b, a.count ? a.sum / a.count : null]);
  }

  /** Rollup rows of a series, for tests and exports (heads not yet written are not in them: see sealAll). */
  rollups(
    table: 'rollup_1m' | 'rollup_1h',
    host: string,
    metric: string,
    labels: Record<string, string> = {},
  ): { ts: number; min: number; max: number; avg: number; last: number; count: number }[] {
    this.flush();
    const id = this.ids.get(`${host}\u0000${seriesKey(metric, labels)}`);
    if (id === undefined) return [];
    return this.db
      .prepare(`SELECT ts, min, max, sum / count AS avg, last, count FROM ${table} WHERE series_id = ? ORDER BY ts`)
      .all(id) as never;
  }

  /** Every stored sample of a series, oldest first, straight from the chunks and the head (for tests and exports). */
  rawSamples(host: string, metric: string, labels: Record<string, string> = {}): [number, number | null][] {
    const id = this.ids.get(`${host}\u0000${seriesKey(metric, labels)}`);
    const s = id === undefined ? undefined : this.series[id];
    if (!s) return [];
    const out: [number, number | null][] = [];
    this.db.transaction(() =>
      this.eachRaw(s, this.committedSeq(), -Infinity, Infinity, (ts, v) => out.push([ts, v])),
    )();
    return out;
  }

  *latest(): Iterable<LatestValue> {
    const { lastTs, lastValue } = this.cols;
    for (const s of this.series) {
      if (!s || lastTs[s.id] === -Infinity) continue;
      const v = lastValue[s.id]!;
      yield { host: s.host, metric: s.metric, labels: s.labels, ts: lastTs[s.id]!, value: Number.isNaN(v) ? null : v };
    }
  }

  storageErrors(): { at: number; message: string }[] {
    return this.errors.recent();
  }

  knownHosts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.latest()) out.set(l.host, Math.max(out.get(l.host) ?? 0, l.ts));
    return out;
  }

  lastSeq(agentId: string, session: string): number {
    const key = `${agentId}\u0000${session}`;
    const pending = this.pendingSeq.get(key) ?? this.inFlight?.seqs.get(key);
    if (pending !== undefined) return pending;
    return (this.stmt.getSeq!.get(agentId, session) as { last_seq: number } | undefined)?.last_seq ?? 0;
  }

  /** The sequence is committed in the same transaction as its batch's log row, so a crash can neither lose nor double a batch. */
  setLastSeq(agentId: string, session: string, seq: number): void {
    this.pendingSeq.set(`${agentId}\u0000${session}`, seq);
    this.scheduleCommit();
  }

  /** A clean stop writes every head as a chunk, so the next start has no log to replay. */
  async close(): Promise<void> {
    clearInterval(this.maintenanceTimer);
    for (const s of this.series) if (s) this.seal(s.id);
    this.trimWalBelow = this.nextWalId; // every sample is in a chunk of this last commit
    // Commits go one at a time: keep sending until nothing is left (or a failure is all there is).
    while (this.pendingWork || this.inFlight) {
      this.flush();
      const done = this.whenDurable();
      if (this.failure) break;
      await done;
    }
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.commitTimer) clearTimeout(this.commitTimer);
    if (this.worker) {
      const closed = new Promise<void>((resolve) =>
        this.worker!.on('message', (m: { type: string }) => m.type === 'closed' && resolve()),
      );
      this.worker.postMessage({ type: 'close' });
      await closed;
      await this.worker.terminate();
    }
    this.db.close();
  }

  /**
   * Databases written before chunks kept one row per sample in `samples`.
   * Their rows become chunks once, at the first start (rollups were already
   * kept then, so they are left as they are).
   */
  private migrateRowPerSampleTable(): void {
    const old = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'samples'").get();
    if (!old) return;
    const insert = this.db.prepare('INSERT INTO chunks (series_id, start_ts, end_ts, n, data) VALUES (?, ?, ?, ?, ?)');
    const rowsOf = this.db.prepare('SELECT ts, value FROM samples WHERE series_id = ? ORDER BY ts');
    // One series at a time (SQLite cannot insert while a read on the same connection is open).
    const ids = (this.db.prepare('SELECT DISTINCT series_id AS id FROM samples').all() as { id: number }[]).map(
      (r) => r.id,
    );
    this.db.transaction(() => {
      for (const id of ids) {
        let enc: ChunkEncoder | null = null;
        const write = (e: ChunkEncoder) => insert.run(id, e.firstTs, e.lastTs, e.count, asBuffer(e.view()));
        for (const r of rowsOf.all(id) as { ts: number; value: number | null }[]) {
          if (enc && (enc.count >= MAX_CHUNK_SAMPLES || r.ts - enc.firstTs >= MAX_CHUNK_SPAN_MS)) {
            write(enc);
            enc = null;
          }
          enc ??= new ChunkEncoder();
          enc.push(r.ts, r.value);
        }
        if (enc) write(enc);
      }
      this.db.exec('DROP TABLE samples');
    })();
  }
}

/** A series row's labels: a JSON object of strings. */
function labelsOf(json: string): Record<string, string> {
  const l = JSON.parse(json) as unknown;
  if (typeof l !== 'object' || l === null || Array.isArray(l) || Object.values(l).some((v) => typeof v !== 'string'))
    throw new Error('labels are not an object of strings');
  return l as Record<string, string>;
}

/** A log row's samples: per sample the series id as a zigzag varint delta, then the value as a float64. */
function walSamples(data: Buffer, n: number): [id: number, value: number][] {
  const r = new ByteReader(data);
  const out: [number, number][] = [];
  let id = 0;
  for (let i = 0; i < n; i++) {
    id += unzigzag(r.varint());
    out.push([id, r.float64()]);
  }
  if (r.pos !== data.length) throw new Error(`${data.length - r.pos} bytes left over after ${n} samples`);
  return out;
}
