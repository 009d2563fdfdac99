import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { seriesKey, type WireSample } from '../../shared/protocol.js';
import type { LatestValue, SeriesQuery, SeriesResult, Store } from './store.js';

export interface SqliteStoreOptions {
  file: string;
  /** Raw samples are kept this long (default 48 h). */
  rawRetentionMs?: number;
  /** 1-minute rollups (default 30 d) and 1-hour rollups (default 1 y). */
  minuteRetentionMs?: number;
  hourRetentionMs?: number;
  /** Buffered rows are written at least this often (default 250 ms) or when this many are waiting (default 20 000). */
  flushIntervalMs?: number;
  flushRows?: number;
  /** At most this many points per series in a query answer (default 2000). */
  maxPoints?: number;
}

const HOUR = 3_600_000;
/** Rows per multi-row INSERT (3 parameters each, well under SQLite's limit). */
const INSERT_CHUNK = 200;

function flatten(rows: readonly { seriesId: number; ts: number; value: number | null }[], from: number, n: number): (number | null)[] {
  const out: (number | null)[] = new Array(n * 3);
  for (let j = 0; j < n; j++) {
    const r = rows[from + j]!;
    out[3 * j] = r.seriesId;
    out[3 * j + 1] = r.ts;
    out[3 * j + 2] = r.value;
  }
  return out;
}
const DAY = 24 * HOUR;
const RESOLUTIONS = [
  { table: 'samples', stepMs: 1000 },
  { table: 'rollup_1m', stepMs: 60_000 },
  { table: 'rollup_1h', stepMs: HOUR },
] as const;

interface Pending {
  seriesId: number;
  ts: number;
  value: number | null;
}

interface Agg {
  min: number;
  max: number;
  sum: number;
  count: number;
  last: number;
  lastTs: number;
}

/**
 * History in SQLite (WAL): raw samples for 48 h, 1-minute and 1-hour rollups
 * (min, max, avg via sum/count, last) for 30 days and a year. Writes are
 * batched into one transaction per flush with rollups pre-aggregated in memory;
 * retention is pruned a few series at a time so no prune stalls ingestion.
 * Queries pick the coarsest resolution that still gives ~2000 points.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly seriesIds = new Map<string, number>();
  private readonly seriesInfo = new Map<number, { host: string; metric: string; labels: Record<string, string> }>();
  private readonly latestValues = new Map<number, { ts: number; value: number | null }>();
  private pending: Pending[] = [];
  private readonly pendingSeq = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private pruneCursor = 0;
  private readonly o: Required<Omit<SqliteStoreOptions, 'file'>>;
  private readonly stmt: Record<string, Database.Statement>;
  rowsWritten = 0;

  constructor(opts: SqliteStoreOptions) {
    this.o = {
      rawRetentionMs: opts.rawRetentionMs ?? 48 * HOUR,
      minuteRetentionMs: opts.minuteRetentionMs ?? 30 * DAY,
      hourRetentionMs: opts.hourRetentionMs ?? 365 * DAY,
      flushIntervalMs: opts.flushIntervalMs ?? 250,
      flushRows: opts.flushRows ?? 20_000,
      maxPoints: opts.maxPoints ?? 2000,
    };
    mkdirSync(path.dirname(opts.file), { recursive: true });
    this.db = new Database(opts.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across a process crash, fast
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, host TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS samples (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rollup_1m (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL, max REAL, sum REAL, count INTEGER, last REAL, last_ts INTEGER, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rollup_1h (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL, max REAL, sum REAL, count INTEGER, last REAL, last_ts INTEGER, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS agent_seq (agent_id TEXT NOT NULL, session TEXT NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (agent_id, session)) WITHOUT ROWID;
    `);
    const upsert = (t: string) =>
      this.db.prepare(`INSERT INTO ${t} (series_id, ts, min, max, sum, count, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (series_id, ts) DO UPDATE SET min = min(min, excluded.min), max = max(max, excluded.max), sum = sum + excluded.sum,
        count = count + excluded.count, last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END, last_ts = max(last_ts, excluded.last_ts)`);
    this.stmt = {
      insertSeries: this.db.prepare('INSERT INTO series (key, host, metric, labels) VALUES (?, ?, ?, ?)'),
      insertSample: this.db.prepare('INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES (?, ?, ?)'),
      insertMany: this.db.prepare(`INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES ${Array.from({ length: INSERT_CHUNK }, () => '(?, ?, ?)').join(', ')}`),
      upsert1m: upsert('rollup_1m'),
      upsert1h: upsert('rollup_1h'),
      getSeq: this.db.prepare('SELECT last_seq FROM agent_seq WHERE agent_id = ? AND session = ?'),
      setSeq: this.db.prepare('INSERT INTO agent_seq (agent_id, session, last_seq) VALUES (?, ?, ?) ON CONFLICT (agent_id, session) DO UPDATE SET last_seq = excluded.last_seq'),
    };
    for (const row of this.db.prepare('SELECT id, key, host, metric, labels FROM series').all() as { id: number; key: string; host: string; metric: string; labels: string }[]) {
      this.seriesIds.set(row.key, row.id);
      this.seriesInfo.set(row.id, { host: row.host, metric: row.metric, labels: JSON.parse(row.labels) as Record<string, string> });
    }
    const latest = this.db.prepare('SELECT series_id, ts, value FROM samples s WHERE ts = (SELECT max(ts) FROM samples WHERE series_id = s.series_id)').all() as { series_id: number; ts: number; value: number | null }[];
    for (const r of latest) this.latestValues.set(r.series_id, { ts: r.ts, value: r.value });
    this.pruneTimer = setInterval(() => this.pruneSome(Date.now()), 1000);
    this.pruneTimer.unref();
  }

  /** Agents send a series' labels in the same order every time: a cheap key in front of the canonical one. */
  private readonly fastIds = new Map<string, number>();

  private seriesId(host: string, metric: string, labels: Record<string, string> | undefined): number {
    const fast = `${host}\u0000${metric}\u0000${labels ? JSON.stringify(labels) : ''}`;
    const hit = this.fastIds.get(fast);
    if (hit !== undefined) return hit;
    const id = this.canonicalSeriesId(host, metric, labels);
    this.fastIds.set(fast, id);
    return id;
  }

  private canonicalSeriesId(host: string, metric: string, labels: Record<string, string> | undefined): number {
    const key = `${host}\u0000${seriesKey(metric, labels)}`;
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      const l = labels ?? {};
      id = Number(this.stmt.insertSeries!.run(key, host, metric, JSON.stringify(l)).lastInsertRowid);
      this.seriesIds.set(key, id);
      this.seriesInfo.set(id, { host, metric, labels: { ...l } });
    }
    return id;
  }

  append(host: string, ts: number, samples: readonly WireSample[]): void {
    for (const s of samples) {
      const id = this.seriesId(host, s.m, s.l);
      const prev = this.latestValues.get(id);
      // A series is stored in time order: a sample at or before the newest stored one is a replay
      // (or a clock step back) and is dropped, so it can neither be stored twice nor count twice in a rollup.
      if (prev && ts <= prev.ts) continue;
      this.pending.push({ seriesId: id, ts, value: s.v });
      this.latestValues.set(id, { ts, value: s.v });
    }
    if (this.pending.length >= this.o.flushRows) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.o.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  private durableWaiters: (() => void)[] = [];

  whenDurable(): Promise<void> {
    if (!this.pending.length && !this.pendingSeq.size) return Promise.resolve();
    return new Promise((resolve) => this.durableWaiters.push(resolve));
  }

  /** Writes everything buffered in one transaction. */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (!this.pending.length && !this.pendingSeq.size) return;
    const rows = this.pending;
    this.pending = [];
    const seqs = [...this.pendingSeq];
    this.pendingSeq.clear();
    const minute = new Map<string, Agg & { id: number; bucket: number }>();
    const hour = new Map<string, Agg & { id: number; bucket: number }>();
    const add = (m: typeof minute, id: number, bucket: number, ts: number, v: number) => {
      const k = `${id}:${bucket}`;
      const a = m.get(k);
      if (!a) m.set(k, { id, bucket, min: v, max: v, sum: v, count: 1, last: v, lastTs: ts });
      else {
        a.min = Math.min(a.min, v);
        a.max = Math.max(a.max, v);
        a.sum += v;
        a.count++;
        if (ts >= a.lastTs) {
          a.last = v;
          a.lastTs = ts;
        }
      }
    };
    this.db.transaction(() => {
      // Many rows per statement: the per-call cost, not SQLite, dominated one row per run().
      let i = 0;
      for (; i + INSERT_CHUNK <= rows.length; i += INSERT_CHUNK) this.stmt.insertMany!.run(flatten(rows, i, INSERT_CHUNK));
      for (; i < rows.length; i++) this.stmt.insertSample!.run(rows[i]!.seriesId, rows[i]!.ts, rows[i]!.value);
      for (const r of rows) {
        if (r.value === null) continue;
        add(minute, r.seriesId, r.ts - (r.ts % 60_000), r.ts, r.value);
        add(hour, r.seriesId, r.ts - (r.ts % HOUR), r.ts, r.value);
      }
      for (const a of minute.values()) this.stmt.upsert1m!.run(a.id, a.bucket, a.min, a.max, a.sum, a.count, a.last, a.lastTs);
      for (const a of hour.values()) this.stmt.upsert1h!.run(a.id, a.bucket, a.min, a.max, a.sum, a.count, a.last, a.lastTs);
      for (const [key, seq] of seqs) {
        const [agent, session] = key.split('\u0000') as [string, string];
        this.stmt.setSeq!.run(agent, session, seq);
      }
    })();
    this.rowsWritten += rows.length;
    const waiters = this.durableWaiters;
    this.durableWaiters = [];
    for (const w of waiters) w();
  }

  /** Deletes expired rows of a few series per call: many short deletes instead of one long one. */
  pruneSome(now: number, seriesPerCall = 200): void {
    const ids = [...this.seriesInfo.keys()];
    if (!ids.length) return;
    const del = [
      [this.db.prepare('DELETE FROM samples WHERE series_id = ? AND ts < ?'), now - this.o.rawRetentionMs],
      [this.db.prepare('DELETE FROM rollup_1m WHERE series_id = ? AND ts < ?'), now - this.o.minuteRetentionMs],
      [this.db.prepare('DELETE FROM rollup_1h WHERE series_id = ? AND ts < ?'), now - this.o.hourRetentionMs],
    ] as const;
    this.db.transaction(() => {
      for (let i = 0; i < Math.min(seriesPerCall, ids.length); i++) {
        const id = ids[this.pruneCursor++ % ids.length]!;
        for (const [stmt, before] of del) stmt.run(id, before);
      }
    })();
  }

  /**
   * The table and bucket size for a range: the coarsest stored resolution that
   * is at most twice the step ~maxPoints points would need (so a day reads 1440
   * one-minute rollups, not 86 400 raw rows), with buckets a whole number of
   * that resolution. Sources whose retention does not reach back to `from` are
   * skipped.
   */
  resolutionFor(from: number, to: number, now = Date.now()): { table: string; stepMs: number } {
    const wanted = Math.max(1000, Math.ceil((to - from) / this.o.maxPoints));
    const retention: Record<string, number> = { samples: this.o.rawRetentionMs, rollup_1m: this.o.minuteRetentionMs, rollup_1h: this.o.hourRetentionMs };
    const usable = RESOLUTIONS.filter((r) => from >= now - retention[r.table]! || r.table === 'rollup_1h');
    const source = [...usable].reverse().find((r) => r.stepMs <= 2 * wanted) ?? usable[0]!;
    return { table: source.table, stepMs: Math.ceil(wanted / source.stepMs) * source.stepMs };
  }

  query(q: SeriesQuery): SeriesResult[] {
    this.flush();
    const { table, stepMs } = this.resolutionFor(q.from, q.to);
    const wanted = Object.entries(q.labels ?? {});
    const out: SeriesResult[] = [];
    const raw = table === 'samples';
    const sql = raw
      ? `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, avg(value) AS v FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? GROUP BY b ORDER BY b`
      : `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, sum(sum) / sum(count) AS v FROM ${table} WHERE series_id = ? AND ts >= ? AND ts <= ? GROUP BY b ORDER BY b`;
    const stmt = this.db.prepare(sql);
    const exact = this.db.prepare('SELECT ts AS b, value AS v FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? ORDER BY ts');
    for (const [id, s] of this.seriesInfo) {
      if (s.host !== q.host || s.metric !== q.metric) continue;
      if (!wanted.every(([k, v]) => s.labels[k] === v)) continue;
      // At full resolution, points keep their own timestamps; coarser ones are bucket starts.
      // (Bucket sizes are cast: better-sqlite3 binds numbers as REAL, and REAL division would not group.)
      const rows = (raw && stepMs === 1000 ? exact.all(id, q.from, q.to) : stmt.all(stepMs, stepMs, id, q.from - (q.from % stepMs), q.to)) as { b: number; v: number | null }[];
      out.push({ metric: s.metric, labels: s.labels, points: rows.map((r) => [r.b, r.v]) });
    }
    return out.sort((a, b) => seriesKey(a.metric, a.labels).localeCompare(seriesKey(b.metric, b.labels)));
  }

  /** Rollup rows of a series, for tests and exports. */
  rollups(table: 'rollup_1m' | 'rollup_1h', host: string, metric: string, labels: Record<string, string> = {}): { ts: number; min: number; max: number; avg: number; last: number; count: number }[] {
    this.flush();
    const id = this.seriesIds.get(`${host}\u0000${seriesKey(metric, labels)}`);
    if (id === undefined) return [];
    return this.db.prepare(`SELECT ts, min, max, sum / count AS avg, last, count FROM ${table} WHERE series_id = ? ORDER BY ts`).all(id) as never;
  }

  *latest(): Iterable<LatestValue> {
    for (const [id, v] of this.latestValues) {
      const s = this.seriesInfo.get(id)!;
      yield { host: s.host, metric: s.metric, labels: s.labels, ts: v.ts, value: v.value };
    }
  }

  knownHosts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.latest()) out.set(l.host, Math.max(out.get(l.host) ?? 0, l.ts));
    return out;
  }

  lastSeq(agentId: string, session: string): number {
    const pending = this.pendingSeq.get(`${agentId}\u0000${session}`);
    if (pending !== undefined) return pending;
    return (this.stmt.getSeq!.get(agentId, session) as { last_seq: number } | undefined)?.last_seq ?? 0;
  }

  /** The sequence is committed in the same transaction as its batch's rows, so a crash can neither lose nor double a batch. */
  setLastSeq(agentId: string, session: string, seq: number): void {
    this.pendingSeq.set(`${agentId}\u0000${session}`, seq);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.o.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.flush();
    this.db.close();
  }
}
