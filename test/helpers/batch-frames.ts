/**
 * Batch frames for the property test of the two batch validators: valid ones
 * of both protocols (limits reached exactly, now and then) and broken ones —
 * wrong types, numbers out of range, strings and lists one past their limit,
 * bad and unknown names, missing and extra fields, prototype keys, malformed
 * base64. All from a seeded generator, so a failure reproduces.
 */
import { METRICS } from '../../shared/catalogue.js';
import {
  MAX_BATCH_SAMPLES,
  MAX_COLLECTORS,
  MAX_COLLECTOR_MESSAGE_LENGTH,
  MAX_LABELS,
  MAX_LABEL_VALUE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SERIES_PER_SESSION,
  MAX_STATES,
  MAX_STATE_KEY_LENGTH,
  MAX_STATE_KINDS,
} from '../../shared/wire-limits.js';
import { STATE_VALUE_LIMITS } from '../../shared/json-limits.js';

/** mulberry32: small, seeded, good enough to spread cases. */
export class Gen {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = Math.imul(this.seed ^ (this.seed >>> 15), 1 | this.seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

type Json = unknown;
type Frame = Record<string, Json>;

/** Tokens JSON.stringify cannot write: replaced in the frame's text. */
const INF = '@@INF@@';
const NEG_INF = '@@NEG_INF@@';

/** A frame's text, with the tokens above as the numbers JSON.parse reads as ±Infinity. */
export function frameText(frame: unknown): string {
  return JSON.stringify(frame).replaceAll(`"${INF}"`, '1e999').replaceAll(`"${NEG_INF}"`, '-1e999');
}

/** An object with an own enumerable key, even `__proto__` (which a literal or an assignment would not make). */
function withKey(o: Record<string, Json>, key: string, value: Json): Record<string, Json> {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

const METRIC_NAMES = METRICS.map((m) => m.name);
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const BAD_NAMES = ['', '1abc', 'a-b', 'a b', 'é', 'x'.repeat(MAX_NAME_LENGTH + 1), 'disk.util', ...PROTO_KEYS];
const WRONG_TYPES: Json[] = ['1', true, null, {}, [], 1, -1, 0.5, INF];

function labelName(g: Gen): string {
  if (g.chance(0.02)) return 'l'.repeat(MAX_NAME_LENGTH); // a name of exactly the longest length
  return g.pick(['device', 'array', 'cpu', 'kind', 'path', '_x', 'A9']);
}

function labels(g: Gen): Record<string, string> | undefined {
  if (g.chance(0.3)) return undefined;
  if (g.chance(0.02)) return Object.fromEntries(Array.from({ length: MAX_LABELS }, (_, i) => [`l${i}`, `${i}`]));
  const out: Record<string, string> = {};
  for (let n = g.int(3); n > 0; n--)
    out[labelName(g)] = g.chance(0.02) ? 'v'.repeat(MAX_LABEL_VALUE_LENGTH) : g.pick(['sda', 'md0', '0', '', 'x y']);
  return out;
}

function value(g: Gen): number | null {
  const r = g.int(8);
  if (r === 0) return null;
  if (r === 1) return 0;
  if (r === 2) return -(g.int(1000) / 7);
  if (r === 3) return Number.MAX_VALUE;
  if (r === 4) return 5e-324;
  return g.int(1_000_000) / 100;
}

/** Values as protocol 2 packs them: little-endian float64s in base64, NaN for null. */
export function packValues(values: (number | null)[]): string {
  return Buffer.from(new Float64Array(values.map((v) => v ?? NaN)).buffer).toString('base64');
}

function extras(g: Gen, frame: Frame): void {
  if (g.chance(0.3))
    frame.collectors = Array.from({ length: g.int(3) }, () => ({
      name: g.pick(['diskstats', 'mdstat', 'mongod']),
      state: g.pick(['ok', 'absent', 'error']),
      ...(g.chance(0.5) ? { message: g.chance(0.05) ? 'm'.repeat(MAX_COLLECTOR_MESSAGE_LENGTH) : 'no such file' } : {}),
    }));
  if (g.chance(0.3)) frame.stateKinds = g.chance(0.5) ? ['raid_array'] : [];
  if (g.chance(0.3))
    frame.states = Array.from({ length: g.int(3) }, (_, i) => ({
      kind: 'raid_array',
      key: g.chance(0.05) ? 'k'.repeat(MAX_STATE_KEY_LENGTH) : `md${i}`,
      value: { degraded: g.int(2), members: ['sda1', 'sdb1'], detail: { sync: g.chance(0.5) ? null : 12.5 } },
    }));
}

/** A session's side of the test: which indexes it has named, as the agent's encoder would. */
export class SessionModel {
  readonly named: { metric: string; labels?: Record<string, string> }[] = [];
}

/** A valid batch: protocol 1 (every sample named) or 2 (new series defined, then indexes and packed values). */
export function validBatch(g: Gen, seq: number, session: SessionModel): Frame {
  const frame: Frame = { type: 'batch', seq, ts: 1_700_000_000_000 + seq * 1000 };
  if (g.chance(0.3)) {
    frame.samples = Array.from({ length: g.int(6) }, () => {
      const l = labels(g);
      return { m: g.pick(METRIC_NAMES), ...(l ? { l } : {}), v: value(g) };
    });
  } else {
    const defs: Json[] = [];
    for (let n = g.int(4); n > 0 && session.named.length < 50; n--) {
      const l = labels(g);
      const at = session.named.length;
      session.named.push({ metric: g.pick(METRIC_NAMES), ...(l ? { labels: l } : {}) });
      defs.push(l ? [at, session.named[at]!.metric, l] : [at, session.named[at]!.metric]);
    }
    // Defining an index again with the same series is allowed (a replay after a reconnect does it).
    if (session.named.length && g.chance(0.1)) {
      const at = g.int(session.named.length);
      const s = session.named[at]!;
      defs.push(s.labels ? [at, s.metric, s.labels] : [at, s.metric]);
    }
    if (defs.length) frame.defs = defs;
    const count = session.named.length ? g.int(6) : 0;
    const contiguous = g.chance(0.3) && count <= session.named.length;
    const indexes = Array.from({ length: count }, (_, j) => (contiguous ? j : g.int(session.named.length)));
    if (!contiguous) frame.i = indexes;
    frame.v = packValues(indexes.map(() => value(g)));
  }
  extras(g, frame);
  return frame;
}

const nested = (depth: number): Json => (depth === 0 ? 1 : { a: nested(depth - 1) });
const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
const arrayOf = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

function somewhere<T>(g: Gen, list: T[] | undefined): T | undefined {
  return Array.isArray(list) && list.length ? list[g.int(list.length)] : undefined;
}

/** A frame's list field to break further: itself if it is a non-empty list of objects, else `fresh` put in its place. */
function listOf(f: Frame, key: string, fresh: () => Record<string, Json>): Record<string, Json>[] {
  const list = f[key];
  if (Array.isArray(list) && list.length && list.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)))
    return list as Record<string, Json>[];
  return (f[key] = [fresh()]);
}

/** Ways to break a frame; each changes one thing (a few may leave it valid, which the test also compares). */
const MUTATIONS: ((g: Gen, f: Frame) => void)[] = [
  (g, f) =>
    (f[g.pick(['seq', 'ts', 'samples', 'v', 'defs', 'i', 'collectors', 'stateKinds', 'states', 'type'])] =
      g.pick(WRONG_TYPES)),
  (g, f) => (f.seq = g.pick([0, -1, 1.5, 2 ** 53, INF, '1', 2 ** 53 - 1])),
  (g, f) => (f.ts = g.pick([-1, 0.5, 2 ** 53, NEG_INF, 0, 2 ** 53 - 1])),
  (g, f) => delete f[g.pick(['seq', 'ts', 'type', 'samples', 'v'])],
  (g, f) => withKey(f, g.pick(['extra', ...PROTO_KEYS]), g.pick(WRONG_TYPES)),
  (g, f) => {
    if (f.samples) f.v = packValues([1]);
    else f.samples = [];
  },
  (g, f) => {
    if (!Array.isArray(f.samples) || !f.samples.length) return void (f.samples = [{ m: g.pick(BAD_NAMES), v: 1 }]);
    const s = somewhere(
      g,
      listOf(f, 'samples', () => ({ m: 'mongod_up', v: 1 })),
    )!;
    const r = g.int(6);
    if (r === 0) s.m = g.pick([...BAD_NAMES, 'made_up_metric', 'l'.repeat(MAX_NAME_LENGTH)]);
    else if (r === 1) s.v = g.pick([...WRONG_TYPES.filter((x) => x !== null && x !== 1 && x !== -1 && x !== 0.5)]);
    else if (r === 2) delete s[g.pick(['m', 'v'])];
    else if (r === 3) withKey(s, g.pick(['extra', ...PROTO_KEYS]), 1);
    else s.l = brokenLabels(g);
  },
  (g, f) => {
    const defs = Array.isArray(f.defs) ? (f.defs as Json[]) : (f.defs = []);
    const r = g.int(8);
    if (r === 0) defs.push([0]);
    else if (r === 1) defs.push([0, 'cpu_idle_percent', {}, 'x']);
    else if (r === 2)
      defs.push([g.pick([-1, 0.5, MAX_SERIES_PER_SESSION, MAX_SERIES_PER_SESSION - 1, '0', null]), 'mongod_up']);
    else if (r === 3) defs.push([g.int(60), g.pick([...BAD_NAMES, 'made_up_metric'])]);
    else if (r === 4) defs.push([g.int(60), 'cpu_idle_percent', brokenLabels(g)]);
    else if (r === 5) defs.push([g.int(60), 'mongod_up', null]);
    else if (r === 6) defs.push(g.pick(WRONG_TYPES));
    else defs.push([g.int(60), g.pick(METRIC_NAMES), { device: `conflict${g.int(3)}` }]); // may name a used index anew
  },
  (g, f) => {
    const i = Array.isArray(f.i) ? (f.i as Json[]) : [];
    const r = g.int(5);
    if (r === 0) i.push(0);
    else if (r === 1) i.pop();
    else if (r === 2 && i.length) i[g.int(i.length)] = g.pick([-1, 0.5, 999, MAX_SERIES_PER_SESSION, '0', null, -0]);
    else if (r === 3) i.push(g.int(60));
    else f.i = undefined;
    if (r !== 4) f.i = i;
  },
  (g, f) => (f.v = brokenValues(g, typeof f.v === 'string' ? f.v : packValues([1, 2]))),
  (g, f) => {
    const c = listOf(f, 'collectors', () => ({ name: 'x', state: 'ok' }));
    const r = g.int(6);
    const one = somewhere(g, c)!;
    if (r === 0) one.state = g.pick(['fine', 'OK', 1, null]);
    else if (r === 1) one.message = 'm'.repeat(MAX_COLLECTOR_MESSAGE_LENGTH + 1);
    else if (r === 2) f.collectors = arrayOf(MAX_COLLECTORS + g.int(2), () => ({ name: 'c', state: 'ok' }));
    else if (r === 3) one.name = g.pick(BAD_NAMES);
    else if (r === 4) delete one[g.pick(['name', 'state'])];
    else withKey(one, g.pick(['extra', ...PROTO_KEYS]), 'x');
  },
  (g, f) => {
    const r = g.int(3);
    if (r === 0) f.stateKinds = [g.pick(BAD_NAMES)];
    else if (r === 1) f.stateKinds = arrayOf(MAX_STATE_KINDS + g.int(2), () => 'raid_array');
    else f.stateKinds = [g.pick(WRONG_TYPES)];
  },
  (g, f) => mutateStates(g, f),
  (g, f) => {
    if (!g.chance(0.01)) return void (f.type = g.pick(['Batch', 'hello', 'inventory', 'batches']));
    // Rarely (they are big): a batch one sample past the limit, or exactly at it.
    const n = MAX_BATCH_SAMPLES + g.int(2);
    if (f.samples) f.samples = arrayOf(n, () => ({ m: 'mongod_up', v: 1 }));
    else f.v = packValues(arrayOf(n, () => 1));
  },
];

function brokenLabels(g: Gen): Json {
  const r = g.int(7);
  if (r === 0) return g.pick([[], null, 'device', 1]);
  if (r === 1) return { device: g.pick([1, null, true, {}]) };
  if (r === 2) return { device: 'v'.repeat(MAX_LABEL_VALUE_LENGTH + 1) };
  if (r === 3) return Object.fromEntries(arrayOf(MAX_LABELS + 1, (i) => [`l${i}`, 'x']));
  if (r === 4) return { [g.pick(BAD_NAMES.filter((n) => n !== '__proto__'))]: 'x' };
  if (r === 5) return withKey({ device: 'sda' }, g.pick(PROTO_KEYS), 'x');
  return { ['l'.repeat(MAX_NAME_LENGTH + g.int(2))]: 'x' };
}

function brokenValues(g: Gen, v: string): Json {
  const bytes = Buffer.from(v, 'base64');
  const r = g.int(10);
  if (r === 0) return v.slice(0, 1) + '!' + v.slice(2);
  if (r === 1) return Buffer.from(bytes).toString('base64url');
  if (r === 2) return v.replace(/=+$/, '');
  if (r === 3) return v.slice(0, 4) + '\n' + v.slice(4);
  if (r === 4) return Buffer.concat([bytes, Buffer.from([g.int(256)])]).toString('base64');
  if (r === 5) return packValues([1, g.pick([Infinity, -Infinity]), 2]);
  if (r === 6) return Buffer.from(new Uint32Array([1, 0x7ff80000 + g.int(1000)]).buffer).toString('base64'); // a NaN of another payload
  if (r === 7) return '';
  if (r === 8) return `${v}AAAA`;
  return g.pick(WRONG_TYPES);
}

function mutateStates(g: Gen, f: Frame): void {
  const states = listOf(f, 'states', () => ({ kind: 'raid_array', key: 'md0', value: {} }));
  const st = somewhere(g, states)!;
  const r = g.int(11);
  if (r === 0) st.value = nested(STATE_VALUE_LIMITS.maxDepth + g.int(2) - 1);
  else if (r === 1) st.value = manyKeys(STATE_VALUE_LIMITS.maxKeys + g.int(2));
  else if (r === 2) st.value = { s: 's'.repeat(STATE_VALUE_LIMITS.maxString + g.int(2)) };
  else if (r === 3) st.value = { x: withKey({}, g.pick(PROTO_KEYS), { degraded: 1 }) };
  else if (r === 4) st.value = g.pick([[], 'x', 1, null]);
  else if (r === 5) delete st[g.pick(['kind', 'key', 'value'])];
  else if (r === 6) st.key = g.pick(['', 'k'.repeat(MAX_STATE_KEY_LENGTH + 1), ...PROTO_KEYS, 1]);
  else if (r === 7) st.kind = g.pick([...BAD_NAMES, 1]);
  else if (r === 8) st.value = { items: arrayOf(STATE_VALUE_LIMITS.maxItems + g.int(2), () => 0) };
  else if (r === 9 && g.chance(0.02))
    f.states = arrayOf(MAX_STATES + g.int(2), (i) => ({ kind: 'k', key: `${i}`, value: {} }));
  else withKey(st, g.pick(['extra', ...PROTO_KEYS]), 1);
}

/** A frame to send: valid, or broken in one or two ways; now and then not an object at all. */
export function someFrame(g: Gen, seq: number, session: SessionModel): unknown {
  if (g.chance(0.002)) return g.pick([[], 'batch', null, 1, [{ type: 'batch' }]]);
  const frame = validBatch(g, seq, session);
  if (g.chance(0.4)) return frame;
  for (let n = 1 + g.int(2); n > 0; n--) g.pick(MUTATIONS)(g, frame);
  return frame;
}
