import { describe, expect, it } from 'vitest';
import { MAX_SHARED_ENTRIES, MAX_SHARED_SLOTS, SessionSeries } from '../../server/agent-frames.js';

/**
 * Sessions that define the same series share its entry (server/agent-frames.ts): one object, key and labels
 * copy for a whole fleet rather than one per agent connection.
 */
describe('session series tables', () => {
  it('share one frozen entry per series across sessions, keyed by metric and labels in any order', () => {
    const a = new SessionSeries();
    const b = new SessionSeries();
    const labels = { op: 'total', kind: 'x' };
    a.reset([['disk_util_percent', { device: 'sda' }], ['mongod_queued', labels], ['mongod_up']]);
    b.reset([['mongod_up'], ['mongod_queued', { kind: 'x', op: 'total' }], ['disk_util_percent', { device: 'sda' }]]);
    expect(a.entries[0]).toBe(b.entries[2]);
    expect(a.entries[1]).toBe(b.entries[1]);
    expect(a.entries[2]).toBe(b.entries[0]);
    expect(a.entries[1]).toEqual({
      m: 'mongod_queued',
      l: { op: 'total', kind: 'x' },
      key: 'mongod_queued{kind="x",op="total"}',
    });
    expect(a.entries[2]).toEqual({ m: 'mongod_up', key: 'mongod_up' });
    // The labels are a frozen copy: what the hello's decoder made stays its own.
    expect(a.entries[1]!.l).not.toBe(labels);
    expect(Object.isFrozen(a.entries[1]!.l)).toBe(true);
    labels.op = 'readers';
    expect(b.entries[1]!.l).toEqual({ op: 'total', kind: 'x' });
    // Empty labels are no labels.
    a.reset([['mongod_up', {}]]);
    expect(a.entries[0]).toEqual({ m: 'mongod_up', key: 'mongod_up' });
  });

  it(`keeps at most ${MAX_SHARED_ENTRIES} shared entries; past that, each session has its own`, () => {
    const t = new SessionSeries();
    // More distinct series than the bound, in tables of at most 10 000 (a session's limit).
    for (let from = 0; from <= MAX_SHARED_ENTRIES; from += 10_000)
      t.reset(
        Array.from(
          { length: 10_000 },
          (_, i) => ['disk_util_percent', { device: `d${from + i}` }] as [string, Record<string, string>],
        ),
      );
    const past = { device: `d${MAX_SHARED_ENTRIES + 20_000}` };
    const first = new SessionSeries();
    const second = new SessionSeries();
    first.reset([['disk_util_percent', past]]);
    second.reset([['disk_util_percent', past]]);
    expect(first.entries[0]).toEqual(second.entries[0]);
    expect(first.entries[0]).not.toBe(second.entries[0]);
    // One named before the bound was reached is still shared.
    first.reset([['disk_util_percent', { device: 'd5' }]]);
    second.reset([['disk_util_percent', { device: 'd5' }]]);
    expect(first.entries[0]).toBe(second.entries[0]);
  });

  it('share the slots of a batch in table order across sessions, one array per length', () => {
    const a = new SessionSeries();
    const b = new SessionSeries();
    a.reset([['mongod_up'], ['disk_util_percent', { device: 'sda' }], ['disk_util_percent', { device: 'sdb' }]]);
    b.reset([['disk_util_percent', { device: 'sdb' }], ['mongod_up'], ['disk_util_percent', { device: 'sda' }]]);
    const slots = a.inOrder(3)!.slots;
    expect(slots).toEqual([0, 1, 2]);
    expect(b.inOrder(3)!.slots).toBe(slots);
    expect(b.inOrder(3)!.series).toEqual([b.entries[0], b.entries[1], b.entries[2]]);
    expect(a.inOrder(2)!.slots).toEqual([0, 1]);
    expect(a.inOrder(4)).toBeNull();
  });

  it(`keeps at most ${MAX_SHARED_SLOTS} lengths of shared slots; past that, each session has its own`, () => {
    const tableOf = (n: number) => {
      const t = new SessionSeries();
      t.reset(
        Array.from(
          { length: n },
          (_, i) => ['disk_util_percent', { device: `d${i}` }] as [string, Record<string, string>],
        ),
      );
      return t;
    };
    for (let n = 1; n <= MAX_SHARED_SLOTS; n++) tableOf(n).inOrder(n);
    const n = MAX_SHARED_SLOTS + 1;
    const a = tableOf(n).inOrder(n)!.slots;
    const b = tableOf(n).inOrder(n)!.slots;
    expect(a).not.toBe(b);
    expect(a).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(b).toEqual(a);
    // A length kept before the bound was reached is still shared.
    expect(tableOf(5).inOrder(5)!.slots).toBe(tableOf(5).inOrder(5)!.slots);
  });
});
