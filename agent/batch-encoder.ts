import { MAX_SERIES_PER_SESSION, MAX_SERIES_TABLE_BYTES } from '../shared/wire.js';
import type { Batch, SeriesDef } from '../shared/protocol.js';
import {
  FLAG_INDEXES,
  binaryLayout,
  readBinaryHeader,
  writeBinaryBatch,
  type BinaryExtras,
} from '../shared/wire-binary.js';

type Extras = Pick<Batch, 'collectors' | 'stateKinds' | 'states'>;

/**
 * Turns batches into frames. Each series is named once per agent session —
 * in the first frame that carries it (`defs`) and in every hello (the whole
 * table, so a replay on a new connection still decodes) — and samples travel
 * as the series' indexes (left out when they are simply 0, 1, 2, …) and their
 * values as little-endian float64s, NaN for null: no decimal formatting or
 * parsing of numbers on either side. Protocol 3 (encodeBinary,
 * encodeValuesBinary) writes them into a binary frame as they are; protocol 2
 * (encode, encodeValues) into JSON, the values in base64 (`v`, about 11
 * characters each) and the indexes as `i`.
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

  /** A protocol-2 frame (JSON). */
  encode(batch: Batch): string {
    const { indexes, values } = this.slotsOf(batch);
    return this.encodeValues(batch.seq, batch.ts, indexes, values, batch);
  }

  /** A protocol-3 frame (binary, shared/wire-binary.ts). */
  encodeBinary(batch: Batch): Buffer {
    const { indexes, values } = this.slotsOf(batch);
    const packed = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) packed[j] = values[j] ?? NaN;
    return this.encodeValuesBinary(batch.seq, batch.ts, indexes, packed, packed.length, batch);
  }

  /** Each sample's series index and value, less those the full table left out. */
  private slotsOf(batch: Batch): { indexes: number[]; values: (number | null)[] } {
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
    return { indexes, values };
  }

  /** A frame from series indexes (from indexOf) and their values. */
  encodeValues(
    seq: number,
    ts: number,
    indexes: readonly number[],
    values: readonly (number | null)[],
    extras: Extras = {},
  ): string {
    const defs = this.takeDefs();
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

  /**
   * A protocol-3 frame from the first `n` series indexes (from indexOf;
   * null when they are 0, 1, 2, …) and values (NaN for null): the values are
   * copied into the frame as they are.
   */
  encodeValuesBinary(
    seq: number,
    ts: number,
    indexes: ArrayLike<number> | null,
    values: Float64Array,
    n: number,
    extras: Extras = {},
  ): Buffer {
    const defs = this.takeDefs();
    const rare: BinaryExtras = {
      ...(defs ? { defs } : {}),
      ...(extras.collectors ? { collectors: extras.collectors } : {}),
      ...(extras.stateKinds ? { stateKinds: extras.stateKinds } : {}),
      ...(extras.states ? { states: extras.states } : {}),
    };
    const ordered = indexes === null || inTableOrder(indexes, n);
    return writeBinaryBatch(seq, ts, values, n, ordered ? null : indexes, Object.keys(rare).length ? rare : null);
  }

  /** The definitions of series named since the last frame, for the next frame to carry. */
  private takeDefs(): [number, ...SeriesDef][] | undefined {
    if (!this.unannounced.length) return undefined;
    const defs = this.unannounced.map((i): [number, ...SeriesDef] => [i, ...this.table[i]!]);
    this.unannounced = [];
    return defs;
  }
}

/**
 * A protocol-3 frame as the protocol-2 frame with the same content, for a
 * server that speaks only 2: the transport keeps its frames binary and turns
 * them into JSON only on such a connection.
 */
export function binaryToJsonBatch(frame: Buffer): string {
  const h = readBinaryHeader(frame);
  const at = binaryLayout(h);
  const extras = h.extrasBytes
    ? (JSON.parse(frame.toString('utf8', at.extras, at.length)) as BinaryExtras)
    : ({} as BinaryExtras);
  const indexes =
    (h.flags & FLAG_INDEXES) !== 0
      ? Array.from({ length: h.count }, (_, j) => frame.readUInt16LE(at.indexes + 2 * j))
      : null;
  return JSON.stringify({
    type: 'batch',
    seq: h.seq,
    ts: h.ts,
    ...(extras.defs ? { defs: extras.defs } : {}),
    ...(indexes ? { i: indexes } : {}),
    v: frame.toString('base64', at.values, at.indexes),
    ...(extras.collectors ? { collectors: extras.collectors } : {}),
    ...(extras.stateKinds ? { stateKinds: extras.stateKinds } : {}),
    ...(extras.states ? { states: extras.states } : {}),
  });
}

/** Whether series indexes are 0, 1, 2, … (a frame then leaves them out). */
function inTableOrder(indexes: ArrayLike<number>, n: number): boolean {
  for (let j = 0; j < n; j++) if (indexes[j] !== j) return false;
  return true;
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
