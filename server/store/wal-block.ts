/**
 * The write-ahead log's form on disk: one `wal_block` row per commit, holding
 * every batch appended since the commit before (rather than one row per
 * batch: a commit at a few thousand agents holds a few hundred batches, and
 * one insert of a few hundred kilobytes costs far less than hundreds of small
 * ones, and so does deleting them).
 *
 * A row: `id` is its first batch's log id and `last_id` its last one's (log
 * ids number batches; a series' open head remembers the id its samples start
 * at, and rows are deleted once every batch in them is below all of those);
 * `n` counts the samples; `batches` holds, per batch, four varints: the id's
 * step from the previous batch's (the first's from the row's id, so 0), the
 * timestamp zigzag'd as a step from the previous batch's (the first's from 0),
 * the sample count and the byte length; `data` holds the batches' samples one
 * after another, each the series id as a zigzag varint step from the previous
 * one in its batch, then the value as a float64 (NaN for null).
 */
import { ByteReader, ByteWriter, unzigzag, zigzag } from './bytes.js';

/** Numbers per batch in a commit's `wal` array: log id, ts, sample count, and its bytes' start and end in walBytes. */
export const WAL_FIELDS = 5;

/** A block's `batches` column for a commit's log entries (WAL_FIELDS numbers each). */
export function walBlockIndex(wal: Float64Array): Uint8Array {
  const out = new ByteWriter(wal.length * 6 + 16);
  let prevId = wal[0] ?? 0;
  let prevTs = 0;
  for (let i = 0; i < wal.length; i += WAL_FIELDS) {
    const [id, ts, n, start, end] = [wal[i]!, wal[i + 1]!, wal[i + 2]!, wal[i + 3]!, wal[i + 4]!];
    out.reserve(40);
    out.varint(id - prevId);
    out.varint(zigzag(ts - prevTs));
    out.varint(n);
    out.varint(end - start);
    prevId = id;
    prevTs = ts;
  }
  return out.view();
}

/** A block's `data` column: the entries' bytes back to back (the commit's own bytes, uncopied, when they already are). */
export function walBlockData(wal: Float64Array, walBytes: Uint8Array): Uint8Array {
  let contiguous = wal.length === 0 || wal[3] === 0;
  let size = 0;
  for (let i = 0; i < wal.length; i += WAL_FIELDS) {
    if (i > 0 && wal[i + 3] !== wal[i - 1]) contiguous = false;
    size += wal[i + 4]! - wal[i + 3]!;
  }
  if (contiguous) return walBytes.subarray(0, size);
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < wal.length; i += WAL_FIELDS) {
    out.set(walBytes.subarray(wal[i + 3], wal[i + 4]), at);
    at += wal[i + 4]! - wal[i + 3]!;
  }
  return out;
}

/** A block read back: per batch its log id, time and sample count; per sample its series id and value (NaN for null). */
export interface WalBlock {
  batches: { id: number; ts: number; n: number }[];
  series: Float64Array;
  values: Float64Array;
}

/** Decodes a whole block; throws (so the caller can skip it entire) if any part does not add up. */
export function readWalBlock(row: {
  id: number;
  last_id: number;
  n: number;
  batches: Uint8Array;
  data: Uint8Array;
}): WalBlock {
  // Each sample takes at least 9 bytes (a varint and a float64): a damaged count must not size the arrays.
  if (!(Number.isInteger(row.n) && row.n >= 0 && row.n * 9 <= row.data.length))
    throw new Error(`the row counts ${row.n} samples in ${row.data.length} bytes`);
  const index = new ByteReader(row.batches);
  const data = new ByteReader(row.data);
  const out: WalBlock = { batches: [], series: new Float64Array(row.n), values: new Float64Array(row.n) };
  let id = row.id;
  let ts = 0;
  let k = 0;
  while (!index.done) {
    id += index.varint();
    ts += unzigzag(index.varint());
    const n = index.varint();
    const end = data.pos + index.varint();
    if (k + n > row.n) throw new Error(`more than the ${row.n} samples the row counts`);
    let seriesId = 0;
    for (let i = 0; i < n; i++, k++) {
      seriesId += unzigzag(data.varint());
      out.series[k] = seriesId;
      out.values[k] = data.float64();
    }
    if (data.pos !== end) throw new Error(`batch ${id} is ${data.pos - end} bytes off its stated length`);
    out.batches.push({ id, ts, n });
  }
  if (k !== row.n) throw new Error(`${k} samples where the row counts ${row.n}`);
  if (id !== row.last_id) throw new Error(`last batch is ${id} where the row says ${row.last_id}`);
  if (!data.done) throw new Error(`${row.data.length - data.pos} bytes left over after ${k} samples`);
  return out;
}
