/**
 * The compressed clock a scenario is played on. A scenario is a week; it is
 * played in a few minutes by keeping only its eventful stretches (segments)
 * and stepping through each at a fixed step of scenario time per batch.
 *
 * Three clocks are involved:
 * - the scenario's: the week as the story tells it (epoch ms, local time);
 * - the wire's: the timestamps the simulated agents put on their batches. The
 *   server judges `for:` durations and `avg over` windows by these, so a rule
 *   sees exactly the scenario's minutes however fast they are played. The
 *   server accepts stamps from 48 h behind its clock to 5 min ahead, so the
 *   segments are laid out in the last day, back to back (a short gap between
 *   them) and ending before the real start; the last segment is moved by whole
 *   days only (by the calendar), so its times of day (the 03:00 rotation) stay
 *   true on the wire;
 * - the real one: how long the player waits between batches — a critical
 *   step's scenario time divided by the speed, a quiet step a fixed short
 *   pause (quiet hours are skipped through, not played).
 */

export interface Part {
  /** Scenario epoch ms, inclusive. */
  from: number;
  /** Scenario epoch ms, exclusive. */
  to: number;
  /** Scenario time between two batches. */
  stepMs: number;
  /** Nothing changes here: played at QUIET_PAUSE_MS a batch whatever the speed. */
  quiet?: boolean;
}

/** One eventful stretch; its parts follow each other without gaps. */
export type Segment = Part[];

export interface Tick {
  /** Scenario time of the batch. */
  at: number;
  /** Its wire timestamp. */
  wire: number;
  /** Real ms to wait after this batch. */
  pauseMs: number;
}

export const QUIET_PAUSE_MS = 40;
/** Between segments on the wire: long enough that no rule window spans two segments' samples by accident. */
export const SEGMENT_GAP_MS = 10 * 60_000;
/** The last batch is stamped at least this long before the real start. */
const END_MARGIN_MS = 60_000;

export interface PlayClock {
  ticks: Tick[];
  /** The scenario time of a wire timestamp (an alert's firedAt), or null outside every segment. */
  toScenario(wire: number): number | null;
}

function partTicks(p: Part, speed: number): { at: number; pauseMs: number }[] {
  const out: { at: number; pauseMs: number }[] = [];
  for (let at = p.from; at < p.to; at += p.stepMs)
    out.push({ at, pauseMs: p.quiet ? QUIET_PAUSE_MS : Math.max(1, p.stepMs / speed) });
  return out;
}

/**
 * The latest moment at or before `limit` with the local time of day of `at`:
 * set by calendar fields, not by 24 h steps, so a June scenario played in
 * November keeps its 03:00 where clocks moved for daylight saving.
 */
function sameTimeOfDayBefore(at: number, limit: number): number {
  const d = new Date(at);
  const l = new Date(limit);
  d.setFullYear(l.getFullYear(), l.getMonth(), l.getDate());
  if (d.getTime() > limit) d.setDate(d.getDate() - 1);
  return d.getTime();
}

/** Lays the segments out on the wire, ending before `realStart`, and lists every batch in order. */
export function playClock(segments: Segment[], realStart: number, speed: number): PlayClock {
  if (!(speed > 0)) throw new Error('speed: more than 0');
  if (!segments.length) throw new Error('a scenario needs at least one segment');
  const spans = segments.map((s) => ({ from: s[0]!.from, to: s.at(-1)!.to }));
  const offsets: number[] = new Array<number>(segments.length);
  offsets[segments.length - 1] = spans.at(-1)!.to - sameTimeOfDayBefore(spans.at(-1)!.to, realStart - END_MARGIN_MS);
  // earlier ones: back to back before it, SEGMENT_GAP_MS apart
  for (let i = segments.length - 2; i >= 0; i--) {
    const nextWireFrom = spans[i + 1]!.from - offsets[i + 1]!;
    offsets[i] = spans[i]!.to - (nextWireFrom - SEGMENT_GAP_MS);
  }
  const firstWire = spans[0]!.from - offsets[0]!;
  if (firstWire < realStart - 47 * 3_600_000)
    throw new Error('the segments span more than 47 h of wire time: the server would refuse the oldest batches');
  const ticks: Tick[] = [];
  segments.forEach((s, i) => {
    for (const p of s) for (const t of partTicks(p, speed)) ticks.push({ ...t, wire: t.at - offsets[i]! });
  });
  return {
    ticks,
    toScenario(wire) {
      for (let i = 0; i < spans.length; i++) {
        const at = wire + offsets[i]!;
        if (at >= spans[i]!.from && at < spans[i]!.to) return at;
      }
      return null;
    },
  };
}
