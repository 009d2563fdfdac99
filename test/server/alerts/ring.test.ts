import { describe, expect, it } from 'vitest';
import { initialCapacity, Ring, Slab } from '../../../server/alerts/ring.js';

/** A ring's samples oldest first, as [ts, value] pairs. */
const contents = (r: Ring) => Array.from({ length: r.len }, (_, i) => [r.tsAt(i), r.valueAt(i)]);

describe('a window’s ring of samples', () => {
  it('wraps over its end, keeping exactly the samples inside its range', () => {
    // 3 s kept at 1 s intervals: the newest and the three before it, 4 samples, which fit a capacity of 4.
    const slab = new Slab();
    const r = new Ring(slab, 4, 3000);
    for (let s = 0; s <= 9; s++) expect(r.append(s * 1000, s * 10)).toBe(true);
    expect(contents(r)).toEqual([
      [6000, 60],
      [7000, 70],
      [8000, 80],
      [9000, 90],
    ]);
    // Ten samples through four slots: 9 mod 4 = 1 is the newest slot, so the oldest is slot 2; no growth.
    expect([r.cap, r.start, slab.used]).toEqual([4, 2, 8]);
  });

  it('refuses a sample that is not newer than its newest, and keeps what it had', () => {
    const r = new Ring(new Slab(), 4, 3000);
    r.append(5000, 1);
    expect(r.append(5000, 2)).toBe(false);
    expect(r.append(4000, 3)).toBe(false);
    expect(contents(r)).toEqual([[5000, 1]]);
  });

  it('grows when samples come faster than it was sized for, losing none inside its range', () => {
    const r = new Ring(new Slab(), 3, 10_000);
    // 10 s kept, samples every 500 ms: 21 samples (0 … 10 s) are inside the range at the end.
    for (let t = 0; t <= 10_000; t += 500) r.append(t, t / 500);
    expect(r.len).toBe(21);
    expect(r.cap).toBe(24); // 3 → 6 → 12 → 24
    expect(contents(r)).toEqual(Array.from({ length: 21 }, (_, i) => [i * 500, i]));
  });

  it('grows across a wrap, and compacts its slab without disturbing its neighbours', () => {
    const slab = new Slab();
    const a = new Ring(slab, 2, 1000);
    const b = new Ring(slab, 2, 60_000);
    // a wraps: at 0..3 s it keeps [2 s, 3 s]. b holds 0 s and 1 s, then needs room at 2 s: it grows to 4
    // (8 doubles after a's 4 and its old 4, which are left behind: 4 of 16 used), and again at 4 s, to 8
    // (16 doubles; left behind 4 + 8 = 12 of 32 used, at least half of the 20 live), so the slab is rebuilt
    // with a's 4 and b's 16 doubles only.
    for (let s = 0; s <= 3; s++) a.append(s * 1000, -s);
    for (let s = 0; s <= 4; s++) b.append(s * 1000, s);
    expect(slab.waste).toBe(0);
    expect(slab.used).toBe(2 * 2 + 2 * 8);
    expect(contents(a)).toEqual([
      [2000, -2],
      [3000, -3],
    ]);
    expect(contents(b)).toEqual([0, 1, 2, 3, 4].map((s) => [s * 1000, s]));
    a.append(4000, -4);
    b.append(5000, 5);
    expect(contents(a)).toEqual([
      [3000, -3],
      [4000, -4],
    ]);
    expect(contents(b)).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s * 1000, s]));
  });

  it('is first sized for its range at the host’s interval, plus two', () => {
    expect(initialCapacity(305_000, 1000)).toBe(307);
    expect(initialCapacity(5000, 10_000)).toBe(3);
    expect(initialCapacity(30 * 60_000 + 5000, 100)).toBe(4096); // capped; it grows past that on demand
  });
});
