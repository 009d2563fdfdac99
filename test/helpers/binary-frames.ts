/**
 * Protocol 3's binary batch frames for the property tests, written and read
 * here straight from the layout documented in shared/wire-binary.ts (not
 * with its code, so the two are checked against each other): a JSON batch's
 * content as a binary frame, a binary frame back as the JSON batch that says
 * the same (the JSON decoder is then the oracle), and ways to break one.
 */
import { MAX_BATCH_SAMPLES } from '../../shared/wire-limits.js';
import type { AgentMessage, Checked, DecodedBatch } from '../../shared/protocol.js';
import { seriesKey } from '../../shared/series-key.js';
import type { Gen } from './batch-frames.js';

const HEADER = 32;
const EXTRA_KEYS = ['defs', 'collectors', 'stateKinds', 'states'] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What a decoded batch says, comparable across decoders (series by their canonical key, values bit for bit). */
export function reading(r: Checked<AgentMessage>): string {
  if (!r.ok) return 'rejected';
  const b = r.value as DecodedBatch;
  return JSON.stringify({
    seq: b.seq,
    ts: b.ts,
    series: b.series.map((s) => seriesKey(s.m, s.l)),
    // Object.is semantics: NaN (null) and -0 written out as themselves.
    values: Array.from(b.values, (x) => (Object.is(x, -0) ? '-0' : Number.isNaN(x) ? 'NaN' : x)),
    slots: b.slots,
    collectors: b.collectors,
    stateKinds: b.stateKinds,
    states: b.states,
  });
}

/** The extras a JSON batch carries (those of its keys a binary frame puts after the values). */
function extrasOf(frame: Record<string, unknown>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const k of EXTRA_KEYS) if (Object.hasOwn(frame, k) && frame[k] !== undefined) out[k] = frame[k];
  return Object.keys(out).length ? out : null;
}

/**
 * A parsed protocol-2 JSON batch as a binary frame with the same content, or
 * null where the binary form cannot say it (protocol 1, a `v` that is not
 * base64 of whole float64s, indexes that are not u16s one per value,
 * numbers that are not numbers, another type).
 */
export function toBinary(frame: unknown): Buffer | null {
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return null;
  const f = frame as Record<string, unknown>;
  if (f.type !== 'batch' || f.samples !== undefined) return null;
  if (typeof f.seq !== 'number' || typeof f.ts !== 'number' || typeof f.v !== 'string' || !BASE64.test(f.v))
    return null;
  const values = Buffer.from(f.v, 'base64');
  if (values.length % 8 !== 0) return null;
  const n = values.length / 8;
  const i = f.i;
  if (
    i !== undefined &&
    !(
      Array.isArray(i) &&
      i.length === n &&
      i.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff)
    )
  )
    return null;
  const extras = extrasOf(f);
  const json = extras ? Buffer.from(JSON.stringify(extras)) : Buffer.alloc(0);
  const out = Buffer.alloc(HEADER + values.length + (i ? 2 * n : 0) + json.length);
  out[0] = 1;
  out[1] = i ? 1 : 0;
  out.writeUInt32LE(n, 4);
  out.writeDoubleLE(f.seq, 8);
  out.writeDoubleLE(f.ts, 16);
  out.writeUInt32LE(json.length, 24);
  values.copy(out, HEADER);
  if (i) (i as number[]).forEach((x, j) => out.writeUInt16LE(x, HEADER + values.length + 2 * j));
  json.copy(out, out.length - json.length);
  return out;
}

/** A batch frame of values in table order, laid out by hand: 32-byte header, n float64s, the extras' bytes. */
export function binaryBatch(seq: number, values: ArrayLike<number>, extras: string | Buffer = ''): Buffer {
  const json = typeof extras === 'string' ? Buffer.from(extras) : extras;
  const b = Buffer.alloc(HEADER + 8 * values.length + json.length);
  b[0] = 1;
  b.writeUInt32LE(values.length, 4);
  b.writeDoubleLE(seq, 8);
  b.writeDoubleLE(1_700_000_000_000 + seq * 1000, 16);
  b.writeUInt32LE(json.length, 24);
  for (let j = 0; j < values.length; j++) b.writeDoubleLE(values[j]!, HEADER + 8 * j);
  json.copy(b, HEADER + 8 * values.length);
  return b;
}

/**
 * A binary frame read by the documented layout: the JSON batch it stands
 * for, or why its structure is broken (then no JSON batch says the same).
 */
export function referenceRead(b: Buffer): { frame: Record<string, unknown> } | { malformed: string } {
  if (b.length < HEADER) return { malformed: 'shorter than the header' };
  if (b[0] !== 1) return { malformed: 'unknown kind' };
  if ((b[1]! & ~1) !== 0) return { malformed: 'unknown flags' };
  if (b.readUInt16LE(2) !== 0 || b.readUInt32LE(28) !== 0) return { malformed: 'reserved bytes set' };
  const n = b.readUInt32LE(4);
  if (n > MAX_BATCH_SAMPLES) return { malformed: 'too many values' };
  const withIndexes = b[1] === 1;
  const extrasBytes = b.readUInt32LE(24);
  const extrasAt = HEADER + 8 * n + (withIndexes ? 2 * n : 0);
  if (b.length !== extrasAt + extrasBytes) return { malformed: 'length' };
  let extras: unknown = {};
  if (extrasBytes > 0) {
    try {
      extras = JSON.parse(b.toString('utf8', extrasAt));
    } catch {
      return { malformed: 'extras not JSON' };
    }
    if (extras === null || typeof extras !== 'object' || Array.isArray(extras))
      return { malformed: 'extras not an object' };
  }
  const frame: Record<string, unknown> = {
    type: 'batch',
    seq: b.readDoubleLE(8),
    ts: b.readDoubleLE(16),
    v: b.toString('base64', HEADER, HEADER + 8 * n),
  };
  if (withIndexes) frame.i = Array.from({ length: n }, (_, j) => b.readUInt16LE(HEADER + 8 * n + 2 * j));
  Object.assign(frame, extrasOf(extras as Record<string, unknown>));
  return { frame };
}

/** The same frame with its extras replaced (and the header's length of them). */
function withExtras(b: Buffer, text: string): Buffer {
  const old = b.length >= HEADER ? b.readUInt32LE(24) : 0;
  if (b.length < HEADER || old > b.length - HEADER) return b;
  const json = Buffer.from(text);
  const out = Buffer.concat([b.subarray(0, b.length - old), json]);
  out.writeUInt32LE(json.length, 24);
  return out;
}

const BAD_EXTRAS = [
  '[]',
  'null',
  '1',
  '"x"',
  '{',
  '{"defs":[[0,"made_up_metric"]]}',
  '{"defs":[[70000,"mongod_up"]]}',
  '{"defs":[[0,"mongod_up"],[0,"cpu_idle_percent",{"cpu":"all"}]]}',
  '{"states":[{"kind":"k","key":"__proto__","value":{}}]}',
  '{"collectors":[{"name":"x","state":"fine"}]}',
  '{"stateKinds":"raid_array"}',
  '{"defs":null}',
  '{"extra":1}',
];

/** Ways to break a binary frame, at the byte level; each changes one thing (a few leave it valid). */
const MUTATIONS: ((g: Gen, b: Buffer) => Buffer)[] = [
  (g, b) => b.subarray(0, g.int(b.length)),
  (g, b) => Buffer.concat([b, Buffer.from(Array.from({ length: 1 + g.int(16) }, () => g.int(256)))]),
  (g, b) => ((b[0] = g.pick([0, 2, 255, 0x7b])), b),
  (g, b) => ((b[1] = g.pick([1, 2, 3, 0x80, b[1]! ^ 1])), b),
  (g, b) => ((b[g.pick([2, 3, 28, 31])] = 1 + g.int(255)), b),
  (g, b) => {
    const n = b.readUInt32LE(4);
    b.writeUInt32LE(
      g.pick([
        Math.min(n + 1, 0xffffffff),
        Math.max(0, n - 1),
        MAX_BATCH_SAMPLES,
        MAX_BATCH_SAMPLES + 1,
        0xffffffff,
        0,
      ]),
      4,
    );
    return b;
  },
  (g, b) => {
    const x = b.readUInt32LE(24);
    b.writeUInt32LE(g.pick([Math.min(x + 1, 0xffffffff), Math.max(0, x - 1), 0xffffffff, 0]), 24);
    return b;
  },
  (g, b) => {
    b.writeDoubleLE(g.pick([0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, Infinity, -Infinity, NaN, -0, 1]), g.pick([8, 16]));
    return b;
  },
  (g, b) => {
    // (a count broken by an earlier mutation may point past the end: only values inside the frame)
    const n = Math.min(b.readUInt32LE(4), Math.floor((b.length - HEADER) / 8));
    if (n <= 0) return b;
    b.writeDoubleLE(g.pick([Infinity, -Infinity, NaN, -0, Number.MAX_VALUE, 5e-324]), HEADER + 8 * g.int(n));
    return b;
  },
  (g, b) => {
    const n = b.readUInt32LE(4);
    const at = HEADER + 8 * n + 2 * g.int(Math.max(n, 1));
    if (b[1] !== 1 || n === 0 || at + 2 > b.length) return b;
    b.writeUInt16LE(g.pick([0, 49, 50, 9999, 10_000, 0xffff, g.int(60)]), at);
    return b;
  },
  (g, b) => withExtras(b, g.pick(BAD_EXTRAS)),
  (g, b) => {
    const x = Math.min(b.readUInt32LE(24), b.length);
    if (x > 0) flipBit(g, b, b.length - 1 - g.int(x));
    return b;
  },
  (g, b) => flipBit(g, b, g.int(b.length)),
];

function flipBit(g: Gen, b: Buffer, at: number): Buffer {
  b[at] = b[at]! ^ (1 << g.int(8));
  return b;
}

/** A valid binary frame broken in one or two ways (on a copy). */
export function mutateBinary(g: Gen, frame: Buffer): Buffer {
  let b = Buffer.from(frame);
  // A second mutation only on a frame that still has a header to break.
  for (let k = 1 + g.int(2); k > 0 && b.length >= HEADER; k--) b = Buffer.from(g.pick(MUTATIONS)(g, b));
  return b;
}
