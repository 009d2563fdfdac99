import { describe, expect, it } from 'vitest';
import { initialCapacity, Slab } from '../../../server/alerts/ring.js';

/** Ring r's samples oldest first, as [ts, value] pairs. */
const contents = (s: Slab, r: number) => Array.from({ length: s.len(r) }, (_, i) => [s.tsAt(r, i), s.valueAt(r, i)]);

describe('a window’s ring of samples', () => {
  it('wraps over its end, keeping exactly the samples inside its range', () => {
    // 3 s kept at 1 s intervals: the newest and the three before it, 4 samples, which fit a capacity of 4.
    const slab = new Slab();
    const r = slab.add(4, 3000, 0);
    for (let s = 0; s <= 9; s++) expect(slab.append(r, s * 1000, s * 10, 50_000 + s)).toBe(true);
    expect(contents(slab, r)).toEqual([
      [6000, 60],
      [7000, 70],
      [8000, 80],
      [9000, 90],
    ]);
    // Ten samples through four slots, no growth: 4 pairs of doubles are all the slab handed out.
    expect([slab.cap(r), slab.used]).toEqual([4, 8]);
    // The oldest is in slot 6 mod 4 = 2: its pair starts at double 4.
    expect(slab.at(r, 0)).toBe(4);
    expect(slab.lastAt(r)).toBe(50_009);
  });

  it('refuses a sample that is not newer than its newest, and keeps what it had', () => {
    const slab = new Slab();
    const r = slab.add(4, 3000, 0);
    slab.append(r, 5000, 1, 100);
    expect(slab.append(r, 5000, 2, 200)).toBe(false);
    expect(slab.append(r, 4000, 3, 300)).toBe(false);
    expect(contents(slab, r)).toEqual([[5000, 1]]);
    expect(slab.lastAt(r)).toBe(100); // nothing new arrived
  });

  it('grows when samples come faster than it was sized for, losing none inside its range', () => {
    const slab = new Slab();
    const r = slab.add(3, 10_000, 0);
    // 10 s kept, samples every 500 ms: 21 samples (0 … 10 s) are inside the range at the end.
    for (let t = 0; t <= 10_000; t += 500) slab.append(r, t, t / 500, t);
    expect(slab.len(r)).toBe(21);
    expect(slab.cap(r)).toBe(24); // 3 → 6 → 12 → 24
    expect(contents(slab, r)).toEqual(Array.from({ length: 21 }, (_, i) => [i * 500, i]));
  });

  it('grows across a wrap, and compacts its slab without disturbing its neighbours', () => {
    const slab = new Slab();
    const a = slab.add(2, 1000, 0);
    const b = slab.add(2, 60_000, 0);
    // a wraps: at 0..3 s it keeps [2 s, 3 s]. b holds 0 s and 1 s, then needs room at 2 s: it grows to 4
    // (8 doubles after a's 4 and its old 4, which are left behind: 4 of 16 used), and again at 4 s, to 8
    // (16 doubles; left behind 4 + 8 = 12 of 32 used, at least half of the 20 live), so the slab is rebuilt
    // with a's 4 and b's 16 doubles only.
    for (let s = 0; s <= 3; s++) slab.append(a, s * 1000, -s, 0);
    for (let s = 0; s <= 4; s++) slab.append(b, s * 1000, s, 0);
    expect(slab.waste).toBe(0);
    expect(slab.used).toBe(2 * 2 + 2 * 8);
    expect(contents(slab, a)).toEqual([
      [2000, -2],
      [3000, -3],
    ]);
    expect(contents(slab, b)).toEqual([0, 1, 2, 3, 4].map((s) => [s * 1000, s]));
    slab.append(a, 4000, -4, 0);
    slab.append(b, 5000, 5, 0);
    expect(contents(slab, a)).toEqual([
      [3000, -3],
      [4000, -4],
    ]);
    expect(contents(slab, b)).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s * 1000, s]));
  });

  it('keeps a shorter range once told to (a rule set that reads less of the series)', () => {
    const slab = new Slab();
    const r = slab.add(8, 5000, 0);
    for (let s = 0; s <= 5; s++) slab.append(r, s * 1000, s, 0);
    slab.setKeepMs(r, 2000);
    slab.append(r, 6000, 6, 0); // keeps [4 s, 6 s]
    expect(contents(slab, r).map(([t]) => t)).toEqual([4000, 5000, 6000]);
  });

  it('takes exactly the room reserved for a plan’s rings, and steps of 512 doubles beyond it', () => {
    const slab = new Slab();
    slab.reserve(2 * 4 + 2 * 2); // a ring of 4 samples and one of 2: a (ts, value) pair each
    slab.add(4, 3000, 0);
    slab.add(2, 1000, 0);
    expect([slab.buf.length, slab.used]).toEqual([12, 12]);
    slab.add(3, 2000, 0); // not reserved: the slab grows by a step
    expect([slab.buf.length, slab.used]).toEqual([12 + 512, 18]);
  });

  it('is first sized for its range at the host’s interval, plus two', () => {
    expect(initialCapacity(305_000, 1000)).toBe(307);
    expect(initialCapacity(5000, 10_000)).toBe(3);
    expect(initialCapacity(30 * 60_000 + 5000, 100)).toBe(4096); // capped; it grows past that on demand
  });
});
