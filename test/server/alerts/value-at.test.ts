import { describe, expect, it } from 'vitest';
import { valueAt } from '../../../server/alerts/engine.js';
import { Slab } from '../../../server/alerts/ring.js';
import { thresholdCondition as cond } from '../../helpers/alert-harness.js';

describe('a condition’s function of its window', () => {
  // Samples at 0..4 s: 1, null, 4, 10, 7 (windows hold NaN for null). Two older samples go first, so the
  // five kept wrap around the end of the ring's storage (capacity 5, 4 s kept).
  const w = { slab: new Slab(), ring: 0 };
  w.slab.add(5, 4000, 0);
  for (const [ts, v] of [
    [-3000, 99],
    [-2000, 99],
    [0, 1],
    [1000, NaN],
    [2000, 4],
    [3000, 10],
    [4000, 7],
  ])
    w.slab.append(0, ts!, v!, 0);
  it('holds the five samples wrapped around its storage', () => {
    expect([w.slab.len(0), w.slab.cap(0)]).toEqual([5, 5]);
    expect(w.slab.at(0, 0)).toBe(2 * 2); // the oldest kept (0 s) is the third written, in slot 2
  });

  it('computes avg, min, max and rate over the window, skipping nulls', () => {
    // Window [1 s, 4 s] holds null, 4, 10, 7.
    expect(valueAt(w, cond('avg', 3000), 4000)).toBe(7); // (4 + 10 + 7) / 3
    expect(valueAt(w, cond('min', 3000), 4000)).toBe(4);
    expect(valueAt(w, cond('max', 3000), 4000)).toBe(10);
    expect(valueAt(w, cond('rate', 3000), 4000)).toBe(1.5); // (7 - 4) / (4 s - 2 s)
    // Ending earlier: window [0 s, 3 s] holds 1, null, 4, 10.
    expect(valueAt(w, cond('avg', 3000), 3000)).toBe(5);
    expect(valueAt(w, cond('rate', 3000), 3000)).toBe(3); // (10 - 1) / 3 s
  });

  it('takes the newest sample at or before the time for last, and null where there is none', () => {
    expect(valueAt(w, cond('last', 0), 3500)).toBe(10);
    expect(valueAt(w, cond('last', 0), 1500)).toBe(null); // the newest then is a null
    expect(valueAt(w, cond('last', 0), -1)).toBe(null);
    expect(valueAt(w, cond('rate', 500), 4000)).toBe(null); // one value is no rate
    expect(valueAt(w, cond('avg', 500), 1200)).toBe(null); // only a null in [0.7 s, 1.2 s]
  });
});
