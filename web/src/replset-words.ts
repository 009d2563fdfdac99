/**
 * What the replica-set cards say, without the DOM: a known view is judged by its figures, an unknown one
 * (replSetGetStatus failed: figures null) says so, why, since when, and the primary serverStatus still names.
 */
import type { ReplsetView } from '../../shared/overview.js';
import type { ReplsetState, UnknownReplsetState } from '../../shared/states.js';
import { dateTime } from './time-format.js';

/** A replica-set card's badge: its text and the health colour it takes, and whether the set is fine. */
export interface ReplsetBadge {
  ok: boolean;
  health: 'clean' | 'rebuilding' | 'degraded';
  text: string;
}

/**
 * A known view is judged by its figures. An unknown one (replSetGetStatus failed) has none: it says so,
 * never "at risk" or "no primary" from nulls; red unless serverStatus still names a primary.
 */
export function replsetBadge(q: ReplsetState): ReplsetBadge {
  if (q.state === 'unknown') return { ok: false, health: q.primary ? 'rebuilding' : 'degraded', text: 'state unknown' };
  const ok = !!q.primary && q.liveFaultTolerance >= 1 && q.liveWriteFaultTolerance >= 1;
  if (ok) return { ok, health: 'clean', text: 'survives 1 failure' };
  return q.primary ? { ok, health: 'rebuilding', text: 'at risk' } : { ok, health: 'degraded', text: 'no primary' };
}

/** What an unknown view says in words: since when and why, and the primary serverStatus still names. */
export function unknownReplsetLines(q: UnknownReplsetState): string[] {
  return [
    `state unknown since ${dateTime(q.since)}: ${q.error}`,
    q.primary ? `primary ${q.primary}, as this member sees it` : 'no primary known',
  ];
}

/**
 * A set's badge and byline. A view its agent could not read (replSetGetStatus failed) is "state unknown":
 * its primary is only what serverStatus still names, and none named is not known to be none.
 */
export function setHeadline(s: ReplsetView): { badge: string; byline: string } {
  if (s.known) return { badge: s.health, byline: `as seen by ${s.reportedBy}; primary ${s.primary ?? 'none'}` };
  const primary = s.primary ? `primary ${s.primary}, as ${s.reportedBy}'s mongod sees it` : 'no primary known';
  return {
    badge: 'state unknown',
    byline: `as seen by ${s.reportedBy}, which cannot read the set's state; ${primary}`,
  };
}
