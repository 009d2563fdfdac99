/**
 * Prometheus remote write 1.0 on the wire: a protobuf `WriteRequest`
 * compressed with snappy's block format. Only four messages are involved, so
 * they are written by hand (field numbers from prometheus/prompb types.proto):
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 */
import { compress } from 'snappyjs';

const LEN = 2; // wire type of a length-delimited field
const I64 = 1; // wire type of a fixed 64-bit field
const VARINT = 0;
const tag = (field: number, wire: number) => (field << 3) | wire;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes a non-negative integer (up to 2^53) as a protobuf varint; returns the offset after it. */
function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 128) {
    buf[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** The label pairs of a series as encoded `Label` fields (tag 1 of TimeSeries), sorted by name as the spec requires. */
export function encodeLabels(labels: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const name of Object.keys(labels).sort()) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(labels[name]!, 'utf8');
    const inner = 1 + varintSize(n.length) + n.length + 1 + varintSize(v.length) + v.length;
    const out = Buffer.alloc(1 + varintSize(inner) + inner);
    let at = writeVarint(out, 0, tag(1, LEN));
    at = writeVarint(out, at, inner);
    at = writeVarint(out, at, tag(1, LEN));
    at = writeVarint(out, at, n.length);
    at += n.copy(out, at);
    at = writeVarint(out, at, tag(2, LEN));
    at = writeVarint(out, at, v.length);
    v.copy(out, at);
    parts.push(out);
  }
  return Buffer.concat(parts);
}

/** The labels a stored sample is sent with: `__name__` from the catalogue's name, the host, then the series' own. */
export function remoteLabels(host: string, metric: string, labels?: Record<string, string>): Record<string, string> {
  return { host, ...labels, __name__: `tidemark_${metric}` };
}

/** One series and its samples in time order; `labels` from encodeLabels(). */
export interface SeriesSamples {
  labels: Buffer;
  timestamps: number[];
  values: number[];
}

function sampleSize(ts: number): number {
  return 1 + 8 + 1 + varintSize(ts);
}

/** The uncompressed WriteRequest; timestamps are milliseconds since the epoch (non-negative). */
function encodeWriteRequest(series: readonly SeriesSamples[]): Buffer {
  let total = 0;
  for (const s of series) {
    const inner = seriesSize(s);
    total += 1 + varintSize(inner) + inner;
  }
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const s of series) {
    at = writeVarint(buf, at, tag(1, LEN));
    at = writeVarint(buf, at, seriesSize(s));
    at += s.labels.copy(buf, at);
    for (let i = 0; i < s.timestamps.length; i++) {
      const ts = s.timestamps[i]!;
      at = writeVarint(buf, at, tag(2, LEN));
      at = writeVarint(buf, at, sampleSize(ts));
      at = writeVarint(buf, at, tag(1, I64));
      at = buf.writeDoubleLE(s.values[i]!, at);
      at = writeVarint(buf, at, tag(2, VARINT));
      at = writeVarint(buf, at, ts);
    }
  }
  if (at !== total) throw new Error(`WriteRequest size mismatch: wrote ${at} of ${total} bytes`);
  return buf;
}

function seriesSize(s: SeriesSamples): number {
  let size = s.labels.length;
  for (const ts of s.timestamps) {
    const inner = sampleSize(ts);
    size += 1 + varintSize(inner) + inner;
  }
  return size;
}

/** The request body: the WriteRequest, snappy-compressed (block format, no framing). */
export function writeRequestBody(series: readonly SeriesSamples[]): Buffer {
  const raw = encodeWriteRequest(series);
  const packed = compress(raw);
  return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
}
