/**
 * The on-disk queue's record format. A segment file is a sequence of records,
 * each `type (u8) | payload length (u32 LE) | payload`:
 *
 *   series (1): id (u32) | the series' labels, already encoded as remote-write `Label` fields
 *   data   (2): first sample number (f64) | write time ms (f64) | sample time ms (f64) |
 *               count n (u32) | n series ids (u32 each) | n values (f64 each)
 *
 * Series ids are scoped to their segment: a segment defines every series it
 * uses before its first data record, so a reader needs nothing but the segment.
 * Sample numbers count every sample ever queued, so a position in the queue is
 * one number that survives restarts.
 */

const SERIES_RECORD = 1;
export const DATA_RECORD = 2;
const HEADER_BYTES = 5;
const DATA_FIXED = 8 + 8 + 8 + 4;

export function seriesRecord(id: number, labels: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + 4 + labels.length);
  out[0] = SERIES_RECORD;
  out.writeUInt32LE(4 + labels.length, 1);
  out.writeUInt32LE(id, HEADER_BYTES);
  labels.copy(out, HEADER_BYTES + 4);
  return out;
}

export function dataRecord(
  firstSample: number,
  writeMs: number,
  ts: number,
  ids: readonly number[],
  values: readonly number[],
): Buffer {
  const n = ids.length;
  const payload = DATA_FIXED + 12 * n;
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload);
  out[0] = DATA_RECORD;
  out.writeUInt32LE(payload, 1);
  let at = HEADER_BYTES;
  at = out.writeDoubleLE(firstSample, at);
  at = out.writeDoubleLE(writeMs, at);
  at = out.writeDoubleLE(ts, at);
  at = out.writeUInt32LE(n, at);
  for (let i = 0; i < n; i++) at = out.writeUInt32LE(ids[i]!, at);
  for (let i = 0; i < n; i++) at = out.writeDoubleLE(values[i]!, at);
  return out;
}

interface SeriesEntry {
  type: typeof SERIES_RECORD;
  id: number;
  labels: Buffer;
}

interface DataEntry {
  type: typeof DATA_RECORD;
  firstSample: number;
  writeMs: number;
  ts: number;
  ids: number[];
  values: number[];
}

export type QueueRecord = SeriesEntry | DataEntry;

export class CorruptRecord extends Error {}

/**
 * The record at `at`, and where the next one starts; null when the buffer ends
 * inside it (a record still being written, or a torn tail after a crash).
 */
export function readRecord(buf: Buffer, at: number): { record: QueueRecord; next: number } | null {
  if (buf.length - at < HEADER_BYTES) return null;
  const type = buf[at]!;
  const length = buf.readUInt32LE(at + 1);
  const start = at + HEADER_BYTES;
  if (buf.length - start < length) return null;
  const next = start + length;
  if (type === SERIES_RECORD) {
    if (length < 4) throw new CorruptRecord(`series record of ${length} bytes at ${at}`);
    return { record: { type, id: buf.readUInt32LE(start), labels: buf.subarray(start + 4, next) }, next };
  }
  if (type !== DATA_RECORD || length < DATA_FIXED) throw new CorruptRecord(`unknown record type ${type} at ${at}`);
  const n = buf.readUInt32LE(start + 24);
  if (length !== DATA_FIXED + 12 * n) throw new CorruptRecord(`data record of ${length} bytes for ${n} samples`);
  const ids: number[] = new Array<number>(n);
  const values: number[] = new Array<number>(n);
  let p = start + DATA_FIXED;
  for (let i = 0; i < n; i++, p += 4) ids[i] = buf.readUInt32LE(p);
  for (let i = 0; i < n; i++, p += 8) values[i] = buf.readDoubleLE(p);
  return {
    record: {
      type,
      firstSample: buf.readDoubleLE(start),
      writeMs: buf.readDoubleLE(start + 8),
      ts: buf.readDoubleLE(start + 16),
      ids,
      values,
    },
    next,
  };
}
