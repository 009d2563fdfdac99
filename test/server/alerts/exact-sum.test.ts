import { describe, expect, it } from 'vitest';
import { ExactSum, TAME_LIMIT, tame } from '../../../server/alerts/exact-sum.js';
import { exactSum, fromUnits, toUnits } from '../../helpers/exact-reference.js';

const sumOf = (xs: number[]) => {
  const s = new ExactSum();
  for (const x of xs) s.add(x);
  return s;
};

/** A deterministic stream of doubles (xorshift), so a failure can be replayed. */
function* stream(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x / 2 ** 32;
  }
}

describe('the exact reference of the tests', () => {
  it('round-trips doubles of every kind through exact units', () => {
    for (const x of [0, 1, -1, 0.1, 1e300, -1e-300, 5e-324, 2 ** -1022, 2 ** 52 + 1, Number.MAX_VALUE])
      expect(fromUnits(toUnits(x))).toBe(x);
    expect(toUnits(1)).toBe(1n << 1074n);
    expect(toUnits(5e-324)).toBe(1n);
  });
});

describe('an exact running sum', () => {
  it('rounds the true sum once: 0.1 + 0.2 + 0.3 is 0.6, not the 0.6000000000000001 of adding in turn', () => {
    // As doubles 0.1 + 0.2 + 0.3 = 0.600000000000000005551…, whose nearest double is 0.59999999999999997780…
    // (the literal 0.6), 2.8e-17 away, against 8.3e-17 to the next one up.
    expect(sumOf([0.1, 0.2, 0.3]).value()).toBe(0.6);
    expect(0.1 + 0.2 + 0.3).toBe(0.6000000000000001); // what a plain sum says
  });

  it('keeps what a large value would swallow, and gets it back when the large value leaves', () => {
    const s = sumOf([1e20, 1, 1e-20, -1e20]);
    // 1 + 1e-20 rounds to 1: the exact sum's nearest double.
    expect(s.value()).toBe(1);
    s.add(-1);
    expect(s.value()).toBe(1e-20); // a plain running sum would say 0 here (or -1 after the 1 left)
    expect(1e20 + 1 + 1e-20 - 1e20 - 1).toBe(-1);
  });

  it('rounds halfway cases to even, looking past the halfway point into the smaller partials', () => {
    // 1 + 2^-53 is exactly halfway between 1 and 1 + 2^-52: to even, 1.
    expect(sumOf([1, 2 ** -53]).value()).toBe(1);
    // With 2^-106 more it is past halfway: up, to 1 + 2^-52 (adding in turn says 1).
    expect(sumOf([1, 2 ** -53, 2 ** -106]).value()).toBe(1 + 2 ** -52);
    expect(sumOf([1, -(2 ** -53), -(2 ** -107)]).value()).toBe(1 - 2 ** -53);
  });

  it('comes back to exactly zero, with no partial left, once every value has left', () => {
    const xs = [...Array(5000)].map((_, i) => Math.sin(i) * 10 ** ((i % 13) - 6));
    const s = sumOf(xs);
    for (const x of xs) s.add(-x);
    expect(s.value()).toBe(0);
    expect(s.size).toBe(0);
  });

  it('equals the correctly rounded sum over a long slide of mixed magnitudes, with partials bounded by the bits spanned', () => {
    // 200 000 values from 1e-12 to 1e12, both signs; a window of 300 slides over them.
    const r = stream(12345);
    const xs = Array.from({ length: 200_000 }, () => {
      const a = r.next().value as number;
      const b = r.next().value as number;
      return (a - 0.5) * 10 ** Math.floor(b * 25 - 12);
    });
    const s = new ExactSum();
    let worstSize = 0;
    for (let i = 0; i < xs.length; i++) {
      s.add(xs[i]!);
      if (i >= 300) s.add(-xs[i - 300]!);
      worstSize = Math.max(worstSize, s.size);
      if (i % 997 === 0) expect(s.value()).toBe(exactSum(xs.slice(Math.max(0, i - 299), i + 1)));
    }
    // Partials never share a bit position, so they are at most as many as the positions between the lowest
    // bit of any value (|a − 0.5| has at most 32 significant bits, times 1e-12: above 2^-93) and the top of
    // 300 magnitudes below 5e11 (below 2^48): 141. No slide makes them more (here they stay near a dozen).
    expect(worstSize).toBeLessThanOrEqual(141);
    expect(worstSize).toBeGreaterThan(1);
  });

  it('takes only tame values: finite and below 2^960', () => {
    expect([tame(1e288), tame(TAME_LIMIT), tame(-TAME_LIMIT), tame(Infinity), tame(NaN)]).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
