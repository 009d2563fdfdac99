/**
 * When data counts as gone. A series with no known (non-null) value received
 * for `stale_after` (per rule; by default a few of its host's sampling
 * intervals) no longer satisfies any condition, so an alert resting on it
 * resolves instead of freezing on the last value. Absence itself is alerted
 * only by `absent:` rules, and those wait out a grace period after the server
 * starts, while agents reconnect.
 */
import type { Rule } from './rules.js';

/** Intervals a series may miss before it is stale when the rule does not say. */
const STALE_INTERVALS = 5;
/** Never stale sooner than this, whatever the interval: an event-loop hiccup is not absence. */
const MIN_STALE_MS = 3000;
/** The agents' longest reconnect backoff (agent/transport.ts): an absent-data rule waits this on top of its `for` after a start. */
export const RECONNECT_GRACE_MS = 30_000;

/** One host's newest batch time (NaN before its first) and sampling interval. */
export interface Cadence {
  ts: number;
  intervalMs: number;
}

/** Each host's sampling interval, seen as the gap between its consecutive batches. */
export class HostCadence {
  private readonly last = new Map<string, Cadence>();

  /** Notes a batch of `host` at `ts`; the host's interval now. */
  note(host: string, ts: number): number {
    return noteBatch(this.of(host), ts);
  }

  /** The live record of `host` (a plan holds it, so a batch need not look it up by host). */
  of(host: string): Cadence {
    let c = this.last.get(host);
    if (!c) this.last.set(host, (c = { ts: NaN, intervalMs: 1000 }));
    return c;
  }

  intervalMs(host: string): number {
    return this.last.get(host)?.intervalMs ?? 1000;
  }

  forget(host: string): void {
    this.last.delete(host);
  }
}

/** Notes a batch at `ts` in a host's record; the host's interval now. */
export function noteBatch(c: Cadence, ts: number): number {
  if (Number.isNaN(c.ts)) {
    c.ts = ts;
    return c.intervalMs;
  }
  const gap = ts - c.ts;
  // Replays and catch-ups are consecutive batches too; a gap over a minute is an outage, not the interval.
  if (gap > 0 && gap <= 60_000) c.intervalMs = gap;
  if (gap > 0) c.ts = ts;
  return c.intervalMs;
}

/** How long a series of `host` may go unreceived before `rule`'s conditions stop holding on it. */
export function staleAfterMs(rule: Rule | undefined, host: string, cadence: HostCadence): number {
  if (rule?.staleAfterMs) return rule.staleAfterMs;
  return defaultStaleMs(cadence.intervalMs(host));
}

/** How long a series sampled every `intervalMs` may go unreceived when its rule does not say. */
export function defaultStaleMs(intervalMs: number): number {
  return Math.max(MIN_STALE_MS, STALE_INTERVALS * intervalMs);
}

/**
 * How long an absent-data rule counts a host or metric as silent: from when it
 * was last heard, but never from before the server could have heard it (its
 * start plus the agents' reconnect backoff), so a server restart is not an outage.
 */
export function silentForMs(lastSeen: number, now: number, startedAt: number): number {
  return now - Math.max(lastSeen, startedAt + RECONNECT_GRACE_MS);
}
