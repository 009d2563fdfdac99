import { describe, expect, it } from 'vitest';
import { History, NOT_FILLING_SECONDS, timeToFullSeconds } from '../../../agent/filesystems/forecast.js';

describe('History.flat (the forecast skips the fit for a series that never moved)', () => {
  it('is true while every point in the window has one value, and the fit agrees', () => {
    const h = new History(60_000);
    for (let s = 0; s < 30; s++) h.add(1_700_000_000_000 + s * 1000, 8_589_934_592);
    expect(h.flat).toBe(true);
    // the shortcut's answer is the fit's: a flat line never reaches zero
    expect(timeToFullSeconds(h.points, 1_700_000_030_000, 10)).toBe(NOT_FILLING_SECONDS);
  });

  it('turns false on a change and true again once the change has left the window', () => {
    const h = new History(10_000);
    const t0 = 1_700_000_000_000;
    h.add(t0, 100);
    h.add(t0 + 1000, 90);
    expect(h.flat).toBe(false);
    // a 10 s window: up to t0 + 10 s the first point (100) is still in it
    for (let s = 2; s <= 10; s++) h.add(t0 + s * 1000, 90);
    expect(h.points[0]!.t).toBe(t0);
    expect(h.flat).toBe(false);
    h.add(t0 + 11_000, 90); // t0 leaves the window; every point left is 90
    expect(h.points[0]!.t).toBe(t0 + 1000);
    expect(h.flat).toBe(true);
  });

  it('stays right when the window thins out (every other point dropped)', () => {
    const h = new History(24 * 3600_000, 8);
    const t0 = 1_700_000_000_000;
    const values = [5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4];
    values.forEach((v, i) => h.add(t0 + i * 1000, v));
    expect(h.points.length).toBeLessThanOrEqual(8);
    expect(h.flat).toBe(h.points.every((p) => p.v === 4));
    // a falling series is not flat, and its forecast comes from the fit
    const falling = new History(24 * 3600_000);
    for (let i = 0; i < 20; i++) falling.add(t0 + i * 1000, 1000 - i * 10);
    expect(falling.flat).toBe(false);
    // 1000 − 10·t (t in s) reaches 0 at t = 100 s; at t = 19 s that is 81 s away
    expect(timeToFullSeconds(falling.points, t0 + 19_000, 10)).toBeCloseTo(81, 6);
  });
});
