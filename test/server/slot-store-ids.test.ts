import { describe, expect, it } from 'vitest';
import { SlotStoreIds } from '../../server/slot-store-ids.js';

/** A resolver that numbers slot s as 10 × s (slot 0: id 0, as the memory store numbers its first series), refusing `refused`, and counts its calls. */
function resolver(refused = new Set<number>()) {
  const calls: number[] = [];
  const resolve = (slot: number) => {
    calls.push(slot);
    return refused.has(slot) ? -1 : 10 * slot;
  };
  return { calls, resolve };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("a session's slots → store ids", () => {
  it('resolves each slot once, id 0 included, past its first size, and hands the same ids to the same slots array', () => {
    const ids = new SlotStoreIds();
    const r = resolver();
    const slots = range(100);
    expect(ids.last(slots)).toBeNull();
    const first = ids.resolve(slots, r.resolve);
    expect([...first]).toEqual(range(100).map((s) => 10 * s));
    expect(r.calls).toEqual(range(100));
    expect(ids.last(slots)).toBe(first);
    expect(ids.isLast(first)).toBe(true);
    // Another slots array (a batch with indexes) resolves nothing again, and becomes the last.
    const other = [99, 0, 37, 250];
    expect([...ids.resolve(other, r.resolve)]).toEqual([990, 0, 370, 2500]);
    expect(r.calls).toEqual([...range(100), 250]);
    expect(ids.last(slots)).toBeNull();
    expect(ids.last(other)).not.toBeNull();
  });

  it('keeps a refusal for its slot, but never hands out ids holding one as the last', () => {
    const ids = new SlotStoreIds();
    const r = resolver(new Set([2]));
    const slots = range(4);
    expect([...ids.resolve(slots, r.resolve)]).toEqual([0, 10, -1, 30]);
    expect(ids.last(slots)).toBeNull();
    expect([...ids.resolve(slots, r.resolve)]).toEqual([0, 10, -1, 30]);
    // Slot 2 was asked once: the agent is told of a refusal once per connection.
    expect(r.calls).toEqual([0, 1, 2, 3]);
  });

  it('resolves every slot afresh after a reset (a new series table)', () => {
    const ids = new SlotStoreIds();
    const r = resolver();
    const slots = range(3);
    ids.resolve(slots, r.resolve);
    ids.reset();
    expect(ids.last(slots)).toBeNull();
    expect([...ids.resolve(slots, r.resolve)]).toEqual([0, 10, 20]);
    expect(r.calls).toEqual([0, 1, 2, 0, 1, 2]);
  });
});
