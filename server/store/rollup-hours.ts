/**
 * Hour rollups made from minute rollups once an hour is done, rather than
 * merged from every chunk: a series' hour row is written once, when its
 * samples have moved on to a later hour, instead of once per chunk (~40
 * times an hour), which saved the writer thread a statement and a B-tree
 * page per chunk (BENCHMARKS.md, "Hour rollups from minute rollups").
 *
 * What holds after every commit, for each series: `rollup_1h` has rows only
 * for hours up to its newest row's hour F, each the aggregate of that hour's
 * `rollup_1m` rows; the series' later hours ("open" hours) are only in
 * `rollup_1m`, and readers aggregate them from there (OPEN_HOURS). Samples of
 * an hour that has a row already (a late chunk, an agent's outage buffer after
 * pruning wrote an idle series' hour) are merged into it as before. Databases
 * written before this kept a row for the hour in progress too; it satisfies
 * the same rule (it holds every stored sample of its hour), and the next
 * chunk's samples of that hour are merged into it.
 */
import type Database from 'better-sqlite3';
import { grown } from './heads.js';

const HOUR = 3_600_000;

/**
 * The hour rows aggregated from a series' minute rows with @from <= ts < @to.
 * An hour's last value is its newest minute's (series' samples are in time order).
 */
const HOURS_OF_MINUTES = `SELECT m.series_id AS series_id, (m.ts / ${HOUR}) * ${HOUR} AS ts, min(m.min) AS min, max(m.max) AS max,
  sum(m.sum) AS sum, sum(m.count) AS count,
  (SELECT l.last FROM rollup_1m l WHERE l.series_id = m.series_id AND l.ts < (m.ts / ${HOUR}) * ${HOUR} + ${HOUR} ORDER BY l.ts DESC LIMIT 1) AS last,
  max(m.last_ts) AS last_ts
  FROM rollup_1m m WHERE m.series_id = @id AND m.ts >= @from AND m.ts < @to GROUP BY 2`;

/** The newest hour with a row (F above), or null. */
export const NEWEST_HOUR = 'SELECT max(ts) AS f FROM rollup_1h WHERE series_id = ?';

/** A series' open hours, as rows of the hour table would hold them (@from: openFrom(), @to: exclusive). */
export const OPEN_HOURS = `${HOURS_OF_MINUTES} ORDER BY 2`;

/** Before any sample time (the earliest a Date can hold). */
const BEFORE_ALL = -8.64e15;

/** Where a series' open hours start, given its NEWEST_HOUR answer. */
export const openFrom = (newest: number | null): number => (newest === null ? BEFORE_ALL : newest + HOUR);

/** The writer's side: writes hour rows as hours are done, remembering each series' newest (F). */
export class HourRollups {
  private readonly newestOf: Database.Statement;
  private readonly replace: Database.Statement;
  /**
   * Per series id: its newest hour with a row; NaN unknown (looked up), -Infinity none, +Infinity none and
   * no minute row either (a series this writer created, before its first chunk: nothing to look up).
   */
  private newest = new Float64Array(0);

  constructor(db: Database.Database) {
    this.newestOf = db.prepare(NEWEST_HOUR);
    this.replace = db.prepare(
      `INSERT OR REPLACE INTO rollup_1h (series_id, ts, min, max, sum, count, last, last_ts) ${HOURS_OF_MINUTES}`,
    );
  }

  /**
   * A series created in this commit: it has no rollup row of any kind, so its
   * first chunk needs no look-up, and no hour before that chunk's own needs
   * a row (hours without minute rows have no samples).
   */
  created(id: number): void {
    this.grow(id);
    this.newest[id] = Infinity;
  }

  /** Before a chunk's samples go into minute rows: a created series' hours start at its first chunk's. */
  beforeChunk(id: number, startTs: number): void {
    if (this.newestHour(id) !== Infinity) return;
    // (The remainder of a time before 1970 is negative: such a series takes the general path.)
    this.newest[id] = startTs >= 0 ? startTs - (startTs % HOUR) - HOUR : -Infinity;
  }

  /** Where a series' open hours start: samples before this go into hour rows that exist (merged, as a late chunk's). */
  openFrom(id: number): number {
    return this.newestHour(id) + HOUR;
  }

  /**
   * After a chunk's minute rows are written: writes the hours it completes,
   * from the series' first open one to the one before its last sample's.
   */
  afterChunk(id: number, endTs: number): void {
    const f = this.newestHour(id);
    const to = endTs - (endTs % HOUR);
    if (f + HOUR >= to) return;
    this.replace.run({ id, from: Math.max(f + HOUR, BEFORE_ALL), to });
    // Hours in between without minute rows have no samples: no reader misses a row for them.
    this.newest[id] = to - HOUR;
  }

  /**
   * Writes a series' open hours that ended before `before` (pruning calls
   * this for a few series at a time): a series that stopped reporting gets its
   * last hour's row before its minute rows expire.
   */
  closeIdle(id: number, before: number): void {
    const from = this.newestHour(id) + HOUR;
    if (from >= before) return;
    if (this.replace.run({ id, from: Math.max(from, BEFORE_ALL), to: before }).changes > 0) this.newest[id] = NaN;
  }

  /** Forgets every series' newest hour (a failed transaction rolled back rows it was learnt from): looked up again. */
  forgetCached(): void {
    this.newest.fill(NaN);
  }

  private grow(id: number): void {
    if (id >= this.newest.length) this.newest = grown(this.newest, Math.max(id + 1, 2 * this.newest.length), NaN);
  }

  private newestHour(id: number): number {
    this.grow(id);
    let f = this.newest[id]!;
    if (f !== f) {
      f = (this.newestOf.get(id) as { f: number | null }).f ?? -Infinity;
      this.newest[id] = f;
    }
    return f;
  }
}
