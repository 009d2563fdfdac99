import { MAX_SERIES_PER_SESSION, MAX_SERIES_TABLE_BYTES } from '../shared/wire.js';
import type { Batch, SeriesDef } from '../shared/protocol.js';

type Extras = Pick<Batch, 'collectors' | 'stateKinds' | 'states'>;

/**
 * Turns batches into protocol-2 frames: each series is named once per agent
 * session — in the first frame that carries it (`defs`) and in every hello
 * (the whole table, so a replay on a new connection still decodes) — and
 * samples travel as the series' indexes (`i`, left out when they are simply
 * 0, 1, 2, …) and their values as little-endian float64s in base64 (`v`, NaN
 * for null): about 11 characters a value whatever its digits, and no decimal
 * formatting or parsing of numbers on either side.
 */
export class BatchEncoder {
  private readonly index = new Map<string, number>();
  private readonly table: SeriesDef[] = [];
  /** Defined but not yet carried by a frame. */
  private unannounced: number[] = [];
  /** The table's size as JSON (what every hello carries). */
  private tableBytes = 0;
  /** The previous frame's series by position: collectors emit the same series in the same order every tick. */
  private lastMetric: string[] = [];
  private lastLabels: (Record<string, string> | undefined)[] = [];
  private lastIndex: number[] = [];
  /** Samples left out because the session's table is full (MAX_SERIES_PER_SESSION series or MAX_SERIES_TABLE_BYTES). */
  overflow = 0;

  constructor(
    private readonly maxSeries = MAX_SERIES_PER_SESSION,
    private readonly maxTableBytes = MAX_SERIES_TABLE_BYTES,
  ) {}

  /** The session's series table, index = position, for the hello. */
  series(): readonly SeriesDef[] {
    return this.table;
  }

  /** A series' index, naming it on first use; -1 once the table is full. */
  indexOf(metric: string, labels: Record<string, string> | undefined): number {
    // Collectors build a series' labels in the same order every time, so this cheap key is stable.
    const key = labels ? `${metric}\u0000${JSON.stringify(labels)}` : metric;
    let i = this.index.get(key);
    if (i === undefined) {
      const def: SeriesDef = labels && Object.keys(labels).length ? [metric, { ...labels }] : [metric];
      const bytes = Buffer.byteLength(JSON.stringify(def)) + 1; // and a comma
      if (this.table.length >= this.maxSeries || this.tableBytes + bytes > this.maxTableBytes) return -1;
      i = this.table.length;
      this.table.push(def);
      this.tableBytes += bytes;
      this.index.set(key, i);
      this.unannounced.push(i);
    }
    return i;
  }

  encode(batch: Batch): string {
    const n = batch.samples.length;
    const indexes: number[] = [];
    const values: (number | null)[] = [];
    const metric = this.lastMetric;
    const labels = this.lastLabels;
    const index = this.lastIndex;
    for (let j = 0; j < n; j++) {
      const s = batch.samples[j]!;
      // The series at this position last frame, compared field by field: no key string per sample.
      let i = j < metric.length && metric[j] === s.m && sameLabels(labels[j], s.l) ? index[j]! : -2;
      if (i === -2) {
        i = this.indexOf(s.m, s.l);
        metric[j] = s.m;
        labels[j] = s.l ? { ...s.l } : undefined; // a copy: a collector may reuse and change its label object
        index[j] = i;
      }
      if (i < 0) this.overflow++;
      else {
        indexes.push(i);
        values.push(s.v);
      }
    }
    metric.length = labels.length = index.length = n;
    return this.encodeValues(batch.seq, batch.ts, indexes, values, batch);
  }

  /** A frame from series indexes (from indexOf) and their values. */
  encodeValues(
    seq: number,
    ts: number,
    indexes: readonly number[],
    values: readonly (number | null)[],
    extras: Extras = {},
  ): string {
    let defs: [number, ...SeriesDef][] | undefined;
    if (this.unannounced.length) {
      defs = this.unannounced.map((i) => [i, ...this.table[i]!]);
      this.unannounced = [];
    }
    const packed = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) packed[j] = values[j] ?? NaN;
    return JSON.stringify({
      type: 'batch',
      seq,
      ts,
      ...(defs ? { defs } : {}),
      ...(indexes.every((i, j) => i === j) ? {} : { i: indexes }),
      v: Buffer.from(packed.buffer).toString('base64'),
      ...(extras.collectors ? { collectors: extras.collectors } : {}),
      ...(extras.stateKinds ? { stateKinds: extras.stateKinds } : {}),
      ...(extras.states ? { states: extras.states } : {}),
    });
  }
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (!a || !b) return a === b;
  let count = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    count++;
  }
  for (const k in b) if (Object.hasOwn(b, k)) count--;
  return count === 0;
}
