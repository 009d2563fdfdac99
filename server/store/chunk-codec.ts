/**
 * Compact encoding of one series' samples, after Facebook's Gorilla (VLDB 2015)
 * but byte- rather than bit-aligned, which is much cheaper in JavaScript:
 *
 * - timestamps: delta of delta as a zigzag varint, so a steady 1 s interval
 *   costs one byte a sample;
 * - values: XOR with the previous value's IEEE-754 bits; a control byte holds
 *   the count of zero bytes at the top (high nibble) and of meaningful bytes
 *   (low nibble), followed by those bytes. An unchanged value is one byte
 *   (0x00); a null ("could not be computed") is one byte (0xFF).
 *
 * Monitoring values move slowly or not at all, so a chunk costs about 2–6
 * bytes a sample instead of 16. Both directions live here: `encodeSample`
 * appends one sample (the store's heads, heads.ts, call it for every sample;
 * ChunkEncoder wraps it for one series), `decodeChunk` reads a whole chunk back.
 */
import { unzigzag, writeVarint, zigzag } from './bytes.js';

/** Control bytes of the value encoding: unchanged value, and no value. */
const SAME = 0x00;
const NULL = 0xff;
/** Worst case for one sample: a 10-byte varint, the control byte and 8 value bytes. */
export const MAX_SAMPLE_BYTES = 19;

// One shared scratch word: a value's IEEE-754 bits as two 32-bit halves (little-endian on every platform Node runs on here).
const scratch = new Float64Array(1);
const halves = new Int32Array(scratch.buffer);

/** Count of zero bits below the lowest set bit of a non-zero 32-bit integer. */
const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

/**
 * Writes one sample at `pos` (the caller leaves MAX_SAMPLE_BYTES of room) and
 * returns the position after it. `dod` is the timestamp's delta of delta (0
 * for a chunk's first sample); the previous non-null value's bits — the XOR
 * reference, zero at a chunk's start — are `prevBits[at]` (low half) and
 * `prevBits[at + 1]` (high half), and are updated here.
 */
export function encodeSample(
  buf: Uint8Array,
  pos: number,
  dod: number,
  value: number | null,
  prevBits: Int32Array,
  at: number,
): number {
  pos = writeVarint(buf, pos, zigzag(dod));
  if (value === null || value !== value) {
    buf[pos++] = NULL;
    return pos;
  }
  scratch[0] = value;
  const lo = halves[0]!;
  const hi = halves[1]!;
  const xlo = lo ^ prevBits[at]!;
  const xhi = hi ^ prevBits[at + 1]!;
  if (xlo === 0 && xhi === 0) {
    buf[pos++] = SAME;
    return pos;
  }
  prevBits[at] = lo;
  prevBits[at + 1] = hi;
  // Zero bytes at the top (most significant) and at the bottom of the XOR; the rest is written, lowest first.
  const leading = xhi !== 0 ? Math.clz32(xhi) >> 3 : 4 + (Math.clz32(xlo) >> 3);
  const trailing = xlo !== 0 ? ctz32(xlo) >> 3 : 4 + (ctz32(xhi) >> 3);
  buf[pos++] = (leading << 4) | (8 - leading - trailing);
  for (let b = trailing; b < 8 - leading; b++) buf[pos++] = (b < 4 ? xlo >>> (8 * b) : xhi >>> (8 * (b - 4))) & 0xff;
  return pos;
}

/**
 * One series' samples encoded as they arrive (for tools, the migration of old
 * databases and tests; the store keeps its heads in a HeadTable).
 */
export class ChunkEncoder {
  private buf: Uint8Array;
  private used = 0;
  private prevDelta = 0;
  private readonly prevBits = new Int32Array(2);
  count = 0;
  firstTs = 0;
  lastTs = 0;

  /** `initialBytes`: a good guess saves regrowing the buffer. */
  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(Math.max(initialBytes, MAX_SAMPLE_BYTES + 1));
  }

  /** Appends a sample (null or NaN: no value); `ts` must be later than the previous one. */
  push(ts: number, value: number | null): void {
    if (this.used + MAX_SAMPLE_BYTES > this.buf.length) {
      const next = new Uint8Array(2 * this.buf.length);
      next.set(this.buf.subarray(0, this.used));
      this.buf = next;
    }
    let dod = 0;
    if (this.count === 0) this.firstTs = ts;
    else {
      const delta = ts - this.lastTs;
      dod = delta - this.prevDelta;
      this.prevDelta = delta;
    }
    this.used = encodeSample(this.buf, this.used, dod, value, this.prevBits, 0);
    this.lastTs = ts;
    this.count++;
  }

  get byteLength(): number {
    return this.used;
  }

  /** The encoded bytes, without copying (valid until the next push). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.used);
  }

  /** The encoded bytes, copied. */
  bytes(): Uint8Array {
    return this.view().slice();
  }
}

/**
 * Decodes a chunk: `firstTs` and `count` come from the chunk's row. Calls
 * `each(ts, value)` in time order. Throws on a truncated or malformed chunk.
 */
export function decodeChunk(
  bytes: Uint8Array,
  firstTs: number,
  count: number,
  each: (ts: number, value: number | null) => void,
): void {
  checkChunkCount(bytes, count);
  const ts = new Float64Array(count);
  const values = new Float64Array(count);
  decodeChunkInto(bytes, firstTs, count, ts, values);
  for (let i = 0; i < count; i++) each(ts[i]!, values[i] === values[i] ? values[i]! : null);
}

/** Bytes a sample takes at the least: a one-byte timestamp varint and a one-byte control (unchanged or no value). */
const MIN_SAMPLE_BYTES = 2;

/**
 * Refuses a sample count the chunk's bytes cannot hold (a damaged row's count
 * must not size arrays: 1e9 would ask for 16 GB before any byte is read).
 */
export function checkChunkCount(bytes: Uint8Array, count: number): void {
  if (!(Number.isInteger(count) && count >= 0 && count * MIN_SAMPLE_BYTES <= bytes.length))
    throw new Error(`chunk counts ${count} samples in ${bytes.length} bytes`);
}

// The XOR reference of decodeChunkInto: the previous value's bytes, and the same bytes read as a float64.
const prevBytes = new Uint8Array(8);
const prevValue = new Float64Array(prevBytes.buffer);

const truncated = (at: number, len: number) => new Error(`chunk truncated at byte ${at} of ${len}`);

/**
 * Decodes a chunk into `ts` and `values` (NaN for no value), which hold at
 * least `count` numbers. One loop with no call per sample, and a one-byte
 * timestamp (a steady interval's) read with integer operations: the writer
 * thread decodes every chunk it writes, for its rollups. Throws on a
 * truncated or malformed chunk.
 */
export function decodeChunkInto(
  bytes: Uint8Array,
  firstTs: number,
  count: number,
  ts: Float64Array,
  values: Float64Array,
): void {
  checkChunkCount(bytes, count);
  const prev = prevBytes;
  prevValue[0] = 0; // all bits zero
  const len = bytes.length;
  let pos = 0;
  let t = firstTs;
  let delta = 0;
  for (let i = 0; i < count; i++) {
    if (pos >= len) throw truncated(pos, len);
    let b = bytes[pos++]!;
    let dod: number;
    if (b < 0x80) dod = (b >>> 1) ^ -(b & 1);
    else {
      let z = b & 0x7f;
      let scale = 0x80;
      do {
        if (pos >= len) throw truncated(pos, len);
        b = bytes[pos++]!;
        z += (b & 0x7f) * scale;
        scale *= 0x80;
        if (scale > 2 ** 70) throw new Error(`chunk over-long varint at byte ${pos}`);
      } while (b >= 0x80);
      dod = unzigzag(z);
    }
    if (i > 0) {
      delta += dod;
      t += delta;
    }
    ts[i] = t;
    if (pos >= len) throw truncated(pos, len);
    const control = bytes[pos++]!;
    if (control === NULL) {
      values[i] = NaN;
      continue;
    }
    if (control !== SAME) {
      const leading = control >> 4;
      const meaningful = control & 0x0f;
      if (meaningful === 0 || leading + meaningful > 8)
        throw new Error(`chunk bad control byte 0x${control.toString(16)} at byte ${pos - 1}`);
      if (pos + meaningful > len) throw truncated(len, len);
      const top = 7 - leading;
      for (let k = top - meaningful + 1; k <= top; k++) prev[k] = prev[k]! ^ bytes[pos++]!;
    }
    values[i] = prevValue[0]!;
  }
}
