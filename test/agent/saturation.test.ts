import { describe, expect, it } from 'vitest';
import { AwaitBaseline, BASELINE_MIN_SAMPLES, BASELINE_WINDOW } from '../../agent/saturation.js';

const feed = (b: AwaitBaseline, awaitMs: number, times: number, ios = 100, saturated = false) => {
  for (let i = 0; i < times; i++) b.update(awaitMs, ios, saturated);
};

describe('await baseline: median of recent busy intervals', () => {
  it('does not depend on the first busy second', () => {
    const b = new AwaitBaseline();
    feed(b, 10, 1); // a 10 ms first second (cold cache, a flush)
    feed(b, 0.5, 99);
    // median of one 10 and ninety-nine 0.5 is 0.5; the moving average seeded with 10 ms and a 10-minute time
    // constant would still be 0.5 + 9.5·exp(-99 s / 600 s) ≈ 8.6 ms here
    expect(b.current).toBe(0.5);
  });

  it('is trusted only after enough busy intervals', () => {
    const b = new AwaitBaseline();
    feed(b, 3, BASELINE_MIN_SAMPLES - 1);
    expect(b.current).toBeNull();
    feed(b, 3, 1);
    expect(b.current).toBe(3);
  });

  it('counts neither idle nor saturated intervals', () => {
    const b = new AwaitBaseline();
    feed(b, 1, 30);
    feed(b, 50, 20, 0); // no I/O completed: await is 0/0 and means nothing
    feed(b, 50, 20, 100, true); // saturated: would teach the baseline that saturation is normal
    b.update(null, 100, false);
    expect(b.samples).toBe(30);
    expect(b.current).toBe(1);
  });

  it('takes the middle value, and the mean of the two middle ones for an even count', () => {
    const odd = new AwaitBaseline();
    for (let i = 31; i >= 1; i--) odd.update(i, 1, false); // 1..31 in falling order: median 16
    expect(odd.current).toBe(16);
    const even = new AwaitBaseline();
    for (let i = 1; i <= 32; i++) even.update(i, 1, false); // 1..32: (16 + 17) / 2
    expect(even.current).toBe(16.5);
  });

  it('slides: after a window of a new level the old one is forgotten', () => {
    expect(BASELINE_WINDOW).toBe(600);
    const b = new AwaitBaseline();
    feed(b, 0.5, 600);
    feed(b, 2, 300);
    // window: 300 × 0.5 then 300 × 2 → middle pair (0.5, 2)
    expect(b.current).toBe(1.25);
    feed(b, 2, 1);
    expect(b.current).toBe(2); // 299 × 0.5, 301 × 2
    feed(b, 2, 299);
    expect(b.samples).toBe(600);
    expect(b.current).toBe(2);
  });
});
