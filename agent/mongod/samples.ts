import type { MetricName, MetricSample } from '../../shared/catalogue.js';
import type { Gauges, IntervalFigures } from './server-status.js';
import type { KnownQuorum } from './replset.js';

/** serverStatus figures as samples of the catalogue's mongod_* metrics. */
export function mongodSamples(g: Gauges, iv: IntervalFigures | null): MetricSample[] {
  const out: MetricSample[] = [{ m: 'mongod_up', v: 1 }];
  const put = (m: MetricName, l: Record<string, string>, v: number | null) => {
    if (v !== null) out.push({ m, l, v });
  };
  for (const op of ['readers', 'writers', 'total'] as const) {
    put('mongod_queued', { op }, g.queued[op]);
    put('mongod_active', { op }, g.active[op]);
  }
  if (g.ticketQueue) {
    put('mongod_ticket_queue', { op: 'readers' }, g.ticketQueue.readers);
    put('mongod_ticket_queue', { op: 'writers' }, g.ticketQueue.writers);
  }
  for (const op of ['read', 'write'] as const) {
    const t = g.tickets[op];
    if (!t) continue;
    put('mongod_tickets_util_percent', { op }, t.utilPercent);
    put('mongod_tickets_available', { op }, t.available);
    put('mongod_ticket_queue_length', { op }, t.queueLength);
  }
  put('mongod_connections', { state: 'current' }, g.connections.current);
  put('mongod_connections', { state: 'available' }, g.connections.available);
  if (iv) {
    if (iv.lockKind) {
      put('mongod_lock_percent', { kind: iv.lockKind }, iv.lockPercent);
      put('mongod_lock_percent_uncapped', { kind: iv.lockKind }, iv.lockPercentUncapped);
    }
    put('mongod_lock_contended_percent', { lock_type: 'all' }, iv.contendedPercent);
    for (const [type, f] of Object.entries(iv.lockTypes)) {
      put('mongod_lock_contended_percent', { lock_type: type }, f.contendedPercent);
      put('mongod_lock_avg_wait_us', { lock_type: type }, f.avgContendedWaitUs);
    }
    for (const [op, rate] of Object.entries(iv.opcounterRates)) put('mongod_opcounter_rate', { op }, rate);
  }
  return out;
}

export function replsetSamples(q: KnownQuorum): MetricSample[] {
  const l = { set: q.set ?? 'unknown' };
  const out: MetricSample[] = [
    { m: 'replset_voters', l, v: q.voters },
    { m: 'replset_majority', l, v: q.majority },
    { m: 'replset_fault_tolerance', l, v: q.designedFaultTolerance },
    { m: 'replset_live_fault_tolerance', l, v: q.liveFaultTolerance },
    { m: 'replset_write_fault_tolerance', l, v: q.liveWriteFaultTolerance },
    { m: 'replset_has_primary', l, v: q.primary ? 1 : 0 },
    { m: 'replset_design_risk', l, v: designRisk(q) ? 1 : 0 },
    { m: 'replset_can_elect_primary', l, v: q.canElectPrimary ? 1 : 0 },
  ];
  for (const m of q.members)
    if (m.lagSeconds !== null) out.push({ m: 'mongod_repl_lag_seconds', l: { member: m.name }, v: m.lagSeconds });
  return out;
}

/** The configuration is weak whatever is up: even voters, or majority writes that survive no failure. */
function designRisk(q: KnownQuorum): boolean {
  return (q.voters > 0 && q.voters % 2 === 0) || q.designedWriteFaultTolerance < 1;
}
