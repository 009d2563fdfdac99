/**
 * Grouping of notifications, like Alertmanager's `group_by: [host, alertname]`
 * with `group_wait` and `group_interval`: per receiver, the notifications of
 * one rule on one host (its devices, arrays, paths…) go out together as one
 * message instead of one each.
 *
 * - A group's first message waits `waitMs` after its oldest pending
 *   notification, so the rest of an episode's burst can join it.
 * - Later messages of the group go out at most every `intervalMs` after the
 *   previous one (and never sooner than `waitMs` after what they carry arrived).
 * - A page (a critical trigger) is never held longer than `waitMs`.
 *
 * Only webhooks and Slack are grouped here. PagerDuty takes one event per
 * dedup_key (one per alert instance, stable across restarts) and groups them
 * into incidents itself (by the `group`/`class` fields: host and rule), and
 * Alertmanager groups by its own route's group_by, so both get each alert
 * as it comes.
 */
import type { Notification, NotificationKind, Receiver } from './notify.js';

export interface GroupTiming {
  waitMs: number;
  intervalMs: number;
}

/** Alertmanager's defaults are 30 s and 5 m; an on-call page wants less. */
export const DEFAULT_GROUP_TIMING: GroupTiming = { waitMs: 10_000, intervalMs: 60_000 };
/** No grouping: each notification at once (a receiver built in code without `group`). */
export const NO_GROUPING: GroupTiming = { waitMs: 0, intervalMs: 0 };

/** Whether a receiver's notifications of this kind are grouped (acknowledgements are a person's act: sent at once). */
export function grouped(r: Receiver, kind: NotificationKind): boolean {
  return (r.type === 'webhook' || r.type === 'slack') && kind !== 'acknowledge';
}

/** The group a notification belongs to at its receiver: group_by [host, alertname]. */
export function groupKey(n: Pick<Notification, 'receiver' | 'alert'>): string {
  return `${n.receiver}\u0000${n.alert.host}\u0000${n.alert.rule}`;
}

/**
 * When a group's pending notifications are due, given when the group last
 * went out (null: never, or so long ago it no longer counts).
 */
export function groupDueAt(
  pending: readonly Pick<Notification, 'kind' | 'createdAt' | 'alert'>[],
  lastSentAt: number | null,
  t: GroupTiming,
): number {
  let oldest = Infinity;
  let oldestPage = Infinity;
  for (const n of pending) {
    oldest = Math.min(oldest, n.createdAt);
    if (n.kind === 'trigger' && n.alert.severity === 'critical') oldestPage = Math.min(oldestPage, n.createdAt);
  }
  const due = Math.max(oldest + t.waitMs, lastSentAt === null ? -Infinity : lastSentAt + t.intervalMs);
  return Math.min(due, oldestPage + t.waitMs);
}

/** Per group, when it last went out; forgotten once a whole interval has passed (it then waits only `waitMs`). */
export class GroupClock {
  private readonly lastSent = new Map<string, number>();

  sent(key: string, at: number): void {
    this.lastSent.set(key, at);
  }

  last(key: string): number | null {
    return this.lastSent.get(key) ?? null;
  }

  /** Drops groups quiet for longer than any interval, so the map does not grow with every host and rule ever seen. */
  prune(now: number, longestIntervalMs: number): void {
    for (const [key, at] of this.lastSent) if (now - at > longestIntervalMs) this.lastSent.delete(key);
  }
}
