import type Database from 'better-sqlite3';
import { seriesKey } from '../../shared/series-key.js';
import type { Appender } from './appender.js';
import { decodeChunk } from './chunk-codec.js';
import type { CommitPipeline } from './commit-pipeline.js';
import { CHUNK_FIELDS } from './history-writer.js';
import type { RowReader } from './integrity.js';
import { NEWEST_HOUR, OPEN_HOURS, openFrom } from './rollup-hours.js';
import { MAX_CHUNK_SPAN_MS } from './schema.js';
import type { SeriesInfo, SeriesTable } from './series-table.js';
import type { SeriesQuery, SeriesResult } from './store.js';

const HOUR = 3_600_000;
const RESOLUTIONS = [
  { table: 'raw', stepMs: 1000 },
  { table: 'rollup_1m', stepMs: 60_000 },
  { table: 'rollup_1h', stepMs: HOUR },
] as const;
export type Resolution = (typeof RESOLUTIONS)[number]['table'];
type RollupTable = Exclude<Resolution, 'raw'>;
type Each = (ts: number, v: number | null) => void;
type RollupRow = { ts: number; min: number; max: number; avg: number; last: number; count: number };
type StoredRollup = Omit<RollupRow, 'avg'> & { sum: number };

export interface ReaderOptions {
  /** How far back each resolution is kept. */
  retention: Record<Resolution, number>;
  /** At most this many points per series in a query answer. */
  maxPoints: number;
  now: () => number;
}

/**
 * The read side of the SQLite store: queries at the resolution a range
 * needs, from stored chunks and rollups plus what only memory holds yet. A
 * reader sees a consistent snapshot with the number of the last commit in it,
 * and adds the chunks of later commits (in flight or still pending) and the
 * heads from memory.
 */
export class HistoryReader {
  private readonly chunksOf: Database.Statement;
  private readonly newestHour: Database.Statement;
  private readonly openHours: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly series: SeriesTable,
    private readonly appender: Appender,
    private readonly pipeline: CommitPipeline,
    private readonly readRow: RowReader,
    private readonly o: ReaderOptions,
  ) {
    this.chunksOf = db.prepare(
      'SELECT start_ts, n, data FROM chunks WHERE series_id = ? AND start_ts >= ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts',
    );
    this.newestHour = db.prepare(NEWEST_HOUR);
    this.openHours = db.prepare(OPEN_HOURS);
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
    const usable = RESOLUTIONS.filter((r) => from >= now - this.o.retention[r.table] || r.table === 'rollup_1h');
    const source = [...usable].reverse().find((r) => r.stepMs <= 2 * wanted) ?? usable[0]!;
    return { table: source.table, stepMs: Math.ceil(wanted / source.stepMs) * source.stepMs };
  }

  query(q: SeriesQuery): SeriesResult[] {
    const { table, stepMs } = this.resolutionFor(q.from, q.to);
    const wanted = Object.entries(q.labels ?? {});
    const out: SeriesResult[] = [];
    // One read snapshot for the whole answer, with the number of the last commit in it.
    this.db.transaction(() => {
      const committed = this.pipeline.committedSeq();
      for (const id of this.series.hostIds(q.host)) {
        const s = this.series.info(id)!;
        if (s.metric !== q.metric) continue;
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

  /** Rollup rows of a series, hours still open aggregated from their minutes (heads not yet written are not in them). */
  rollupRows(table: RollupTable, s: SeriesInfo): RollupRow[] {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT ts, min, max, sum, count, last FROM ${table} WHERE series_id = ? ORDER BY ts`)
        .all(s.id) as StoredRollup[];
      if (table === 'rollup_1h') rows.push(...(this.openHourRows(s.id, Infinity) as StoredRollup[]));
      return rows.map(({ ts, min, max, sum, count, last }) => ({ ts, min, max, avg: sum / count, last, count }));
    })();
  }

  /** A series' hours that have no hour row yet, as rows (rollup-hours.ts), up to `before`. */
  private openHourRows(id: number, before: number): { ts: number; sum: number; count: number }[] {
    const from = openFrom((this.newestHour.get(id) as { f: number | null }).f);
    return this.openHours.all({ id, from, to: Math.min(before, 8.64e15) }) as never;
  }

  /** Every sample of a series, oldest first, from the chunks and memory. */
  allSamples(s: SeriesInfo): [number, number | null][] {
    const out: [number, number | null][] = [];
    this.db.transaction(() =>
      this.eachRaw(s, this.pipeline.committedSeq(), -Infinity, Infinity, (ts, v) => out.push([ts, v])),
    )();
    return out;
  }

  /**
   * A series' samples that a reader whose snapshot holds commit `committed`
   * cannot find in the database: chunks of later commits (in flight or still
   * pending), then the head. All are newer than anything stored.
   */
  private eachUnstored(s: SeriesInfo, committed: number, each: Each): void {
    const id = s.id;
    const visit = (fields: ArrayLike<number>, bytes: Uint8Array) => {
      for (let i = 0; i < fields.length; i += CHUNK_FIELDS)
        if (fields[i] === id)
          decodeChunk(bytes.subarray(fields[i + 4], fields[i + 5]), fields[i + 1]!, fields[i + 3]!, each);
    };
    // Staged samples into the head first (one may seal it, adding a chunk below).
    const h = this.appender.settled(id);
    const inFlight = this.pipeline.unseenInFlight(committed);
    if (inFlight) visit(inFlight.chunks, inFlight.chunkBytes);
    const sealed = this.appender.sealedChunks();
    visit(sealed.fields, sealed.bytes);
    if (h.count[id]! > 0) decodeChunk(h.bytes(id), h.firstTs[id]!, h.count[id]!, each);
  }

  /** Every sample of a series in [from, to], in time order: stored chunks, then the rest from memory. */
  private eachRaw(s: SeriesInfo, committed: number, from: number, to: number, each: Each): void {
    const visit = (ts: number, v: number | null) => {
      if (ts >= from && ts <= to) each(ts, v);
    };
    for (const c of this.chunksOf.all(s.id, from - MAX_CHUNK_SPAN_MS, to, from) as {
      start_ts: number;
      n: number;
      data: Buffer;
    }[])
      this.readRow(`chunk of series ${s.id} from ${c.start_ts}`, () => decodeChunk(c.data, c.start_ts, c.n, visit));
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
    table: RollupTable,
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
    // Hours still open are only in the minute table (whole hours, as rows are); a row, once written, holds the same.
    if (table === 'rollup_1h')
      for (const h of this.openHourRows(s.id, to - (to % HOUR) + HOUR)) {
        if (h.ts < start) continue;
        const b = h.ts - (h.ts % stepMs);
        const a = buckets.get(b);
        if (a) {
          a.sum += h.sum;
          a.count += h.count;
        } else buckets.set(b, { sum: h.sum, count: h.count });
      }
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
}
