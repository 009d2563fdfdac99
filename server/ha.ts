import type { Receiver } from './alerts/notify.js';

/**
 * An HA pair: two servers with the same agents and rules, each evaluating and
 * each notifying. Only Alertmanager merges the two copies of an alert (same
 * labels, one fingerprint) into one page; any other receiver gets both.
 */
export interface HaStatus {
  /** The other server of the pair, as configured (`--ha-peer`). */
  peer: string;
  /** Receivers that are not Alertmanager, named: each would page twice. */
  directReceivers: string[];
  /** What to fix, or null when every receiver is an Alertmanager. */
  warning: string | null;
}

export function haStatus(peer: string, receivers: readonly Receiver[]): HaStatus {
  const direct = receivers.filter((r) => r.type !== 'alertmanager').map((r) => `${r.name} (${r.type})`);
  return {
    peer,
    directReceivers: direct,
    warning: direct.length
      ? `HA pair with ${peer}: ${direct.join(', ')} would get every notification twice (once from each server); ` +
        'send alerts only to an Alertmanager shared by both servers, which deduplicates them, and route from there'
      : null,
  };
}
