import { describe, expect, it } from 'vitest';
import { HostSeries } from '../../../server/store/host-series.js';

describe("a host's series by shape number (open addressing in one Int32Array)", () => {
  it('keeps every id past its first capacity, in the order added, and nothing it was not given', () => {
    const h = new HostSeries('db1', 0, 4);
    // 4 slots hold 2 series before doubling; 40 series double it five times (to 128).
    for (let s = 0; s < 40; s++) h.set(s, 1000 + s);
    expect(h.size).toBe(40);
    for (let s = 0; s < 40; s++) expect(h.get(s)).toBe(1000 + s);
    expect(h.get(40)).toBeUndefined();
    expect(h.get(1_000_000)).toBeUndefined();
    expect([...h.ids()]).toEqual(Array.from({ length: 40 }, (_, s) => 1000 + s));
  });

  it('finds shapes that start at the same slot, before and after the table doubles', () => {
    const h = new HostSeries('db1', 0, 8);
    // At 8 slots, shapes 3, 11, 19 and 27 all start at slot 3; at 16, 3 and 19 do, 11 and 27 at 11.
    h.set(27, 1);
    h.set(3, 2);
    h.set(19, 3);
    expect([h.get(27), h.get(3), h.get(19), h.get(11)]).toEqual([1, 2, 3, undefined]);
    h.set(11, 4);
    h.set(35, 5);
    expect(h.size).toBe(5);
    expect([h.get(27), h.get(3), h.get(19), h.get(11), h.get(35), h.get(43)]).toEqual([1, 2, 3, 4, 5, undefined]);
    expect([...h.ids()]).toEqual([1, 2, 3, 4, 5]);
  });

  it('takes a second id for a shape in place of the first, in the same place of the order', () => {
    const h = new HostSeries('db1', 0, 4);
    h.set(0, 10);
    h.set(5, 11);
    h.set(0, 12);
    expect(h.size).toBe(2);
    expect([h.get(0), h.get(5)]).toEqual([12, 11]);
    expect([...h.ids()]).toEqual([12, 11]);
  });
});
