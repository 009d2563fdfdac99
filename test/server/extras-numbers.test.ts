import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DecodedBatch, WireState } from '../../shared/protocol.js';
import { SessionSeries } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { stateByHand } from '../../server/extras-check.js';
import { jsonNumber } from '../../server/extras-numbers.js';
import { Gen } from '../helpers/batch-frames.js';
import { binaryBatch, reading } from '../helpers/binary-frames.js';
import { replset } from '../helpers/scripted-fleet.js';

/** The load generator's host (bench/ingest-frames.mjs, JavaScript without types): the call this test makes. */
interface FramesModule {
  hostShape(): { extras: { states: WireState[] } };
}
const frames = (await import(
  pathToFileURL(path.join(import.meta.dirname, '../../bench/ingest-frames.mjs')).href
)) as FramesModule;

function session(): SessionSeries {
  const t = new SessionSeries();
  t.reset([['mongod_up']]);
  return t;
}

/** Every object and array of `v` frozen: a write to any of them (strict mode) throws. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** A session fed extras `{"states":[…]}` frame after frame; each batch's states frozen once decoded. */
function feeder() {
  const t = session();
  let seq = 0;
  return {
    t,
    /** The states `elements` (their text) decode to, and how the memo recalled them. */
    send(...elements: string[]) {
      const text = `{"states":[${elements.join(',')}]}`;
      const r = decodeBinaryFrame(binaryBatch(++seq, [1], text), t);
      if (!r.ok) return { how: t.extras.lastRecall, states: null, refusal: r.message };
      return { how: t.extras.lastRecall, states: deepFreeze((r.value as DecodedBatch).states!), refusal: '' };
    },
  };
}

// A kind this build does not know (shared/state-shapes.ts checks the known ones): these toy values have no shape.
const el = (value: string, kind = 'dbstat', key = 'status') => `{"kind":"${kind}","key":"${key}","value":${value}}`;

describe('states that changed only in their numbers', () => {
  it('are renewed without a parse: a gauge rising shares what did not change', () => {
    const f = feeder();
    const before = f.send(el('{"up":true,"gauges":{"uptimeMs":1000,"queued":{"total":0}}}'));
    expect(before.how).toBe('none');
    const after = f.send(el('{"up":true,"gauges":{"uptimeMs":2000,"queued":{"total":0}}}'));
    expect(after.how).toBe('numbers');
    expect(after.states).toStrictEqual([
      { kind: 'dbstat', key: 'status', value: { up: true, gauges: { uptimeMs: 2000, queued: { total: 0 } } } },
    ]);
    const [was] = before.states!;
    const [now] = after.states!;
    // Fresh objects on the path to the number only; the old ones as they were (and frozen all along).
    expect(now).not.toBe(was);
    expect(now!.value).not.toBe(was!.value);
    expect(now!.value.gauges).not.toBe(was!.value.gauges);
    expect((now!.value.gauges as { queued: unknown }).queued).toBe((was!.value.gauges as { queued: unknown }).queued);
    expect(was!.value).toStrictEqual({ up: true, gauges: { uptimeMs: 1000, queued: { total: 0 } } });
    // A digit more, then fewer: the elements after it move, and are still found.
    const log = el('{"ok":true,"n":1}', 'log_path', '/var/log/mongod.log');
    f.send(el('{"up":true,"gauges":{"uptimeMs":2000,"queued":{"total":0}}}'), log);
    for (const uptime of [10_000, 7, 123_456]) {
      const r = f.send(el(`{"up":true,"gauges":{"uptimeMs":${uptime},"queued":{"total":0}}}`), log);
      expect(r.how).toBe('numbers');
      expect(r.states![0]!.value.gauges).toStrictEqual({ uptimeMs: uptime, queued: { total: 0 } });
    }
    const moved = f.send(el('{"up":true,"gauges":{"uptimeMs":5,"queued":{"total":0}}}'), log.replace('"n":1', '"n":22')); // prettier-ignore
    expect(moved.how).toBe('numbers');
    expect(moved.states![1]).toStrictEqual({
      kind: 'log_path',
      key: '/var/log/mongod.log',
      value: { ok: true, n: 22 },
    });
  });

  it('renew several numbers in nested objects and arrays, and only the paths to them', () => {
    const f = feeder();
    const text = (x: string, y: string, z: string) =>
      el(`{"n":${z},"a":[1,[${x},3],{"b":${y}}],"c":{"d":5,"e":[6]},"s":"x","t":null,"f":false}`);
    const before = f.send(text('2', '4', '0'));
    const after = f.send(text('20', '-4', '9'));
    expect(after.how).toBe('numbers');
    const value = after.states![0]!.value;
    expect(value).toStrictEqual({ n: 9, a: [1, [20, 3], { b: -4 }], c: { d: 5, e: [6] }, s: 'x', t: null, f: false });
    expect(Object.keys(value)).toEqual(['n', 'a', 'c', 's', 't', 'f']);
    const old = before.states![0]!.value as { a: unknown[]; c: unknown };
    const now = value as { a: unknown[]; c: unknown };
    expect(now.a).not.toBe(old.a);
    expect(now.a[1]).not.toBe(old.a[1]);
    expect(now.a[2]).not.toBe(old.a[2]);
    expect(now.c).toBe(old.c);
  });

  it('read negative, decimal and exponent numbers as JSON.parse does', () => {
    const f = feeder();
    f.send(el('{"a":-1,"b":0.5,"c":2,"d":3,"e":4,"f":0,"g":1.5}'));
    const r = f.send(el('{"a":-0,"b":1e-7,"c":1E+2,"d":1e400,"e":-12.5e-3,"f":12345678901234567890,"g":0.1}'));
    expect(r.how).toBe('numbers');
    const v = r.states![0]!.value;
    expect(Object.is(v.a, -0)).toBe(true);
    expect(v).toStrictEqual({ a: -0, b: 1e-7, c: 100, d: Infinity, e: -0.0125, f: 12345678901234567000, g: 0.1 });
  });

  it('keep the state as it was when the new text reads to the same numbers', () => {
    const f = feeder();
    const before = f.send(el('{"a":1.0,"b":[2]}'));
    const after = f.send(el('{"a":1.00,"b":[2e0]}'));
    expect(after.how).toBe('numbers');
    expect(after.states![0]).toBe(before.states![0]);
  });

  it('go the element way when anything but a number changed, and decode as JSON.parse does', () => {
    const cases: [string, string, string, unknown][] = [
      // [first value, next value, what goes where, the next value's decoding by hand]
      ['{"s":"a","n":1}', '{"s":"b","n":2}', 'a string', { s: 'b', n: 2 }],
      ['{"n":1}', '{"n":"1"}', 'a number into a string', { n: '1' }],
      ['{"n":1}', '{"n":[1]}', 'a number into an array', { n: [1] }],
      ['{"n":1}', '{"n":1,"m":2}', 'a key added', { n: 1, m: 2 }],
      ['{"n":1,"m":2}', '{"m":2,"n":1}', 'keys reordered', { m: 2, n: 1 }],
      ['{"n":1}', '{"n":true}', 'a number into a literal', { n: true }],
      ['{"n":1}', '{ "n":2}', 'whitespace', { n: 2 }],
      // JSON.parse keeps a key's last value: a change to the first must not be taken.
      ['{"a":1,"b":3,"a":2}', '{"a":5,"b":3,"a":2}', 'a key twice', { a: 2, b: 3 }],
      ['{"a":1,"b":3,"a":2}', '{"a":1,"b":3,"a":7}', 'a key twice, its last', { a: 7, b: 3 }],
      ['{"\\u0061":1}', '{"\\u0061":2}', 'a key with an escape', { a: 2 }],
      ['{"b":1,"1":2}', '{"b":3,"1":2}', 'an integer-like key (JSON.parse puts it first)', { 1: 2, b: 3 }],
    ];
    for (const [first, next, what, expected] of cases) {
      const f = feeder();
      f.send(el(first));
      const r = f.send(el(next));
      expect(r.how, what).toBe('elements');
      expect(r.states![0]!.value, what).toStrictEqual(expected);
      expect(JSON.stringify(r.states![0]!.value), what).toBe(JSON.stringify(expected));
    }
  });

  it('go the element way when the element itself has a key twice or one the state does not keep', () => {
    const f = feeder();
    f.send('{"kind":"dbstat","key":"status","value":{"n":1},"value":{"n":2}}');
    const twice = f.send('{"kind":"dbstat","key":"status","value":{"n":5},"value":{"n":2}}');
    expect(twice.how).toBe('elements');
    expect(twice.states).toStrictEqual([{ kind: 'dbstat', key: 'status', value: { n: 2 } }]);
    const g = feeder();
    g.send('{"kind":"dbstat","key":"status","value":{"n":1},"extra":1}');
    const extra = g.send('{"kind":"dbstat","key":"status","value":{"n":1},"extra":2}');
    expect(extra.how).toBe('elements');
    expect(extra.states).toStrictEqual([{ kind: 'dbstat', key: 'status', value: { n: 1 } }]);
  });

  it("that are no JSON numbers are refused in the full path's words, the memo kept", () => {
    const good = el('{"n":10}');
    for (const bad of ['01', '1.', '.5', '1e', '1e+', '+1', '--1', '1.2.3', '1-2', '0x10', 'NaN', '-', '1e5e5']) {
      const f = feeder();
      f.send(good);
      const text = `{"states":[${el(`{"n":${bad}}`)}]}`;
      const mine = decodeBinaryFrame(binaryBatch(2, [1], text), f.t);
      expect(mine.ok, bad).toBe(false);
      expect(reading(mine), bad).toBe(reading(decodeBinaryFrame(binaryBatch(2, [1], text), session())));
      expect(f.send(good).how, bad).toBe('same bytes');
    }
  });
});

describe('jsonNumber', () => {
  const read = (s: string) => jsonNumber(Buffer.from(s), 0, s.length);

  it('reads what JSON.parse reads, and nothing it refuses', () => {
    // By hand: the fast path's edges (15 digits, 10^±22) and past them.
    expect(read('0')).toBe(0);
    expect(Object.is(read('-0'), -0)).toBe(true);
    expect(read('999999999999999')).toBe(999_999_999_999_999);
    expect(read('9007199254740993')).toBe(9_007_199_254_740_992); // 2^53 + 1 rounds to even
    expect(read('1e22')).toBe(1e22);
    expect(read('1e23')).toBe(1e23);
    expect(read('1.5e-22')).toBe(1.5e-22);
    expect(read('-1e400')).toBe(-Infinity);
    expect(read('1e-400')).toBe(0);
    expect(read('0.30000000000000004')).toBe(0.30000000000000004);
    for (const bad of ['', '-', '01', '1.', '.1', '1e', '+1', '1x', ' 1', 'Infinity'])
      expect(read(bad), bad).toBe(null);
  });

  it('agrees with JSON.parse on random tokens', () => {
    const g = new Gen(30);
    const digits = (n: number) => Array.from({ length: n }, () => g.int(10)).join('');
    for (let n = 0; n < 20_000; n++) {
      let s = (g.chance(0.3) ? '-' : '') + (g.chance(0.2) ? '0' : String(1 + g.int(9)) + digits(g.int(20)));
      if (g.chance(0.5)) s += '.' + digits(1 + g.int(20));
      if (g.chance(0.4)) s += g.pick(['e', 'E']) + g.pick(['', '+', '-']) + digits(1 + g.int(3));
      expect(Object.is(read(s), JSON.parse(s)), s).toBe(true);
    }
  });
});

/* ---- generated: random number edits of the states the load generator sends ---- */

/** A number token JSON allows, of one of the forms an agent's gauges (or a hostile agent) may take. */
function someToken(g: Gen): string {
  const digits = (n: number) => String(1 + g.int(9)) + Array.from({ length: n }, () => g.int(10)).join('');
  switch (g.int(8)) {
    case 0:
      return String(g.int(10));
    case 1:
      return digits(g.int(12));
    case 2:
      return '-' + digits(g.int(6));
    case 3:
      return digits(g.int(4)) + '.' + digits(g.int(8));
    case 4:
      return g.pick(['-', '']) + digits(g.int(3)) + g.pick(['e', 'E']) + g.pick(['', '+', '-']) + String(g.int(400));
    case 5:
      return g.pick(['-0', '0.0', '1e400', '-1e400', '1e-400', '0.1', '5e-324']);
    case 6:
      return digits(15 + g.int(10)); // past the exact fast path
    default:
      return '0.' + '0'.repeat(g.int(25)) + digits(g.int(5));
  }
}

/** The paths to the numbers of `v` (keys and indexes). */
function numberPaths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  if (typeof v === 'number') out.push(at);
  else if (Array.isArray(v)) v.forEach((x, i) => numberPaths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) numberPaths(x, [...at, k], out);
  return out;
}

/** `v` with the numbers at `paths` written as their tokens (placeholders JSON.stringify writes as strings). */
function render(v: unknown, paths: (string | number)[][], tokens: string[]): string {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  paths.forEach((p, n) => {
    let o = copy;
    for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
    o[p[p.length - 1]!] = `@@${n}@@`;
  });
  return JSON.stringify(copy).replace(/"@@(\d+)@@"/g, (_, n: string) => tokens[Number(n)]!);
}

/** Same values throughout (Object.is on numbers), whatever the objects. */
const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as never)[k], (b as never)[k]));
};

/** Every part of `now` that holds the same values as `was` is `was`'s very object; the others are fresh. */
function expectShared(was: unknown, now: unknown, where: string): void {
  if (was === null || typeof was !== 'object') return;
  if (sameValue(was, now)) return void expect(now, where).toBe(was);
  expect(now, where).not.toBe(was);
  for (const k of Object.keys(was)) expectShared((was as never)[k], (now as never)[k], `${where}.${k}`);
}

describe('random number edits of the states an agent on a mongod host sends', () => {
  it('decode to what JSON.parse reads, sharing what did not change and writing to nothing kept', () => {
    const shape = [...frames.hostShape().extras.states, { kind: 'replset', key: 'rs', value: replset('rs', ['a:1', 'b:1', 'c:1']) }]; // prettier-ignore
    const paths = numberPaths(shape);
    expect(paths.length).toBeGreaterThan(60);
    const g = new Gen(3030);
    const tally = { edits: 0, numbers: 0, same: 0 };
    for (let run = 0; run < 5; run++) {
      const t = session();
      const tokens = paths.map((p) => String(p.reduce((o: never, k) => o[k], shape as never)));
      let previous: WireState[] | null = null;
      let snapshot: WireState[] | null = null;
      for (let seq = 1; seq <= 1000; seq++) {
        for (let n = seq === 1 ? 0 : 1 + g.int(g.chance(0.8) ? 2 : 6); n > 0; n--, tally.edits++)
          tokens[g.int(tokens.length)] = someToken(g);
        const text = `{"collectors":[{"name":"mongod","state":"ok"}],"stateKinds":["raid_array","mongod","replset"],"states":${render(shape, paths, tokens)}}`; // prettier-ignore
        const r = decodeBinaryFrame(binaryBatch(seq, [1], text), t);
        expect(r.ok).toBe(true);
        const states = (r as { value: DecodedBatch }).value.states!;
        const parsed = (JSON.parse(text) as { states: WireState[] }).states;
        expect(states, text).toStrictEqual(parsed);
        expect(JSON.stringify(states)).toBe(JSON.stringify(parsed)); // key order
        if (previous) {
          expect(t.extras.lastRecall).toMatch(/^(numbers|same bytes)$/);
          if (t.extras.lastRecall === 'numbers') tally.numbers++;
          else tally.same++;
          // Never written to (frozen: a write would have thrown), and shared where nothing changed.
          expect(previous).toStrictEqual(snapshot);
          previous.forEach((was, k) => expectShared(was, states[k], `states.${k}`));
        }
        previous = deepFreeze(states);
        snapshot = structuredClone(states);
      }
    }
    expect(tally.edits).toBeGreaterThan(5000);
    expect(tally.numbers).toBeGreaterThan(4900);
  }, 120_000);
});

describe("stateByHand's verdict", () => {
  /** Valid states of every kind the agent sends, and states refused for their structure, keys or strings. */
  const valid: WireState[] = [
    ...frames.hostShape().extras.states,
    { kind: 'replset', key: 'rs', value: replset('rs', ['a:1', 'b:1', 'c:1'], ['c:1']) },
    { kind: 'mongod', key: 'status', value: { up: false, uri: 'mongodb://h', since: 1, lastError: 'refused' } },
    { kind: 'logpaths', key: 'logrotate', value: { ok: false, problems: [{ line: 3, target: '/x' }], checkedAt: 9 } },
  ];
  const refused: unknown[] = [
    { kind: 'mongod', key: 'status', value: { n: 1, deep: [[[[[[[[[1]]]]]]]]] } },
    { kind: 'mongod', key: 'status', value: { n: 1, long: 'x'.repeat(4001) } },
    { kind: 'mongod', key: 'status', value: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i])) },
    { kind: 'mon-god', key: 'status', value: { n: 1 } },
    { kind: 'mongod', key: '', value: { n: 1 } },
    { kind: 'mongod', key: 'status', value: [1, 2] },
  ];

  it('does not change when numbers change for numbers (what the number path relies on)', () => {
    const g = new Gen(31);
    for (const [states, verdict] of [
      [valid, true],
      [refused, false],
    ] as const)
      for (const s of states) {
        const paths = numberPaths(s);
        expect(paths.length).toBeGreaterThan(0);
        for (let n = 0; n < 200; n++) {
          const text = render(
            s,
            paths,
            paths.map(() => someToken(g)),
          );
          expect(stateByHand(JSON.parse(text)) !== null, text.slice(0, 200)).toBe(verdict);
        }
      }
  });
});
