import { describe, expect, it } from 'vitest';
import { valueAt } from '../../../server/alerts/engine.js';
import type { Fn } from '../../../server/alerts/rules.js';
import { initialCapacity, Slab } from '../../../server/alerts/ring.js';
import { runOn } from '../../../server/alerts/running.js';
import { exactSum } from '../../helpers/exact-reference.js';
import { thresholdCondition as cond } from '../../helpers/alert-harness.js';

type Agg = Exclude<Fn, 'last'>;
const FNS: Agg[] = ['avg', 'min', 'max', 'rate'];
const SLACK_MS = 5000; // what plan.ts keeps beyond a condition's range

/**
 * One ring with running aggregates over `spans`, and every sample it was given
 * kept aside, so the tests can recompute a window from scratch.
 */
function ringWith(spans: { overMs: number; extremes: boolean }[], intervalMs = 1000, slackMs = SLACK_MS) {
  const keepMs = Math.max(...spans.map((s) => s.overMs)) + slackMs;
  const slab = new Slab();
  const r = slab.add(initialCapacity(keepMs, intervalMs), keepMs, 0);
  runOn(slab, r, spans);
  const given: [number, number][] = [];
  return {
    slab,
    r,
    ring: r,
    given,
    run: (overMs: number) => slab.runningFor(r, overMs)!,
    append(ts: number, v: number) {
      if (slab.append(r, ts, v, ts)) given.push([ts, v]);
    },
  };
}

/** The window [ts − overMs, ts] of `given` (in time order), recomputed: the non-null values oldest first, with their times. */
function windowOf(given: [number, number][], ts: number, overMs: number) {
  let lo = 0;
  let hi = given.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (given[mid]![0] < ts - overMs) lo = mid + 1;
    else hi = mid;
  }
  const w: [number, number][] = [];
  for (let i = lo; i < given.length && given[i]![0] <= ts; i++) if (!Number.isNaN(given[i]![1])) w.push(given[i]!);
  return w;
}

/** A function of a window by its definition: avg the exact sum (rounded once) over the count. */
function reference(fn: Agg, w: [number, number][]): number | null {
  if (w.length === 0) return null;
  const vs = w.map(([, v]) => v);
  switch (fn) {
    case 'avg':
      return exactSum(vs) / vs.length;
    case 'min':
      return Math.min(...vs);
    case 'max':
      return Math.max(...vs);
    case 'rate': {
      if (w.length < 2) return null;
      const [t0, v0] = w[0]!;
      const [t1, v1] = w[w.length - 1]!;
      return t1 > t0 ? (v1 - v0) / ((t1 - t0) / 1000) : null;
    }
  }
}

describe('running aggregates of a ring, by hand', () => {
  it('slide over wraps and nulls with the values worked out by hand', () => {
    // 3 s range at 1 s: four samples (both ends count). The ring keeps just those 3 s, in 3 + 2 = 5 slots:
    // ten samples wrap around it twice.
    const t = ringWith([{ overMs: 3000, extremes: true }], 1000, 0);
    expect(t.slab.cap(t.r)).toBe(5);
    const values = [2, 4, NaN, 8, 1, NaN, NaN, 5, 3, 6];
    // Per second: [avg, min, max, rate] of the four newest (nulls skipped).
    const expected: (number | null)[][] = [
      [2, 2, 2, null], // [2]
      [3, 2, 4, 2], // [2, 4]: (4 − 2) / 1 s
      [3, 2, 4, 2], // [2, 4, null]
      [14 / 3, 2, 8, 2], // [2, 4, null, 8]: (8 − 2) / 3 s
      [13 / 3, 1, 8, -1], // [4, null, 8, 1]: (1 − 4) / 3 s
      [4.5, 1, 8, -7], // [null, 8, 1, null]: (1 − 8) / 1 s
      [4.5, 1, 8, -7], // [8, 1, null, null]
      [3, 1, 5, 4 / 3], // [1, null, null, 5]: (5 − 1) / 3 s
      [4, 3, 5, -2], // [null, null, 5, 3]: (3 − 5) / 1 s
      [14 / 3, 3, 6, 0.5], // [null, 5, 3, 6]: (6 − 5) / 2 s
    ];
    values.forEach((v, s) => {
      t.append(s * 1000, v);
      expect(FNS.map((fn) => t.run(3000).value(fn))).toEqual(expected[s]);
      for (const fn of FNS) expect(valueAt(t, cond(fn, 3000), s * 1000)).toBe(t.run(3000).value(fn));
    });
    expect(t.slab.cap(t.r)).toBe(5); // no growth: it wrapped
    // Four nulls: nothing in range, then one value: its own average, no rate.
    for (let s = 10; s <= 13; s++) t.append(s * 1000, NaN);
    expect(FNS.map((fn) => t.run(3000).value(fn))).toEqual([null, null, null, null]);
    t.append(14_000, 7);
    expect(FNS.map((fn) => t.run(3000).value(fn))).toEqual([7, 7, 7, null]);
  });

  it('is made from what the ring holds when a rule asks for a range later, and keeps its state when asked again', () => {
    const t = ringWith([{ overMs: 10_000, extremes: false }]);
    for (let s = 0; s <= 20; s++) t.append(s * 1000, s);
    const first = t.run(10_000);
    // A 4 s range over the ring's 10–20 s: 16, 17, 18, 19, 20.
    runOn(t.slab, t.r, [
      { overMs: 10_000, extremes: false },
      { overMs: 4000, extremes: true },
    ]);
    expect(t.run(10_000)).toBe(first);
    expect(FNS.map((fn) => t.run(4000).value(fn))).toEqual([18, 16, 20, 1]);
    // Asking min/max of the 10 s range makes it anew (from the ring: 10 … 20).
    runOn(t.slab, t.r, [{ overMs: 10_000, extremes: true }]);
    expect(t.run(10_000)).not.toBe(first);
    expect(FNS.map((fn) => t.run(10_000).value(fn))).toEqual([15, 10, 20, 1]);
    expect(t.slab.runningFor(t.r, 4000)).toBeUndefined();
    runOn(t.slab, t.r, []);
    expect(t.slab.running[t.r]).toBeNull();
  });

  it('leaves values too large to sum exactly, and infinities, to the one-pass sum, and is exact again once they leave', () => {
    const t = ringWith([{ overMs: 2000, extremes: true }]);
    t.append(0, 1);
    t.append(1000, Infinity);
    expect(t.run(2000).value('avg')).toBeUndefined(); // valueAt reads the ring
    expect(valueAt(t, cond('avg', 2000), 1000)).toBe(Infinity);
    expect(t.run(2000).value('max')).toBe(Infinity);
    t.append(2000, -Infinity);
    expect(valueAt(t, cond('avg', 2000), 2000)).toBeNaN(); // ∞ − ∞, as a plain sum says
    t.append(3000, 1e300);
    t.append(4000, 1e300);
    expect(valueAt(t, cond('avg', 2000), 4000)).toBe(-Infinity); // −∞, 1e300, 1e300
    t.append(5000, 0.1);
    t.append(6000, 0.2);
    expect(valueAt(t, cond('avg', 2000), 6000)).toBe((1e300 + 0.1 + 0.2) / 3); // 1e300 / 3: the plain sum
    t.append(7000, 0.3);
    // Only tame values again: the exact sum 0.6 (the plain sum says 0.6000000000000001), over 3.
    expect(t.run(2000).value('avg')).toBe(0.6 / 3);
    expect(valueAt(t, cond('avg', 2000), 7000)).toBe(0.6 / 3);
  });
});

describe('running aggregates over hours', () => {
  /** Values as a day of awkward data brings them: percentages, counters near 1e15, tiny rates, nulls. */
  function valueFor(s: number): number {
    const phase = Math.floor(s / 1800) % 4; // the kind of value changes every 30 minutes
    if (s % 97 < 3 || (s > 7200 && s < 7260)) return NaN; // short gaps, and a minute of nulls
    const wobble = Math.sin(s * 0.37) + Math.cos(s * 0.011);
    if (phase === 0) return 50 + 30 * wobble; // percentages
    if (phase === 1) return 1e15 + s * 1e3 + wobble; // a counter near 1e15, changing in its last digits
    if (phase === 2) return 1e-12 * wobble; // tiny values of both signs
    return s % 2 === 0 ? 1e9 * wobble : 1e-9 * wobble; // large and tiny side by side
  }

  it('equal a recomputation from scratch at every sample (avg exactly, every 10th), the plain sum within its error bound', () => {
    const spans = [
      { overMs: 300_000, extremes: true },
      { overMs: 60_000, extremes: true },
    ];
    const t = ringWith(spans);
    let checks = 0;
    let worstRelative = 0;
    const wrong: object[] = [];
    // 6 hours at 1 s; from 3 h to 3 h 10 min at 250 ms (the ring grows), and a 2-minute outage at 4 h.
    for (let ms = 0; ms <= 6 * 3_600_000; ms += ms >= 10_800_000 && ms < 11_400_000 ? 250 : 1000) {
      if (ms > 14_400_000 && ms < 14_520_000) continue;
      t.append(ms, valueFor(Math.floor(ms / 1000)));
      for (const { overMs } of spans) {
        const w = windowOf(t.given, ms, overMs);
        const run = t.run(overMs);
        for (const fn of FNS) {
          const got = run.value(fn);
          // The exact reference sums in BigInts of ~1100 bits: every 10th sample keeps the test within seconds.
          const want = fn !== 'avg' || t.given.length % 10 === 0 ? reference(fn, w) : got;
          const read = valueAt(t, cond(fn, overMs), ms);
          if (!Object.is(got, want) || !Object.is(read, got)) wrong.push({ ms, overMs, fn, got, want, read });
        }
        // Against the plain sum (oldest first): |plain − exact| ≤ (n − 1)·2^-53·Σ|x| / n, the textbook bound,
        // plus the rounding of each division.
        if (w.length > 0) {
          const exact = run.value('avg')!;
          const plain = w.reduce((a, [, v]) => a + v, 0) / w.length;
          const magnitudes = w.reduce((a, [, v]) => a + Math.abs(v), 0);
          const bound = (((w.length - 1) * 2 ** -53 * magnitudes) / w.length) * 1.01 + Math.abs(exact) * 2 ** -52;
          if (Math.abs(plain - exact) > bound) wrong.push({ ms, overMs, fn: 'plain', got: exact, want: plain });
          if (exact !== 0) worstRelative = Math.max(worstRelative, Math.abs(plain - exact) / Math.abs(exact));
        }
        checks++;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(checks).toBeGreaterThan(2 * 21_000);
    expect(t.slab.cap(t.r)).toBeGreaterThanOrEqual(1220); // 5 min 5 s at 250 ms: the ring grew
    // The plain sum was off somewhere (cancelling large values): the exact one is not the same figure.
    expect(worstRelative).toBeGreaterThan(0);
  }, 120_000);

  it('sums a window of a million samples of 1e15 ± small changes to the digit', () => {
    // 1e15 + k for k = 0 … 999 999, one every ms; a 1 s range holds 1001 of them.
    const t = ringWith([{ overMs: 1000, extremes: false }], 1);
    for (let k = 0; k < 1_000_000; k++) t.append(k, 1e15 + k);
    // The range [998 999, 999 999] ms: 1001 values 1e15 + 998 999 … 1e15 + 999 999, mean 1e15 + 999 499.
    expect(t.run(1000).value('avg')).toBe(1e15 + 999_499);
    expect(t.run(1000).value('rate')).toBe(1000); // 1000 per 1 s
  });
});
