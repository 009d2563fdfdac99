import { describe, expect, it } from 'vitest';
import { playClock, QUIET_PAUSE_MS, SEGMENT_GAP_MS, type Segment } from '../../../agent/scenario/clock.js';

/** The compressed clock of `tidemark simulate --scenario` (agent/scenario/clock.ts), worked out by hand. */
const local = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo, d, h, mi).getTime();
const S = 1000;
const MIN = 60 * S;

// A: 09:00-09:01 on Mon 20 June 2016, a batch every 15 s; B: 21:48-21:50 every 15 s, then quiet 10-minute steps to 22:10
const a0 = local(2016, 5, 20, 9, 0);
const b0 = local(2016, 5, 24, 21, 48);
const segments: Segment[] = [
  [{ from: a0, to: a0 + MIN, stepMs: 15 * S }],
  [
    { from: b0, to: b0 + 2 * MIN, stepMs: 15 * S },
    { from: b0 + 2 * MIN, to: b0 + 22 * MIN, stepMs: 10 * MIN, quiet: true },
  ],
];
// the run starts at noon on 10 January 2026 (local): the last segment ends at 22:10, so on the wire it is laid on
// the evening before, 9 January, keeping its times of day; A ends SEGMENT_GAP_MS (10 min) before B starts
const realStart = local(2026, 0, 10, 12, 0);

describe('playClock', () => {
  const c = playClock(segments, realStart, 60);

  it('lists every batch: 4 in A, 8 critical and 2 quiet in B', () => {
    expect(c.ticks.map((t) => t.at)).toEqual([
      ...[0, 15, 30, 45].map((s) => a0 + s * S),
      ...[0, 15, 30, 45, 60, 75, 90, 105].map((s) => b0 + s * S),
      b0 + 2 * MIN,
      b0 + 12 * MIN,
    ]);
  });

  it('keeps the last segment at its time of day, the day before the run, and packs the earlier one before it', () => {
    const b = c.ticks[4]!;
    expect(b.wire).toBe(local(2026, 0, 9, 21, 48));
    expect(new Date(b.wire).getHours()).toBe(21);
    expect(c.ticks[0]!.wire).toBe(local(2026, 0, 9, 21, 48) - SEGMENT_GAP_MS - MIN);
    expect(SEGMENT_GAP_MS).toBe(10 * MIN);
    for (let i = 1; i < c.ticks.length; i++) expect(c.ticks[i]!.wire).toBeGreaterThan(c.ticks[i - 1]!.wire);
    expect(c.ticks.at(-1)!.wire).toBeLessThanOrEqual(realStart - MIN);
  });

  it('waits step / speed after a critical batch (15 s at 60x: 250 ms), a fixed pause after a quiet one', () => {
    expect(c.ticks[0]!.pauseMs).toBe(250);
    expect(c.ticks.at(-1)!.pauseMs).toBe(QUIET_PAUSE_MS);
    expect(playClock(segments, realStart, 300).ticks[0]!.pauseMs).toBe(50);
  });

  it('maps a wire time back onto the scenario, and a time between segments to null', () => {
    for (const t of c.ticks) expect(c.toScenario(t.wire)).toBe(t.at);
    expect(c.toScenario(c.ticks[4]!.wire + 7 * S)).toBe(b0 + 7 * S);
    expect(c.toScenario(c.ticks[4]!.wire - 5 * MIN)).toBeNull(); // inside the gap
  });

  it('refuses a speed of 0 and segments too long for the 48 h the server accepts', () => {
    expect(() => playClock(segments, realStart, 0)).toThrow(/speed/);
    const long: Segment[] = [[{ from: a0, to: a0 + 48 * 60 * MIN, stepMs: 60 * MIN, quiet: true }], segments[1]!];
    expect(() => playClock(long, realStart, 60)).toThrow(/47 h/);
  });
});
