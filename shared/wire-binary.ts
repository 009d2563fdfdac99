/**
 * Protocol 3's binary batch frame: the layout, written by the agent and read
 * by the server (which checks it, server/agent-binary-frames.ts). No
 * dependencies: the agent loads this.
 *
 * A batch travels as one binary WebSocket frame, all numbers little-endian:
 *
 *   offset 0   u8   kind: 1 = batch (the only kind so far)
 *   offset 1   u8   flags: bit 0 = series indexes follow the values; other bits 0
 *   offset 2   u16  0 (reserved)
 *   offset 4   u32  n, the number of values (at most MAX_BATCH_SAMPLES)
 *   offset 8   f64  seq (a whole number ≥ 1)
 *   offset 16  f64  ts, milliseconds since the epoch (a whole number ≥ 0)
 *   offset 24  u32  bytes of the extras at the end (0: none)
 *   offset 28  u32  0 (reserved)
 *   offset 32  n × f64  the values, NaN for null
 *   then       n × u16  the values' series indexes, only with flag bit 0
 *                      (without it value j is series j of the session's table)
 *   then       extras: UTF-8 JSON object with any of `defs`, `collectors`,
 *                      `stateKinds`, `states`, exactly as in a protocol-2
 *                      batch (an agent's collector statuses and states
 *                      ride on every batch; definitions only with new series)
 *
 * The frame is exactly that long. Values start at a multiple of 8 bytes, so
 * either side can copy them to or from a Float64Array in one move.
 */
import { MAX_SERIES_PER_SESSION } from './wire-limits.js';

export const BINARY_BATCH = 1;
export const FLAG_INDEXES = 1;
export const BINARY_HEADER_BYTES = 32;
/** Indexes travel as u16: the table must fit. */
const MAX_BINARY_INDEX = 0xffff;
if (MAX_SERIES_PER_SESSION - 1 > MAX_BINARY_INDEX) throw new Error('series indexes no longer fit in a u16');

/** Whether this machine stores a float64 the way the frame does (then values are copied, not converted one by one). */
export const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** The parts of a batch carried as JSON after the values. */
export interface BinaryExtras {
  defs?: unknown[];
  collectors?: unknown[];
  stateKinds?: unknown[];
  states?: unknown[];
}

/** Where a batch frame's parts start, and its length in bytes. */
export interface BinaryLayout {
  values: number;
  indexes: number;
  extras: number;
  length: number;
}

/** A batch's fixed fields as the header states them. */
export interface BinaryHeader {
  kind: number;
  flags: number;
  reserved: number;
  count: number;
  seq: number;
  ts: number;
  extrasBytes: number;
}

export function readBinaryHeader(frame: Uint8Array, into: BinaryHeader = blankHeader()): BinaryHeader {
  // Byte by byte, without a DataView per frame (the server reads thousands of headers a second, into one object).
  into.kind = frame[0]!;
  into.flags = frame[1]!;
  into.reserved = u16(frame, 2) + u32(frame, 28);
  into.count = u32(frame, 4);
  into.seq = f64(frame, 8);
  into.ts = f64(frame, 16);
  into.extrasBytes = u32(frame, 24);
  return into;
}

/** A header to read into: every read writes each of its fields. */
export function blankHeader(): BinaryHeader {
  return { kind: 0, flags: 0, reserved: 0, count: 0, seq: 0, ts: 0, extrasBytes: 0 };
}

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

/** A little-endian float64 through an 8-byte scratch, in this machine's byte order. */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
function f64(b: Uint8Array, at: number): number {
  for (let k = 0; k < 8; k++) scratchBytes[LITTLE_ENDIAN ? k : 7 - k] = b[at + k]!;
  return scratch[0]!;
}

/** Where the parts of a frame with this header lie, and how long the frame must be. */
export function binaryLayout(
  h: Pick<BinaryHeader, 'count' | 'flags' | 'extrasBytes'>,
  into: BinaryLayout = { values: 0, indexes: 0, extras: 0, length: 0 },
): BinaryLayout {
  into.values = BINARY_HEADER_BYTES;
  into.indexes = into.values + 8 * h.count;
  into.extras = into.indexes + ((h.flags & FLAG_INDEXES) !== 0 ? 2 * h.count : 0);
  into.length = into.extras + h.extrasBytes;
  return into;
}

/**
 * Writes a batch frame: `values[0..n)` (NaN for null) and, unless they are
 * simply 0, 1, 2, …, their series indexes.
 */
export function writeBinaryBatch(
  seq: number,
  ts: number,
  values: Float64Array,
  n: number,
  indexes: ArrayLike<number> | null,
  extras: BinaryExtras | null,
): Buffer {
  const json = extras ? Buffer.from(JSON.stringify(extras)) : null;
  const flags = indexes ? FLAG_INDEXES : 0;
  const at = binaryLayout({ count: n, flags, extrasBytes: json ? json.length : 0 });
  const frame = Buffer.allocUnsafe(at.length);
  frame.writeUInt8(BINARY_BATCH, 0);
  frame.writeUInt8(flags, 1);
  frame.writeUInt16LE(0, 2);
  frame.writeUInt32LE(n, 4);
  frame.writeDoubleLE(seq, 8);
  frame.writeDoubleLE(ts, 16);
  frame.writeUInt32LE(json ? json.length : 0, 24);
  frame.writeUInt32LE(0, 28);
  if (LITTLE_ENDIAN) frame.set(new Uint8Array(values.buffer, values.byteOffset, 8 * n), at.values);
  else for (let j = 0; j < n; j++) frame.writeDoubleLE(values[j]!, at.values + 8 * j);
  if (indexes) for (let j = 0; j < n; j++) frame.writeUInt16LE(indexes[j]!, at.indexes + 2 * j);
  if (json) frame.set(json, at.extras);
  return frame;
}
