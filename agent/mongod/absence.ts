import type { Document } from 'mongodb';
import type { MetricSample } from '../../shared/catalogue.js';
import type { UnknownQuorum } from './replset.js';

/**
 * What the agent reports when mongod, or its replica-set view, cannot be read
 * (README "Alert life cycle"). Gauges of an activity that has ended — the
 * queues, tickets and lock waits of a mongod that is down — are 0, not the
 * last reading; figures that are unknown are null, never a copy of the last
 * good ones.
 */

/** Metrics that describe work in progress: a mongod that is down has none. */
const ACTIVITY = new Set([
  'mongod_queued',
  'mongod_active',
  'mongod_ticket_queue',
  'mongod_tickets_util_percent',
  'mongod_ticket_queue_length',
  'mongod_lock_percent',
  'mongod_lock_percent_uncapped',
  'mongod_lock_contended_percent',
]);

/** The activity series of the last good reading, each at 0. */
export function endedActivity(lastGood: readonly MetricSample[]): MetricSample[] {
  return lastGood.filter((s) => ACTIVITY.has(s.m)).map((s) => ({ m: s.m, ...(s.l ? { l: s.l } : {}), v: 0 }));
}

/** The series of the last good reading, each null: known to exist, value unknown now. */
export function unknownSeries(lastGood: readonly MetricSample[]): MetricSample[] {
  return lastGood.map((s) => ({ m: s.m, ...(s.l ? { l: s.l } : {}), v: null }));
}

/**
 * Whether the set has a primary as this member sees it, from serverStatus's
 * `repl` section (the hello fields): `primary` is absent while none is known.
 * null when the reply has no replica-set section.
 */
export function primaryFromServerStatus(ss: Document): { set: string; primary: string | null } | null {
  const repl = ss.repl as Document | undefined;
  if (!repl || typeof repl.setName !== 'string') return null;
  return { set: repl.setName, primary: typeof repl.primary === 'string' ? repl.primary : null };
}

/**
 * The replica-set view when replSetGetStatus failed: state unknown with the
 * error, every quorum figure null, and only what serverStatus still says
 * (whether a primary is known), so "no primary" can still be told.
 */
export function unknownQuorum(set: string | null, primary: string | null, error: string, since: number): UnknownQuorum {
  return {
    state: 'unknown',
    error,
    since,
    set,
    members: [],
    voters: null,
    majority: null,
    designedFaultTolerance: null,
    healthyVotes: null,
    liveFaultTolerance: null,
    primary,
    canElectPrimary: false,
    writableVoters: null,
    writeMajority: null,
    designedWriteFaultTolerance: null,
    liveWriteFaultTolerance: null,
    source: 'status',
    warnings: [`replica-set state unknown: ${error}`],
    summary: `Replica-set state unknown since ${new Date(since).toISOString()}: ${error}. ${primary ? `${primary} is primary as this member sees it.` : 'This member knows of no primary.'}`,
  };
}

/** Samples of an unknown replica-set view: has_primary from serverStatus where it says, everything else null. */
export function unknownReplsetSamples(
  q: UnknownQuorum,
  known: boolean,
  lastGood: readonly MetricSample[],
): MetricSample[] {
  const l = { set: q.set ?? 'unknown' };
  const out = unknownSeries(lastGood.filter((s) => s.m !== 'replset_has_primary'));
  out.push({ m: 'replset_has_primary', l, v: known ? (q.primary ? 1 : 0) : null });
  return out;
}
