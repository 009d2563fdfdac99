/**
 * Protocol 3's binary batch frames as the server reads them (layout in
 * shared/wire-binary.ts): the header checked field by field, the values
 * copied into a Float64Array in one move, and the JSON extras — new series,
 * collector statuses, states — through the very checks of a protocol-2 batch
 * (server/agent-frames.ts), unless they follow from the session's last good
 * extras (server/extras-memo.ts: the same bytes, or changes inside elements
 * of `states`, which alone are parsed and checked). A property test
 * (test/server/binary-batches.test.ts) holds this decoder to the JSON one.
 */
import { MAX_BATCH_SAMPLES } from '../shared/wire-limits.js';
import {
  BINARY_BATCH,
  BINARY_HEADER_BYTES,
  FLAG_INDEXES,
  LITTLE_ENDIAN,
  binaryLayout,
  blankHeader,
  readBinaryHeader,
  type BinaryLayout,
} from '../shared/wire-binary.js';
import type { AgentMessage, Checked, DecodedBatch, SeriesRef } from '../shared/protocol.js';
import { errorMessage } from '../shared/errors.js';
import { applyRemembered } from './extras-memo.js';
import {
  FrameError,
  applyDefs,
  checkCount,
  decodeDefs,
  decodeExtras,
  fail,
  type SessionEntry,
  type SessionSeries,
} from './agent-frames.js';

/**
 * Checks a binary batch frame and reads it against the session's series
 * table; a readable reason instead of a throw. Its definitions reach `table`
 * only when the whole frame is good, so a rejected frame changes nothing.
 */
export function decodeBinaryFrame(frame: Uint8Array, table: SessionSeries): Checked<AgentMessage> {
  try {
    return { ok: true, value: decodeBinaryBatch(frame, table) };
  } catch (err) {
    if (err instanceof FrameError) return { ok: false, code: 'bad_frame', message: err.message };
    throw err;
  }
}

/**
 * The header and layout of the frame being decoded: one of each for every frame (decoding is synchronous, and
 * every read writes all their fields), not two objects and a boxed timestamp per batch.
 */
const header = blankHeader();
const layout: BinaryLayout = { values: 0, indexes: 0, extras: 0, length: 0 };

function decodeBinaryBatch(frame: Uint8Array, table: SessionSeries): DecodedBatch {
  if (frame.length < BINARY_HEADER_BYTES)
    fail('frame', `a binary frame starts with a ${BINARY_HEADER_BYTES}-byte header; this one is ${frame.length} bytes`);
  const h = readBinaryHeader(frame, header);
  if (h.kind !== BINARY_BATCH) fail('kind', `unknown binary frame kind ${h.kind} (${BINARY_BATCH} is a batch)`);
  if ((h.flags & ~FLAG_INDEXES) !== 0) fail('flags', `unknown flags 0x${h.flags.toString(16)}`);
  if (h.reserved !== 0) fail('header', 'the reserved bytes must be 0');
  if (h.count > MAX_BATCH_SAMPLES) fail('count', `at most ${MAX_BATCH_SAMPLES} values; the header says ${h.count}`);
  const at = binaryLayout(h, layout);
  if (frame.length !== at.length)
    fail('frame', `the header makes the frame ${at.length} bytes long; it is ${frame.length} bytes`);
  const seq = checkCount(h.seq, 'seq', 1);
  const ts = checkCount(h.ts, 'ts', 0);
  const known = h.extrasBytes ? table.extras.recall(frame, at.extras, at.length) : null;
  const extras = h.extrasBytes && !known ? readExtras(frame, at.extras, at.length) : NO_EXTRAS;
  const defined = decodeDefs(extras.defs, table);
  const batch = readSamples(frame, h, at, table, defined, seq, ts);
  if (known) applyRemembered(known, batch);
  else decodeExtras(extras, batch);
  applyDefs(table, defined, batch);
  // Only now is the whole frame known to be good.
  if (h.extrasBytes && extras.defs === undefined) table.extras.remember(frame, at.extras, at.length, batch, known);
  return batch;
}

const NO_EXTRAS: Readonly<Record<string, unknown>> = Object.freeze({});

/** The JSON object at the end of the frame. */
function readExtras(frame: Uint8Array, start: number, end: number): Record<string, unknown> {
  let extras: unknown;
  try {
    extras = JSON.parse(Buffer.from(frame.buffer, frame.byteOffset + start, end - start).toString('utf8'));
  } catch (err) {
    fail('extras', `not JSON: ${errorMessage(err)}`);
  }
  if (extras === null || typeof extras !== 'object' || Array.isArray(extras)) fail('extras', 'must be a JSON object');
  return extras as Record<string, unknown>;
}

/**
 * Batches' values are views of shared slabs, not a Float64Array each: a
 * typed array's own backing store (an allocation outside the heap, and its
 * accounting) was most of the decoder's time. Nothing keeps a batch's values
 * past its handling (the store, alert rings, remote write and dashboards copy
 * them), so a slab is freed soon after its last batch was handled; a large
 * batch gets an array of its own.
 */
export const VALUE_SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(VALUE_SLAB_BYTES);
let slabBytes = new Uint8Array(slab);
let slabUsed = 0;

/** The `n` float64s at `frame[from…]`, copied (the frame's buffer is a socket read that a view would keep alive). */
function copyValues(frame: Uint8Array, from: number, n: number): Float64Array {
  const bytes = 8 * n;
  const source = new Uint8Array(frame.buffer, frame.byteOffset + from, bytes);
  if (bytes > VALUE_SLAB_BYTES / 4) {
    const own = new Float64Array(n);
    new Uint8Array(own.buffer).set(source);
    return own;
  }
  if (slabUsed + bytes > VALUE_SLAB_BYTES) {
    slab = new ArrayBuffer(VALUE_SLAB_BYTES);
    slabBytes = new Uint8Array(slab);
    slabUsed = 0;
  }
  slabBytes.set(source, slabUsed);
  const values = new Float64Array(slab, slabUsed, n);
  slabUsed += bytes;
  return values;
}

/** The batch of the values and, per value, its series (from the session's table or this frame's definitions). */
function readSamples(
  frame: Uint8Array,
  h: { count: number; flags: number },
  at: { values: number; indexes: number },
  table: SessionSeries,
  defined: ReadonlyMap<number, SessionEntry>,
  seq: number,
  ts: number,
): DecodedBatch {
  const n = h.count;
  const values = copyValues(frame, at.values, n);
  if (!LITTLE_ENDIAN) {
    const d = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    for (let j = 0; j < n; j++) values[j] = d.getFloat64(at.values + 8 * j, true);
  }
  const withIndexes = (h.flags & FLAG_INDEXES) !== 0;
  // The steady case: the table's series in order, nothing new. Only the values need a look.
  const ordered = !withIndexes && defined.size === 0 ? table.inOrder(n) : null;
  if (ordered) {
    for (let j = 0; j < n; j++)
      if (Math.abs(values[j]!) === Infinity) fail(`values.${j}`, 'value must be a finite number or NaN for null');
    return batchOf(seq, ts, ordered.series, values, ordered.slots);
  }
  const entries = table.entries;
  const slots = new Array<number>(n);
  const series = new Array<SeriesRef>(n);
  for (let j = 0; j < n; j++) {
    const index = withIndexes ? frame[at.indexes + 2 * j]! | (frame[at.indexes + 2 * j + 1]! << 8) : j;
    const e = entries[index] ?? (defined.size ? defined.get(index) : undefined);
    if (!e)
      fail(withIndexes ? `indexes.${j}` : `values.${j}`, `series index ${index} was never defined in this session`);
    const v = values[j]!;
    if (v === Infinity || v === -Infinity) fail(`values.${j}`, 'value must be a finite number or NaN for null');
    slots[j] = index;
    series[j] = e!;
  }
  return batchOf(seq, ts, series, values, slots);
}

/**
 * A batch with room for every field the decoding fills in later (extras, the table's version): set on an
 * object without them, they went into a property array of their own, allocated per batch.
 */
function batchOf(seq: number, ts: number, series: SeriesRef[], values: Float64Array, slots: number[]): DecodedBatch {
  const room = undefined;
  return {
    type: 'batch',
    seq,
    ts,
    series,
    values,
    slots,
    collectors: room,
    stateKinds: room,
    states: room,
    tableVersion: room,
  };
}
