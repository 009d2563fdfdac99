import { describe, expect, it } from 'vitest';
import type { CheckedState, DecodedBatch, Hello, WireState } from '../../shared/protocol.js';
import type { HostStates } from '../../shared/states.js';
import { HostRegistry } from '../../server/hosts.js';

const hello = (agentId: string): Hello =>
  ({ type: 'hello', protocol: 3, agentId, session: 's', hostname: agentId, agentVersion: '1' }) as Hello;
type Extras = Pick<DecodedBatch, 'stateKinds' | 'states'>;
const st = (kind: string, key: string, value: Record<string, unknown>): WireState => ({ kind, key, value });
/** A host's states as text: JSON keeps each map's key order, which the overview and the API show. */
const text = (s: HostStates | undefined) => JSON.stringify(s);

function registry(): { r: HostRegistry; seen: (b: Extras) => HostStates } {
  const r = new HostRegistry();
  r.connected(hello('db1'), 1);
  let now = 1;
  return { r, seen: (b) => (r.seen('db1', ++now, b), r.get('db1')!.states) };
}

describe('a batch laid out as the last one (its values written into the maps the last one filled)', () => {
  it('holds the new values, in the same maps, with the keys in the same order', () => {
    const { seen } = registry();
    const kinds = ['raid_array', 'mongod'];
    const first = seen({
      stateKinds: kinds,
      states: [st('raid_array', 'md1', { n: 1 }), st('raid_array', 'md0', { n: 2 }), st('mongod', 'status', { up: 1 })],
    });
    const raid = first.raid_array;
    expect(text(first)).toBe('{"raid_array":{"md1":{"n":1},"md0":{"n":2}},"mongod":{"status":{"up":1}}}');
    // Same kinds and keys (new arrays and objects, as every decode gives), new values.
    const second = seen({
      stateKinds: [...kinds],
      states: [st('raid_array', 'md1', { n: 3 }), st('raid_array', 'md0', { n: 4 }), st('mongod', 'status', { up: 5 })],
    });
    expect(second.raid_array).toBe(raid); // the fast path: the same map, written into
    expect(text(second)).toBe('{"raid_array":{"md1":{"n":3},"md0":{"n":4}},"mongod":{"status":{"up":5}}}');
  });

  it('gives the last of two states of one kind and key, even when that one is the same object as before', () => {
    const { seen } = registry();
    const later = st('mongod', 'status', { up: 2 });
    seen({ stateKinds: ['mongod'], states: [st('mongod', 'status', { up: 1 }), later] });
    // The first changes, the second is the very object the last batch had: the second still wins.
    const s = seen({ stateKinds: ['mongod'], states: [st('mongod', 'status', { up: 3 }), later] });
    expect(text(s)).toBe('{"mongod":{"status":{"up":2}}}');
  });

  it('keeps a full kind with no states empty, and a partly reported kind keeps the keys of earlier batches', () => {
    const { seen } = registry();
    seen({ stateKinds: ['logpaths'], states: [st('filesystem', '/a', { f: 1 })] });
    seen({ stateKinds: ['logpaths'], states: [st('filesystem', '/b', { f: 2 })] });
    // /a came in an earlier batch and a partial report keeps it; the same layout again keeps both.
    const s = seen({ stateKinds: ['logpaths'], states: [st('filesystem', '/b', { f: 3 })] });
    expect(text(s)).toBe('{"logpaths":{},"filesystem":{"/a":{"f":1},"/b":{"f":3}}}');
  });
});

describe('a batch laid out otherwise (new maps, as before the layout was kept)', () => {
  it('drops a key the full kind no longer reports and takes a new one in its order', () => {
    const { seen } = registry();
    seen({
      stateKinds: ['raid_array'],
      states: [st('raid_array', 'md0', { n: 1 }), st('raid_array', 'md1', { n: 2 })],
    });
    let s = seen({ stateKinds: ['raid_array'], states: [st('raid_array', 'md1', { n: 3 })] });
    expect(text(s)).toBe('{"raid_array":{"md1":{"n":3}}}');
    s = seen({
      stateKinds: ['raid_array'],
      states: [st('raid_array', 'md2', { n: 4 }), st('raid_array', 'md1', { n: 5 })],
    });
    expect(text(s)).toBe('{"raid_array":{"md2":{"n":4},"md1":{"n":5}}}');
  });

  it('reports a kind anew when the same states come as part of another set of full kinds', () => {
    const { seen } = registry();
    seen({ stateKinds: ['raid_array'], states: [st('raid_array', 'md0', { n: 1 }), st('mongod', 'a', { x: 1 })] });
    seen({ stateKinds: ['raid_array'], states: [st('raid_array', 'md0', { n: 1 }), st('mongod', 'b', { x: 2 })] });
    // mongod was partial (a and b kept); now it is full: only what this batch says.
    const s = seen({
      stateKinds: ['raid_array', 'mongod'],
      states: [st('raid_array', 'md0', { n: 1 }), st('mongod', 'b', { x: 3 })],
    });
    expect(text(s)).toBe('{"raid_array":{"md0":{"n":1}},"mongod":{"b":{"x":3}}}');
  });

  it('writes into the states of a host that was forgotten and came back, not into the maps it had', () => {
    const { r, seen } = registry();
    const layout = { stateKinds: ['raid_array'], states: [st('raid_array', 'md0', { n: 1 })] };
    seen(layout);
    r.forget('db1');
    r.connected(hello('db1'), 5);
    const s = seen({ ...layout, states: [st('raid_array', 'md0', { n: 2 })] });
    expect(text(s)).toBe('{"raid_array":{"md0":{"n":2}}}');
  });

  it('writes into a states object put in place of the one the last batch filled', () => {
    const { r, seen } = registry();
    const layout = { stateKinds: ['raid_array'], states: [st('raid_array', 'md0', { n: 1 })] };
    seen(layout);
    const fresh = Object.create(null) as HostStates;
    r.get('db1')!.states = fresh;
    expect(seen({ ...layout, states: [st('raid_array', 'md0', { n: 2 })] })).toBe(fresh);
    expect(text(fresh)).toBe('{"raid_array":{"md0":{"n":2}}}');
  });

  it('keeps the states as they are for a batch without any, and lays the next one out as before', () => {
    const { seen } = registry();
    const first = seen({ stateKinds: ['mongod'], states: [st('mongod', 'status', { up: 1 })] });
    const map = first.mongod;
    expect(text(seen({}))).toBe('{"mongod":{"status":{"up":1}}}');
    const s = seen({ stateKinds: ['mongod'], states: [st('mongod', 'status', { up: 2 })] });
    expect(s.mongod).toBe(map);
    expect(text(s)).toBe('{"mongod":{"status":{"up":2}}}');
  });
});

/**
 * The rule as written before the layout was kept (and as the docs state it): a full kind gets a new map,
 * then each state is written into its kind's map.
 */
function byTheRule(into: HostStates, b: Extras): void {
  for (const kind of b.stateKinds ?? []) into[kind] = Object.create(null) as Record<string, never>;
  for (const s of b.states ?? []) (into[s.kind] ??= Object.create(null) as Record<string, never>)[s.key] = s.value;
}

describe('random batches: the registry holds what the rule gives', () => {
  it('after every batch, for layouts that mostly repeat', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648), seed % n);
    const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)]!;
    const kindNames = ['raid_array', 'mongod', 'filesystem', '__proto__'];
    const keyNames = ['md0', 'md1', 'status', 'constructor', '/'];
    let fast = 0;
    for (let run = 0; run < 20; run++) {
      const { r, seen } = registry();
      const expected = Object.create(null) as HostStates;
      let current = r.get('db1')!.states;
      let last: Extras = {};
      for (let i = 0; i < 300; i++) {
        const roll = rnd(10);
        let b: Extras;
        if (roll < 6 && last.states) {
          // The same layout with new values, now and then an element that is the very same object.
          b = {
            stateKinds: last.stateKinds && [...last.stateKinds],
            states: last.states.map((s) => (rnd(3) === 0 ? s : st(s.kind, s.key, { v: rnd(100) }))),
          };
        } else if (roll === 6) b = {};
        else {
          const kinds = kindNames.filter(() => rnd(2) === 0);
          b = {
            ...(kinds.length || rnd(2) ? { stateKinds: kinds } : {}),
            states: Array.from({ length: rnd(5) }, () => st(pick(kindNames), pick(keyNames), { v: rnd(100) })),
          };
        }
        const repeats = roll < 6 && last.states !== undefined && last.states.length > 0;
        const mapsBefore = { ...current };
        current = seen(b);
        byTheRule(expected, b);
        expect(text(current)).toBe(text(expected));
        if (repeats) {
          // The layout repeated: the fast path wrote into the maps the last batch filled.
          for (const k of b.stateKinds ?? []) expect(current[k]).toBe(mapsBefore[k]);
          fast++;
        }
        if (b.states) last = b;
      }
    }
    expect(fast).toBeGreaterThan(1000); // the layout repeated often enough to exercise the fast path
  });
});

describe('a state set aside for its shape (it carries a problem)', () => {
  const bad = (kind: string, key: string): CheckedState => ({ ...st(kind, key, { x: 1 }), problem: 'x is wrong' });

  it('is not written: its key keeps its last good value, also when its kind is renewed, and in its place', () => {
    const { r, seen } = registry();
    const kinds = ['logpaths'];
    seen({ stateKinds: kinds, states: [st('logpaths', 'a', { n: 1 }), st('logpaths', 'b', { n: 2 })] });
    const s = seen({ stateKinds: kinds, states: [bad('logpaths', 'a'), st('logpaths', 'b', { n: 3 })] });
    expect(text(s)).toBe('{"logpaths":{"a":{"n":1},"b":{"n":3}}}');
    expect(r.get('db1')!.stateProblems).toEqual([{ kind: 'logpaths', key: 'a', problem: 'x is wrong' }]);
    // Again, then laid out the same with a good one: the value is current, the problem gone.
    seen({ stateKinds: kinds, states: [bad('logpaths', 'a'), st('logpaths', 'b', { n: 4 })] });
    const back = seen({ stateKinds: kinds, states: [st('logpaths', 'a', { n: 5 }), st('logpaths', 'b', { n: 6 })] });
    expect(text(back)).toBe('{"logpaths":{"a":{"n":5},"b":{"n":6}}}');
    expect(r.get('db1')!.stateProblems).toBeUndefined();
  });

  it('with no earlier value stays absent, and a key gone from the next batch is gone', () => {
    const { seen } = registry();
    expect(text(seen({ stateKinds: ['logpaths'], states: [bad('logpaths', 'a')] }))).toBe('{"logpaths":{}}');
    seen({ stateKinds: ['logpaths'], states: [st('logpaths', 'a', { n: 1 })] });
    seen({ stateKinds: ['logpaths'], states: [bad('logpaths', 'a')] });
    // The kind reported in full without the key: nothing kept for it.
    expect(text(seen({ stateKinds: ['logpaths'], states: [] }))).toBe('{"logpaths":{}}');
  });

  it('after a good state of the same key in the same batch, leaves that one', () => {
    const { seen } = registry();
    const s = seen({ stateKinds: ['logpaths'], states: [st('logpaths', 'a', { n: 1 }), bad('logpaths', 'a')] });
    expect(text(s)).toBe('{"logpaths":{"a":{"n":1}}}');
  });
});
