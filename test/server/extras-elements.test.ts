import { describe, expect, it } from 'vitest';
import type { AgentMessage, Checked, DecodedBatch } from '../../shared/protocol.js';
import { MAX_STATES } from '../../shared/protocol.js';
import { SessionSeries } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { MAX_REMEMBERED_EXTRAS_BYTES } from '../../server/extras-memo.js';
import { Gen } from '../helpers/batch-frames.js';
import { binaryBatch } from '../helpers/binary-frames.js';

function session(): SessionSeries {
  const t = new SessionSeries();
  t.reset([['mongod_up'], ['disk_util_percent', { device: 'sda' }]]);
  return t;
}

/** Everything a decode says about the extras, key order included; or the refusal's text. */
function said(r: Checked<AgentMessage>): string {
  if (!r.ok) return `${r.code}: ${r.message}`;
  const b = r.value as DecodedBatch;
  return JSON.stringify({ keys: Object.keys(b), c: b.collectors, k: b.stateKinds, s: b.states, v: [...b.values] });
}

/** A fresh session has no memo: its decode is the full path, the reference. */
const fullPath = (frame: Buffer) => said(decodeBinaryFrame(frame, session()));

// Kinds this build does not know travel untyped: these tests are about the memo, not a kind's shape
// (shared/state-shapes.ts). Their names are as long as raid_array and mongod, so sizes stay as they were.
const raid = (state: string) => ({ kind: 'md_example', key: 'md0', value: { level: 'raid10', state, members: [] } });
const mongod = (uptimeMs: number) => ({ kind: 'dbstat', key: 'status', value: { up: true, gauges: { uptimeMs } } });
/** An md array state holding `n` bytes of member names (strings within the 4000-character limit). */
const padded = (n: number) => ({
  kind: 'md_example',
  key: 'md0',
  value: { members: Array.from({ length: Math.ceil(n / 4000) }, (_, i) => 'x'.repeat(Math.min(4000, n - 4000 * i))) },
});
const extras = (states: unknown[], collectors = [{ name: 'mongod', state: 'ok' }]) =>
  JSON.stringify({ collectors, stateKinds: ['md_example', 'dbstat'], states });

describe('extras that change inside elements of states', () => {
  it('decode to what the hand says, sharing the elements that did not change', () => {
    const t = session();
    const decode = (seq: number, text: string) => decodeBinaryFrame(binaryBatch(seq, [1, 2], text), t);
    const first = decode(1, extras([raid('clean'), mongod(1000)]));
    const kept = (first as { value: DecodedBatch }).value.states![0];
    // The uptime gains a digit, then loses two: only the mongod element is read again (its numbers alone).
    for (const [seq, uptimeMs] of [
      [2, 10_000],
      [3, 999],
    ] as const) {
      const r = decode(seq, extras([raid('clean'), mongod(uptimeMs)]));
      expect(t.extras.lastRecall).toBe('numbers');
      const b = (r as { value: DecodedBatch }).value;
      expect(Object.keys(b)).toEqual(['type', 'seq', 'ts', 'series', 'values', 'slots', 'collectors', 'stateKinds', 'states', 'tableVersion']); // prettier-ignore
      expect(b.collectors).toStrictEqual([{ name: 'mongod', state: 'ok' }]);
      expect(b.stateKinds).toStrictEqual(['md_example', 'dbstat']);
      expect(b.states).toStrictEqual([
        { kind: 'md_example', key: 'md0', value: { level: 'raid10', state: 'clean', members: [] } },
        { kind: 'dbstat', key: 'status', value: { up: true, gauges: { uptimeMs } } },
      ]);
      expect(b.states![0]).toBe(kept);
    }
    expect(t.extras.rememberedBytes).toBe(Buffer.byteLength(extras([raid('clean'), mongod(999)])));
    // A state added after the others, then the first one changed and the last removed.
    const log = { kind: 'log_path', key: '/var/log/mongodb/mongod.log', value: { ok: true } };
    const added = decode(4, extras([raid('clean'), mongod(999), log]));
    expect(t.extras.lastRecall).toBe('elements');
    expect((added as { value: DecodedBatch }).value.states).toStrictEqual([
      raid('clean'),
      mongod(999),
      { kind: 'log_path', key: '/var/log/mongodb/mongod.log', value: { ok: true } },
    ]);
    const removed = decode(5, extras([raid('degraded'), mongod(999)]));
    expect(t.extras.lastRecall).toBe('elements');
    expect((removed as { value: DecodedBatch }).value.states).toStrictEqual([raid('degraded'), mongod(999)]);
    // A change in the collectors is read in full.
    const other = decode(6, extras([raid('degraded'), mongod(999)], [{ name: 'mongod', state: 'error' }]));
    expect(t.extras.lastRecall).toBe('none');
    expect((other as { value: DecodedBatch }).value.collectors).toStrictEqual([{ name: 'mongod', state: 'error' }]);
  });

  it('are refused as the full path refuses them, and leave the memo as it was', () => {
    const t = session();
    const good = extras([raid('clean'), mongod(1000)]);
    expect(decodeBinaryFrame(binaryBatch(1, [1, 2], good), t).ok).toBe(true);
    const refusals: [string, string][] = [
      // agent-frames.ts words a forbidden key itself; the schemas word the rest.
      [good.replace('"status"', '"__proto__"'), 'bad_frame: states.1.key: "__proto__" is not allowed'],
      [good.replace('"up":true', '"__proto__":{},"up":true'), 'bad_frame: states.1.value: key "__proto__" is not allowed'],
      [good.replace('"status"', `"${'k'.repeat(257)}"`), ''],
      [good.replace('"dbstat","key"', '"db-stat","key"'), 'bad_frame: states.1.kind: must be letters, digits and _'],
      [good.replace('{"up":true', '{"up":"' + 'x'.repeat(4001) + '"'), 'bad_frame: states.1.value.up: string longer than 4000 characters'],
      [good.replace('"uptimeMs":1000', '"uptimeMs":10x0'), ''],
      [good.replace('"uptimeMs":1000', '"uptimeMs":1000]'), ''],
      [good.replace('"uptimeMs":1000', '"uptimeMs":"10\\u00"'), ''],
    ]; // prettier-ignore
    for (const [text, wording] of refusals) {
      const frame = binaryBatch(2, [1, 2], text);
      const r = decodeBinaryFrame(frame, t);
      expect(r.ok, text.slice(0, 200)).toBe(false);
      expect(said(r)).toBe(fullPath(frame));
      if (wording) expect(said(r)).toBe(wording);
      expect(t.extras.rememberedBytes).toBe(Buffer.byteLength(good));
    }
    // Still the memo of the good extras: they come again as the same bytes.
    expect(decodeBinaryFrame(binaryBatch(3, [1, 2], good), t).ok).toBe(true);
    expect(t.extras.lastRecall).toBe('same bytes');
  });

  it(`cannot reach the ${MAX_STATES}-state bound within the ${MAX_REMEMBERED_EXTRAS_BYTES} bytes the memo keeps`, () => {
    // The smallest state that passes is {"kind":"a","key":"k","value":{}}: 33 bytes, a comma between two.
    const smallest = JSON.stringify({ kind: 'a', key: 'k', value: {} });
    expect(smallest.length).toBe(33);
    expect(MAX_STATES * (smallest.length + 1)).toBeGreaterThan(MAX_REMEMBERED_EXTRAS_BYTES);
    // So extras near the bound go the full way, and past it are refused in its words.
    const states = (n: number) => `{"states":[${Array.from({ length: n }, () => smallest).join(',')}]}`;
    const t = session();
    expect(decodeBinaryFrame(binaryBatch(1, [], states(MAX_STATES)), t).ok).toBe(true);
    expect(t.extras.rememberedBytes).toBe(0);
    const past = binaryBatch(2, [], states(MAX_STATES + 1));
    expect(said(decodeBinaryFrame(past, t))).toBe(
      `bad_frame: states: Too big: expected array to have <=${MAX_STATES} items`,
    );
  });

  it('are copied into memory the memo keeps, which grows only when they outgrow it', () => {
    const t = session();
    const decode = (seq: number, text: string) =>
      expect(decodeBinaryFrame(binaryBatch(seq, [], text), t).ok).toBe(true);
    decode(1, extras([raid('clean'), mongod(1000)]));
    const capacity = t.extras.keptCapacity;
    expect(capacity).toBeGreaterThan(t.extras.rememberedBytes);
    // Uptimes from 4 to 9 digits and back: longer and shorter extras in the same memory.
    for (let seq = 2; seq < 40; seq++) decode(seq, extras([raid('clean'), mongod(10 ** (3 + (seq % 6)))]));
    expect(t.extras.keptCapacity).toBe(capacity);
    // Extras longer than the memory kept: it grows, but never past the bound.
    decode(40, extras([padded(capacity), mongod(1)]));
    expect(t.extras.keptCapacity).toBeGreaterThan(capacity);
    expect(t.extras.keptCapacity).toBeLessThanOrEqual(MAX_REMEMBERED_EXTRAS_BYTES);
    decode(41, extras([padded(MAX_REMEMBERED_EXTRAS_BYTES - 300), mongod(1)]));
    expect(t.extras.keptCapacity).toBe(MAX_REMEMBERED_EXTRAS_BYTES);
  });
});

/* ---- generated sequences: the memo's decode against the full path's ---- */

interface State {
  kind: string;
  key: string;
  value: Record<string, unknown>;
  /** How this element is written: JSON.stringify's indentation (0: none) and spaces around it. */
  indent: number;
  pad: string;
}

/** Characters that trouble a scanner: quotes, backslashes, brackets, commas, text outside ASCII, line separators. */
const TRICKY = ['"', '\\', ']', '[', '{', '}', ',', ':', 'é', '😀', '\u2028', '\n', '\t', 'a', 'z', '0', ' '];

function someString(g: Gen): string {
  let s = '';
  for (let n = g.int(12); n > 0; n--) s += g.pick(TRICKY);
  return s;
}

/** A number whose digit count wanders (an uptime, a counter, a fraction, a negative). */
const someNumber = (g: Gen) => (g.chance(0.8) ? g.int(10 ** (1 + g.int(12))) : -g.next() * 10 ** g.int(6));

function someState(g: Gen, i: number): State {
  const shape = g.int(3);
  const value: Record<string, unknown> =
    shape === 0
      ? { level: 'raid10', state: 'clean', members: [{ name: 'sda1', index: 0 }, { name: someString(g) }] }
      : shape === 1
        ? { up: true, gauges: { uptimeMs: someNumber(g), connections: { current: g.int(100) } }, missing: [] }
        : { path: someString(g), ok: g.chance(0.5), error: null };
  return { kind: g.pick(['md_example', 'mongod', 'log_path']), key: `k${i}`, value, indent: 0, pad: '' };
}

/** One of the ways an agent's next extras differ: mostly inside states, sometimes elsewhere. */
function changed(g: Gen, states: State[]): State[] {
  const next = states.map((s) => ({ ...s, value: structuredClone(s.value) }));
  const some = () => next[g.int(next.length)]!;
  for (let n = 1 + (g.chance(0.2) ? g.int(3) : 0); n > 0 && next.length; n--) {
    const what = g.int(9);
    if (what <= 2) some().value.n = someNumber(g);
    else if (what === 3) some().value.note = someString(g);
    else if (what === 4) next.splice(g.int(next.length + 1), 0, someState(g, g.int(1000)));
    else if (what === 5 && next.length > 1) next.splice(g.int(next.length), 1);
    else if (what === 6) Object.assign(some(), { indent: g.int(3), pad: g.pick(['', ' ', '\n  ']) });
    else if (what === 7) some().key = g.pick(['status', '__proto__', 'k'.repeat(256), 'k'.repeat(257), '', 'é😀']);
    else some().value[g.pick(['a', 'deep', 'up'])] = g.pick<unknown>([1, [[[[[[[[[1]]]]]]]]], 'x'.repeat(4001), {}]);
  }
  if (!next.length) next.push(someState(g, 0));
  return next;
}

/** The extras' text, each state written in its own way. */
function render(g: Gen, states: State[], collectors: string): string {
  const els = states.map(
    (s) => s.pad + JSON.stringify({ kind: s.kind, key: s.key, value: s.value }, null, s.indent || undefined) + s.pad,
  );
  return `{"collectors":${collectors},"stateKinds":["md_example","mongod","log_path"],"states":[${els.join(',')}]}`;
}

/** A text edit that may break the JSON (or not): a byte dropped, one put in, a raw `__proto__` key. */
function broken(g: Gen, text: string): string {
  const at = text.indexOf('"states"') + 10 + g.int(text.length - text.indexOf('"states"') - 10);
  const what = g.int(4);
  if (what === 0) return text.slice(0, at) + text.slice(at + 1);
  if (what === 1) return text.slice(0, at) + g.pick([']', '[', ',', '"', '\\', '}', '{', ' ', '1']) + text.slice(at);
  if (what === 2) return text.replace('"value":{', '"value":{"__proto__":{"x":1},');
  return text.replace('"value":{', g.pick(['"value":{"a":1,"a":2,', '"value":[', '"value":{"b":"\\ud800",']));
}

describe('the element-wise memo, against the full path on generated sequences', () => {
  it('gives what a session without a memo gives, accepted or refused, frame after frame', () => {
    const g = new Gen(2029);
    const tally = { frames: 0, elements: 0, numbers: 0, same: 0, refused: 0, refusedWithMemo: 0 };
    const problems: string[] = [];
    for (let run = 0; run < 300; run++) {
      const t = session();
      let states = Array.from({ length: 1 + g.int(4) }, (_, i) => someState(g, i));
      let collectors = '[{"name":"mongod","state":"ok"}]';
      for (let seq = 1; seq <= 60; seq++) {
        const next = g.chance(0.9) ? changed(g, states) : states;
        if (g.chance(0.05)) collectors = g.pick(['[]', '[{"name":"raid","state":"absent"}]', collectors]);
        let text = render(g, next, collectors);
        const corrupt = g.chance(0.1);
        if (corrupt) text = broken(g, text);
        const frame = binaryBatch(seq, [seq, 0.5], text);
        const mine = decodeBinaryFrame(frame, t);
        const how = t.extras.lastRecall;
        const full = fullPath(frame);
        tally.frames++;
        if (how === 'elements') tally.elements++;
        if (how === 'numbers') tally.numbers++;
        if (how === 'same bytes') tally.same++;
        if (!mine.ok) tally.refused++;
        if (!mine.ok && t.extras.rememberedBytes > 0) tally.refusedWithMemo++;
        if (said(mine) !== full) problems.push(`${text}\n memo: ${said(mine)}\n full: ${full}`);
        if (mine.ok && !corrupt) states = next;
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
    // The sequences went where they were meant to: mostly element-wise, with refusals among them.
    expect(tally.elements).toBeGreaterThan(tally.frames / 3);
    expect(tally.numbers).toBeGreaterThan(tally.frames / 20);
    expect(tally.same).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(500);
    expect(tally.refusedWithMemo).toBeGreaterThan(500);
  }, 120_000);
});
