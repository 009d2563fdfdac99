import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '../../shared/log.js';
import { Appender } from './appender.js';
import { CommitPipeline } from './commit-pipeline.js';
import { HistoryReader, type Resolution } from './history-reader.js';
import { StorageErrors, rowReader } from './integrity.js';
import { replay } from './replay.js';
import { openHistoryDb, prepareSchema } from './schema.js';
import { SeriesTable } from './series-table.js';
import type { LatestValue, SeriesQuery, SeriesResult, Store } from './store.js';
import { errorMessage } from '../../shared/errors.js';

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
 * The parts, split by path as Prometheus splits its head: series-table.ts
 * (names to numbers), appender.ts (append and seal), commit-pipeline.ts
 * (commits and the writer thread's supervision; the writer itself is
 * history-writer.ts), history-reader.ts (reads and resolution), replay.ts
 * (what a start reads back) and schema.ts (tables and migration). This class
 * wires them together behind the Store interface.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly series: SeriesTable;
  private readonly appender: Appender;
  private readonly pipeline: CommitPipeline;
  private readonly reader: HistoryReader;
  private readonly now: () => number;
  private readonly log: Logger;
  readonly errors: StorageErrors;
  private readonly maintenanceTimer: NodeJS.Timeout;
  private maintenanceRuns = 0;

  constructor(opts: SqliteStoreOptions) {
    const retention: Record<Resolution, number> = {
      raw: opts.rawRetentionMs ?? 48 * HOUR,
      rollup_1m: opts.minuteRetentionMs ?? 30 * DAY,
      rollup_1h: opts.hourRetentionMs ?? 365 * DAY,
    };
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? createLogger('warn', 'tidemark/store');
    this.errors = opts.errors ?? new StorageErrors();
    mkdirSync(path.dirname(opts.file), { recursive: true });
    const db = (this.db = openHistoryDb(opts.file));
    prepareSchema(db);
    const max = (table: string, column = 'id') =>
      (db.prepare(`SELECT max(${column}) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0;
    this.appender = new Appender(max('wal_block', 'last_id'), {
      now: this.now,
      chunkAgeMs: opts.chunkAgeMs ?? 60_000,
      commitSamples: opts.commitSamples ?? 50_000,
      isSeries: (id) => this.series.has(id),
      onPending: (now) => (now ? this.pipeline.flush() : this.pipeline.schedule()),
    });
    this.series = new SeriesTable(
      max('series'),
      (n) => this.appender.ensure(n),
      () => this.pipeline.schedule(),
    );
    this.pipeline = new CommitPipeline(
      db,
      {
        prepare: () => this.appender.sealDue(this.now()),
        hasPending: () => this.series.hasCreated || this.appender.hasPending,
        take: () => ({ series: this.series.takeCreated(), ...this.appender.take() }),
      },
      {
        file: opts.file,
        retention: { rawMs: retention.raw, minuteMs: retention.rollup_1m, hourMs: retention.rollup_1h },
        writer: opts.writer ?? (import.meta.url.endsWith('.ts') ? 'inline' : 'worker'),
        commitIntervalMs: opts.commitIntervalMs ?? 100,
        log: this.log,
      },
    );
    const readRow = rowReader(this.errors, opts.file, this.log);
    replay(db, this.series, this.appender, readRow);
    this.appender.refreshTrim();
    this.reader = new HistoryReader(db, this.series, this.appender, this.pipeline, readRow, {
      retention,
      maxPoints: opts.maxPoints ?? 2000,
      now: this.now,
    });
    this.maintenanceTimer = setInterval(() => this.maintain(), 1000);
    this.maintenanceTimer.unref();
  }

  seriesId(host: string, metric: string, labels: Record<string, string> | undefined): number {
    return this.series.idOf(host, metric, labels);
  }

  findSeriesId(host: string, metric: string, labels: Record<string, string> | undefined): number | undefined {
    return this.series.find(host, metric, labels);
  }

  seriesCount(host?: string): number {
    return this.series.count(host);
  }

  appendValues(ts: number, ids: ArrayLike<number>, values: ArrayLike<number | null>): void {
    this.appender.appendValues(ts, ids, values);
  }

  /** Samples committed to disk since start. */
  get samplesWritten(): number {
    return this.pipeline.samplesWritten;
  }

  /** The last commit error, until a commit succeeds again (for /healthz). */
  get failure(): string | null {
    return this.pipeline.failure;
  }

  whenDurable(): Promise<void> {
    return this.pipeline.whenDurable();
  }

  /** Commits what is pending now (see CommitPipeline.flush); with the inline writer it is on disk when this returns. */
  flush(): void {
    this.pipeline.flush();
  }

  /** Writes every head as a chunk (for tests and exports that read rollups). */
  sealAll(): void {
    this.appender.sealAll();
    this.flush();
  }

  /** Once a second: seal due heads and commit, work out how much of the log is still needed, prune a little. */
  private maintain(): void {
    this.flush();
    // Finding the oldest log row still needed walks every series: every few seconds is plenty.
    if (++this.maintenanceRuns % 5 === 0) this.appender.refreshTrim();
    try {
      this.pipeline.prune(this.now());
    } catch (err) {
      this.log.error('pruning history failed', { error: errorMessage(err) });
    }
  }

  /** Expired data goes a little at a time (see HistoryWriter.prune); exposed for tests. */
  pruneSome(now: number): void {
    this.flush();
    this.pipeline.prune(now);
  }

  resolutionFor(from: number, to: number, now = this.now()): { table: Resolution; stepMs: number } {
    return this.reader.resolutionFor(from, to, now);
  }

  query(q: SeriesQuery): SeriesResult[] {
    return this.reader.query(q);
  }

  /** Rollup rows of a series, for tests and exports (heads not yet written are not in them: see sealAll). */
  rollups(
    table: 'rollup_1m' | 'rollup_1h',
    host: string,
    metric: string,
    labels: Record<string, string> = {},
  ): { ts: number; min: number; max: number; avg: number; last: number; count: number }[] {
    // Heads sealed by their size are in rollups as soon as committed: staged samples may seal some.
    this.appender.settleAll();
    this.flush();
    const s = this.series.get(host, metric, labels);
    return s ? this.reader.rollupRows(table, s) : [];
  }

  /** Every stored sample of a series, oldest first, straight from the chunks and the head (for tests and exports). */
  rawSamples(host: string, metric: string, labels: Record<string, string> = {}): [number, number | null][] {
    const s = this.series.get(host, metric, labels);
    return s ? this.reader.allSamples(s) : [];
  }

  *latest(): Iterable<LatestValue> {
    const { lastTs, lastValue } = this.appender.cols;
    for (const id of this.series.ids()) {
      if (lastTs[id] === -Infinity) continue;
      const s = this.series.info(id)!;
      const v = lastValue[id]!;
      yield { host: s.host, metric: s.metric, labels: s.labels, ts: lastTs[id]!, value: Number.isNaN(v) ? null : v };
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
    return this.pipeline.lastSeq(agentId, session);
  }

  durableSeq(agentId: string, session: string): number {
    return this.pipeline.durableSeq(agentId, session);
  }

  /** The sequence is committed in the same transaction as its batch's log row, so a crash can neither lose nor double a batch. */
  setLastSeq(agentId: string, session: string, seq: number): void {
    this.pipeline.setLastSeq(agentId, session, seq);
  }

  /** A clean stop writes every head as a chunk, so the next start has no log to replay. */
  async close(): Promise<void> {
    clearInterval(this.maintenanceTimer);
    this.appender.sealForClose();
    await this.pipeline.close();
    this.db.close();
  }
}
