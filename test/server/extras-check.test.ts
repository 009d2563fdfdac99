import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { DecodedBatch } from '../../shared/protocol.js';
import {
  MAX_COLLECTORS,
  MAX_COLLECTOR_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_STATES,
  MAX_STATE_KEY_LENGTH,
  MAX_STATE_KINDS,
} from '../../shared/protocol.js';
import { STATE_VALUE_LIMITS } from '../../shared/json-limits.js';
import { decodeExtras, decodeExtrasBySchemas } from '../../server/agent-frames.js';
import { checkExtrasByHand } from '../../server/extras-check.js';
import { parseRecordedReply } from '../../agent/mongod/ejson.js';
import { gauges } from '../../agent/mongod/server-status.js';
import { SimulatedHost } from '../../agent/simulator.js';
import { silentLogger } from '../../shared/log.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { Gen } from '../helpers/batch-frames.js';

type Extras = Record<string, unknown>;

/** What a decoder makes of extras: the decoded fields, or the error's text. */
const decodedBy =
  (decode: (m: Extras, batch: DecodedBatch) => void) =>
  (m: Extras): unknown => {
    const batch = {} as DecodedBatch;
    try {
      decode(m, batch);
      return { ...batch };
    } catch (err) {
      return (err as Error).message;
    }
  };
/** The schemas alone. */
const bySchemas = decodedBy(decodeExtrasBySchemas);
/** decodeExtras: the hand check first. */
const byDecoder = decodedBy(decodeExtras);

/** Hand and schemas agree: accepted by both with equal output, or refused by both; the decoder answers as the schemas. */
function agree(m: Extras): 'accepted' | 'refused' {
  const parsed = JSON.parse(JSON.stringify(m)) as Extras; // as the server gets them: parsed JSON
  const schemas = bySchemas(parsed);
  const hand = checkExtrasByHand(JSON.parse(JSON.stringify(m)) as Extras);
  if (typeof schemas === 'string') expect(hand, `hand accepted what the schemas refuse: ${schemas}`).toBeNull();
  else expect(hand).toStrictEqual(schemas);
  expect(byDecoder(JSON.parse(JSON.stringify(m)) as Extras)).toStrictEqual(schemas);
  return typeof schemas === 'string' ? 'refused' : 'accepted';
}

const recorded = (rel: string) => parseRecordedReply(readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8'));
const serverStatus = recorded('4.2.8-wiredtiger/getDiagnosticData.json').serverStatus as Document;
/** Real gauges, from a recorded mongod 4.2.8 serverStatus, as the agent's mongod state carries them. */
const realGauges = JSON.parse(JSON.stringify(gauges(serverStatus))) as Record<string, unknown>;

/** An agent's md array and mongod states (the simulator's shapes) with real mongod gauges. */
function agentStates(uptimeMs: number): { kind: string; key: string; value: Record<string, unknown> }[] {
  const sim = new SimulatedHost(1, 'shape', 'ws://127.0.0.1:9', 't', silentLogger);
  const states = sim.sample(60_000).states!;
  return states.map((s) =>
    s.kind === 'mongod' ? { ...s, value: { ...s.value, gauges: { ...realGauges, uptimeMs } } } : { ...s },
  );
}

const COLLECTORS = ['cpu', 'disks', 'raid', 'pressure', 'mongod'].map((name) => ({ name, state: 'ok' }));

describe("agents' extras checked by hand", () => {
  it('accept what agents send, equal to what the schemas return', () => {
    expect(realGauges.uptimeMs).toBeTypeOf('number');
    const m = { collectors: COLLECTORS, stateKinds: ['raid_array', 'mongod'], states: agentStates(12_000) };
    expect(agree(m)).toBe('accepted');
    expect(checkExtrasByHand(m)?.states?.[1]?.value.gauges).toStrictEqual({ ...realGauges, uptimeMs: 12_000 });
    expect(agree({})).toBe('accepted');
    expect(agree({ collectors: [], stateKinds: [], states: [] })).toBe('accepted');
  });

  it("leave out keys the schemas do not know, as zod's objects do", () => {
    const m = {
      collectors: [{ name: 'cpu', state: 'error', message: 'gone', x: 1 }],
      states: [{ kind: 'raid_array', key: 'md0', value: { level: 'raid10' }, extra: true }],
    };
    expect(agree(m)).toBe('accepted');
    expect(checkExtrasByHand(m)).toStrictEqual({
      collectors: [{ name: 'cpu', state: 'error', message: 'gone' }],
      // Not an md array's shape: marked, not refused (shared/state-shapes.ts).
      states: [{ kind: 'raid_array', key: 'md0', value: { level: 'raid10' }, problem: 'name must be a string' }],
    });
    // "__proto__" as a JSON key of a collector status: an unknown key, left out.
    const parsed = JSON.parse('{"collectors":[{"name":"cpu","state":"ok","__proto__":{"polluted":1}}]}') as Extras;
    expect(checkExtrasByHand(parsed)).toStrictEqual({ collectors: [{ name: 'cpu', state: 'ok' }] });
    expect(bySchemas(parsed)).toStrictEqual({ collectors: [{ name: 'cpu', state: 'ok' }] });
  });

  it('refuse at every bound, with the schemas’ wording', () => {
    const n = (len: number) => 'a'.repeat(len);
    const st = (value: unknown, key = 'k', kind = 'raid_array') => ({ states: [{ kind, key, value }] });
    const cases: [Extras, Extras][] = [
      // [at the bound: accepted, one past it: refused]
      [{ stateKinds: [n(MAX_NAME_LENGTH)] }, { stateKinds: [n(MAX_NAME_LENGTH + 1)] }],
      [{ stateKinds: Array(MAX_STATE_KINDS).fill('k') }, { stateKinds: Array(MAX_STATE_KINDS + 1).fill('k') }],
      [
        { collectors: Array(MAX_COLLECTORS).fill(COLLECTORS[0]) },
        { collectors: Array(MAX_COLLECTORS + 1).fill(COLLECTORS[0]) },
      ],
      [
        { collectors: [{ name: 'cpu', state: 'ok', message: n(MAX_COLLECTOR_MESSAGE_LENGTH) }] },
        { collectors: [{ name: 'cpu', state: 'ok', message: n(MAX_COLLECTOR_MESSAGE_LENGTH + 1) }] },
      ],
      [{ states: Array(MAX_STATES).fill(st({}).states[0]) }, { states: Array(MAX_STATES + 1).fill(st({}).states[0]) }],
      [st({}, n(MAX_STATE_KEY_LENGTH)), st({}, n(MAX_STATE_KEY_LENGTH + 1))],
      [st({ s: n(STATE_VALUE_LIMITS.maxString) }), st({ s: n(STATE_VALUE_LIMITS.maxString + 1) })],
      [st({ [n(STATE_VALUE_LIMITS.maxString)]: 1 }), st({ [n(STATE_VALUE_LIMITS.maxString + 1)]: 1 })],
      [
        st({ a: Array(STATE_VALUE_LIMITS.maxItems).fill(0) }),
        st({ a: Array(STATE_VALUE_LIMITS.maxItems + 1).fill(0) }),
      ],
      [
        st(Object.fromEntries(Array.from({ length: STATE_VALUE_LIMITS.maxKeys }, (_, i) => [`k${i}`, i]))),
        st(Object.fromEntries(Array.from({ length: STATE_VALUE_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, i]))),
      ],
      // the value is an object at depth 0, so objects at depths 1 … maxDepth - 1 below it are fine
      [st({ d: nested(STATE_VALUE_LIMITS.maxDepth - 1) }), st({ d: nested(STATE_VALUE_LIMITS.maxDepth) })],
      // maxNodes values in all: the value, 10 arrays and their items
      [st(nodes(STATE_VALUE_LIMITS.maxNodes)), st(nodes(STATE_VALUE_LIMITS.maxNodes + 1))],
    ];
    for (const [ok, bad] of cases) {
      expect(agree(ok), JSON.stringify(ok).slice(0, 200)).toBe('accepted');
      expect(agree(bad), JSON.stringify(bad).slice(0, 200)).toBe('refused');
    }
  });

  it('refuse wrong types, forbidden names and keys, "__proto__" as a JSON key', () => {
    const refused: Extras[] = [
      { collectors: {} },
      { collectors: [null] },
      { collectors: [{ name: 'cpu', state: 'fine' }] },
      { collectors: [{ name: 'cpu', state: 'ok', message: null }] },
      { collectors: [{ name: '9cpu', state: 'ok' }] },
      { collectors: [{ name: 'constructor', state: 'ok' }] },
      { stateKinds: 'mongod' },
      { stateKinds: [''] },
      { stateKinds: ['prototype'] },
      { stateKinds: [1] },
      { states: [{ kind: 'mongod', key: '', value: {} }] },
      { states: [{ kind: 'mongod', key: 'constructor', value: {} }] },
      { states: [{ kind: 'mongod', key: 's', value: [] }] },
      { states: [{ kind: 'mongod', key: 's', value: null }] },
      { states: [{ kind: 'mongod', key: 's' }] },
      { states: [{ kind: 'mongod', key: 's', value: { a: { constructor: 1 } } }] },
      { collectors: null },
    ];
    for (const m of refused) expect(agree(m), JSON.stringify(m)).toBe('refused');
    for (const text of [
      '{"states":[{"kind":"mongod","key":"s","value":{"__proto__":{"x":1}}}]}',
      '{"states":[{"kind":"mongod","key":"s","value":{"a":[{"__proto__":null}]}}]}',
      '{"states":[{"kind":"mongod","key":"__proto__","value":{}}]}',
      '{"stateKinds":["__proto__"]}',
    ]) {
      const m = JSON.parse(text) as Extras;
      expect(checkExtrasByHand(m), text).toBeNull();
      expect(bySchemas(m), text).toBeTypeOf('string');
      expect(byDecoder(JSON.parse(text) as Extras)).toBe(bySchemas(JSON.parse(text) as Extras));
    }
  });

  it('agree with the schemas on 2 000 generated extras, good and broken', () => {
    const g = new Gen(28);
    const counts = { accepted: 0, refused: 0 };
    for (let i = 0; i < 2000; i++) counts[agree(generated(g, i))]++;
    // Both kinds must be well represented, or the property says little.
    expect(counts.accepted).toBeGreaterThan(400);
    expect(counts.refused).toBeGreaterThan(400);
  });
});

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { x: v };
  return v;
}

/** An object of `total` JSON values: itself, arrays under it and their items. */
function nodes(total: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  let left = total - 1;
  for (let i = 0; left > 0; i++) {
    const items = Math.min(left - 1, STATE_VALUE_LIMITS.maxItems);
    o[`a${i}`] = Array(items).fill(0);
    left -= items + 1;
  }
  return o;
}

const NAMES = ['cpu', 'mongod', 'raid_array', 'log_path', '_x', 'a'.repeat(MAX_NAME_LENGTH)];
const BAD_NAMES: unknown[] = [
  '',
  '1x',
  'a-b',
  'a'.repeat(MAX_NAME_LENGTH + 1),
  'constructor',
  'prototype',
  7,
  null,
  true,
];
const SCALARS: unknown[] = [0, -1.5, 1e308, 'x', '', true, false, null];

/** A JSON value of about `depth` levels, now and then past a limit. */
function jsonValue(g: Gen, depth: number): unknown {
  if (depth <= 0 || g.chance(0.3))
    return g.chance(0.02) ? 'y'.repeat(STATE_VALUE_LIMITS.maxString + g.int(2)) : g.pick(SCALARS);
  if (g.chance(0.4)) return Array.from({ length: g.int(4) }, () => jsonValue(g, depth - 1));
  const o: Record<string, unknown> = {};
  for (let k = g.int(5); k > 0; k--)
    o[g.chance(0.02) ? g.pick(['constructor', 'prototype']) : `k${g.int(50)}`] = jsonValue(g, depth - 1);
  return o;
}

/** One generated extras: mostly an agent's, mutated in one or two places. */
function generated(g: Gen, i: number): Extras {
  const m: Extras = {};
  if (g.chance(0.8)) m.collectors = COLLECTORS.map((c) => ({ ...c }));
  if (g.chance(0.8)) m.stateKinds = ['raid_array', 'mongod'];
  if (g.chance(0.8)) m.states = agentStates(1000 * i);
  for (let k = g.int(3); k > 0; k--) mutate(g, m);
  return m;
}

function mutate(g: Gen, m: Extras): void {
  // A field made the wrong type stays so: its pushes go to an array nobody reads.
  const list = (k: string) => (Array.isArray((m[k] ??= [])) ? m[k] : []) as Record<string, unknown>[];
  const collectors = list('collectors');
  const kinds = list('stateKinds') as unknown[];
  const states = list('states');
  const r = g.int(14);
  if (r === 0)
    collectors.push({ name: g.pick([...NAMES, ...BAD_NAMES]), state: g.pick(['ok', 'absent', 'error', 'bad', null]) });
  else if (r === 1)
    collectors.push({
      name: 'x',
      state: 'ok',
      message: g.pick(['m', 'm'.repeat(MAX_COLLECTOR_MESSAGE_LENGTH + 1), 3, null]),
      extra: 1,
    });
  else if (r === 2) kinds.push(g.pick([...NAMES, ...BAD_NAMES]));
  else if (r === 3) for (let k = g.int(MAX_STATE_KINDS + 3); k > 0; k--) kinds.push('k');
  else if (r === 4) for (let k = g.int(MAX_COLLECTORS + 3); k > 0; k--) collectors.push({ name: 'c', state: 'ok' });
  else if (r === 5) states.push({ kind: g.pick([...NAMES, ...BAD_NAMES]), key: 'k', value: {} });
  else if (r === 6)
    states.push({
      kind: 'k',
      key: g.pick(['', 'k', 'constructor', '__proto__', 'k'.repeat(MAX_STATE_KEY_LENGTH + g.int(2)), 5]),
      value: {},
    });
  else if (r === 7) states.push({ kind: 'k', key: 'k', value: g.pick([null, [], 'v', 1, undefined, {}]) });
  else if (r === 8) states.push({ kind: 'k', key: 'k', value: { v: jsonValue(g, STATE_VALUE_LIMITS.maxDepth + 1) } });
  else if (r === 9)
    states.push({ kind: 'k', key: 'k', value: { v: nested(STATE_VALUE_LIMITS.maxDepth - 1 + g.int(2)) } });
  else if (r === 10)
    states.push({ kind: 'k', key: 'k', value: { a: Array(STATE_VALUE_LIMITS.maxItems - 1 + g.int(3)).fill(1) } });
  else if (r === 11) states.push({ kind: 'k', key: 'k', value: { a: 1 }, unknown: 'left out' });
  else if (r === 12) m[g.pick(['collectors', 'stateKinds', 'states'])] = g.pick([null, {}, 'x', 1]);
  else m.states = agentStates(g.int(1e9)).map((s) => ({ ...s, value: { ...s.value, serverStatus } }));
}
