/**
 * Inhibition, like Alertmanager's: while a source alert fires, target alerts
 * that share the `equal` labels are not notified (they stay listed, marked
 * inhibited). A trigger held back goes out if the source resolves first; a
 * resolve goes out for any alert whose trigger did.
 */
import type { AlertInstance } from './instance.js';

export interface InhibitRule {
  /** Rule names whose firing alerts inhibit. */
  source: readonly string[];
  /** Rule names inhibited; '*' for every rule but the sources. */
  target: readonly string[] | '*';
  /** Labels source and target must share (host always counts as a label here). */
  equal: readonly string[];
}

/** The shipped defaults (issue 13): a silent agent, a down mongod, a set without a primary. */
export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = [
  { source: ['AgentSilent'], target: '*', equal: ['host'] },
  {
    source: ['MongodDown'],
    target: ['MongodLockWaitHigh', 'MongodOperationsQueued', 'MongodTicketsExhausted'],
    equal: ['host'],
  },
  { source: ['ReplsetNoPrimary'], target: ['ReplsetFaultToleranceLow'], equal: ['host', 'set'] },
];

const label = (i: AlertInstance, k: string) => (k === 'host' ? i.host : (i.labels[k] ?? ''));

/** The firing alert that inhibits `inst`, if any. */
export function inhibitor(
  inst: AlertInstance,
  firing: Iterable<AlertInstance>,
  rules: readonly InhibitRule[],
): AlertInstance | null {
  const candidates = Array.isArray(firing) ? (firing as AlertInstance[]) : [...firing]; // read once per rule
  for (const r of rules) {
    if (r.source.includes(inst.rule)) continue;
    if (r.target !== '*' && !r.target.includes(inst.rule)) continue;
    for (const s of candidates) {
      if (s === inst || s.state !== 'firing' || !r.source.includes(s.rule)) continue;
      if (r.equal.every((k) => label(s, k) === label(inst, k))) return s;
    }
  }
  return null;
}
