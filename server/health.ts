/**
 * A host's health verdict for the overview: the worst of what its states and
 * live gauges say, with one line saying why. Pure: the inputs are the host's
 * summary (states, connection) and the few gauges `FleetHealth` keeps per host.
 *
 * Levels: `bad` needs someone now (data at risk, a service down or blind),
 * `warn` is trouble building (a rebuild, a queue, a set that survives no
 * failure), `info` is something to read (a collector error), `ok` is nothing.
 */
import type { HostSummary } from '../shared/protocol.js';
import {
  LOGPATH_STATE_KIND,
  MONGOD_RUNNING_STATE_KIND,
  MONGOD_STATE_KIND,
  RAID_STATE_KIND,
  REPLSET_STATE_KIND,
  type MdArrayState,
  type ReplsetState,
  mongodStatuses,
  type MongodUpState,
} from '../shared/states.js';
import type { Health, HealthReason } from '../shared/overview.js';

/** Latest value per key, iterated in the order of each key's first value (a `Map<string, number>` is one). */
export interface GaugeReadings extends Iterable<[string, number]> {
  get(key: string): number | undefined;
}

/** The live figures a verdict needs, latest value per series; FleetHealth fills them from batches. */
export interface HostGauges {
  /** Devices flagged saturated by the agent's rule (disk_saturated = 1). */
  saturated: Iterable<string> & { has(device: string): boolean };
  diskUtil: GaugeReadings;
  diskAqu: GaugeReadings;
  /** mongod_tickets_util_percent by op (read, write). */
  tickets: GaugeReadings;
  /** mongod_queued{op="total"}. */
  queued: number | null;
  /** mongod_lock_percent (wait or locked). */
  lockPercent: number | null;
}

/** A host's gauges before any batch: nothing saturated, nothing measured. */
export function emptyGauges(): HostGauges {
  return {
    saturated: new Set(),
    diskUtil: new Map(),
    diskAqu: new Map(),
    tickets: new Map(),
    queued: null,
    lockPercent: null,
  };
}

const THRESHOLDS = {
  /** %util at which a disk is called busy (the agent's saturation rule decides "saturated"). */
  diskBusyPercent: 90,
  /** Tickets in use at which mongod admits no more concurrent operations. */
  ticketsExhaustedPercent: 100,
  ticketsHighPercent: 90,
  /** Operations queued for the global lock or a ticket. */
  queuedWarn: 10,
  lockWarnPercent: 50,
  /** An agent that connects but sends nothing for this long is silent. */
  silentAfterMs: 30_000,
} as const;

export const HEALTH_RANK: Record<Health, number> = { ok: 0, info: 1, warn: 2, bad: 3 };

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(0));

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function agentReasons(h: HostSummary, now: number): HealthReason[] {
  if (!h.connected)
    return [
      {
        health: 'bad',
        text: h.lastSeen === null ? 'agent never seen' : `agent disconnected ${seconds(now - h.lastSeen)} ago`,
      },
    ];
  if (h.lastSeen !== null && now - h.lastSeen > THRESHOLDS.silentAfterMs)
    return [{ health: 'bad', text: `agent silent for ${seconds(now - h.lastSeen)}` }];
  return h.collectors
    .filter((c) => c.state === 'error')
    .map((c) => ({ health: 'info' as const, text: `collector ${c.name}: ${c.message ?? 'error'}` }));
}

function raidReasons(arrays: MdArrayState[]): HealthReason[] {
  const out: HealthReason[] = [];
  for (const a of arrays) {
    if (a.error) out.push({ health: 'bad', text: `${a.name}: ${a.error}` });
    else if (a.health === 'inactive') out.push({ health: 'bad', text: `${a.name} inactive` });
    else if (a.degraded) {
      const sync =
        a.sync?.status === 'running' && a.sync.percent !== null
          ? `, ${a.sync.action} ${a.sync.percent.toFixed(1)} %`
          : '';
      out.push({ health: 'bad', text: `${a.name} degraded (${a.disks.missing} missing${sync})` });
    } else if (a.sync?.status === 'running')
      out.push({
        health: 'warn',
        text: `${a.name} ${a.sync.action} ${a.sync.percent === null ? '' : `${a.sync.percent.toFixed(1)} %`}`.trim(),
      });
    if (a.queue?.saturated)
      out.push({ health: 'bad', text: `${a.name} saturated (busiest member ${a.queue.members.busiest ?? '?'})` });
  }
  return out;
}

function diskReasons(g: HostGauges | undefined): HealthReason[] {
  if (!g) return [];
  const out: HealthReason[] = [];
  for (const d of [...g.saturated].sort()) {
    const aqu = g.diskAqu.get(d);
    const util = g.diskUtil.get(d);
    const facts = [aqu !== undefined ? `queue ${fmt(aqu)}` : null, util !== undefined ? `${fmt(util)} % util` : null];
    out.push({ health: 'bad', text: `disk ${d} saturated (${facts.filter(Boolean).join(', ')})` });
  }
  for (const [d, util] of g.diskUtil) {
    if (!g.saturated.has(d) && util >= THRESHOLDS.diskBusyPercent)
      out.push({ health: 'warn', text: `disk ${d} busy (${fmt(util)} % util)` });
  }
  return out;
}

function mongodReasons(h: HostSummary, g: HostGauges | undefined): HealthReason[] {
  const all = mongodStatuses(h.states[MONGOD_STATE_KIND]);
  if (!all.length) return [];
  const down = all.filter(([, s]) => !s.up);
  // Each instance that is down is a reason of its own: with a data member and an arbiter, which one matters.
  if (down.length)
    return down.map(([instance, s]) => ({
      health: 'bad' as const,
      text: `mongod${instance ? ` ${instance}` : ''} down: ${s.lastError}`,
    }));
  const status = all.map(([, s]) => s).find((s): s is MongodUpState => s.up)!; // none is down (above)
  const out: HealthReason[] = [];
  for (const [op, util] of g?.tickets ?? []) {
    if (util >= THRESHOLDS.ticketsExhaustedPercent)
      out.push({ health: 'bad', text: `mongod ${op} tickets exhausted (${fmt(util)} %)` });
    else if (util >= THRESHOLDS.ticketsHighPercent)
      out.push({ health: 'warn', text: `mongod ${op} tickets ${fmt(util)} %` });
  }
  if (g?.queued !== null && g?.queued !== undefined && g.queued >= THRESHOLDS.queuedWarn)
    out.push({ health: 'warn', text: `mongod ${fmt(g.queued)} operations queued` });
  const lock = g?.lockPercent ?? status.figures?.lockPercent ?? null;
  if (lock !== null && lock >= THRESHOLDS.lockWarnPercent)
    out.push({ health: 'warn', text: `mongod lock wait ${fmt(lock)} %` });
  return out;
}

export function replsetReasons(sets: ReplsetState[]): HealthReason[] {
  const out: HealthReason[] = [];
  for (const q of sets) {
    const name = `replica set ${q.set ?? '?'}`;
    // An unknown view (replSetGetStatus failed) has no quorum figures: say so, rather than judge nulls. Red
    // unless serverStatus still names a primary; the line says which.
    if (q.state === 'unknown') {
      const primary = q.primary ? `primary ${q.primary}` : 'no primary known';
      out.push({ health: q.primary ? 'warn' : 'bad', text: `${name}: state unknown (${q.error}); ${primary}` });
      continue;
    }
    if (!q.primary) out.push({ health: 'bad', text: `${name}: no primary` });
    else if (q.liveFaultTolerance < 1) out.push({ health: 'warn', text: `${name} survives no failure` });
    else if (q.liveWriteFaultTolerance < 1)
      out.push({ health: 'warn', text: `${name}: majority writes survive no failure` });
  }
  return out;
}

/**
 * States reach here in the shape their types say: ingest checks each known kind's shape
 * (shared/state-shapes.ts) and sets a bad one aside. A state set aside is a reason of its own: what the
 * host's states show for its key is not current (the last good value, or nothing).
 */
function setAsideReasons(h: HostSummary): HealthReason[] {
  const all = h.stateProblems;
  if (all === undefined || all.length === 0) return [];
  const { kind, key, problem } = all[0]!;
  const shown = h.states[kind]?.[key] ? 'its last good value is shown' : 'no earlier value';
  // One reason however many: an agent may send thousands of bad states, and every overview push carries reasons.
  const more = all.length > 1 ? ` (and ${all.length - 1} more state${all.length === 2 ? '' : 's'} not understood)` : '';
  return [{ health: 'warn', text: `state ${kind}/${key} not understood (${problem}); ${shown}${more}` }];
}

/**
 * The reasons one kind of a host's states gives. Their shapes are checked at ingest (above), not their
 * values: a net, so that a reason's own slip on a value it did not expect is a reason of its own, not an
 * exception that would fail every overview of the fleet.
 */
function fromStates(kind: string, reasons: () => HealthReason[]): HealthReason[] {
  try {
    return reasons();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [{ health: 'warn', text: `${kind} states not understood (${why})` }];
  }
}

/** Every reason a host is not ok, worst first; empty when it is. */
export function hostReasons(h: HostSummary, g: HostGauges | undefined, now: number): HealthReason[] {
  const reasons = [
    ...agentReasons(h, now),
    ...setAsideReasons(h),
    ...fromStates(RAID_STATE_KIND, () => raidReasons(Object.values(h.states[RAID_STATE_KIND] ?? {}))),
    ...fromStates(LOGPATH_STATE_KIND, () => logPathReasons(h)),
    ...(h.connected ? diskReasons(g) : []),
    ...fromStates(MONGOD_STATE_KIND, () => mongodReasons(h, h.connected ? g : undefined)),
    ...fromStates(REPLSET_STATE_KIND, () => replsetReasons(Object.values(h.states[REPLSET_STATE_KIND] ?? {}))),
  ];
  // Stable: within a level, the order above (agent, states set aside, RAID, log paths, disks, mongod, replica set).
  return reasons.sort((a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health]);
}

function logPathReasons(h: HostSummary): HealthReason[] {
  // With several mongods, each instance's config-file and running checks arrive as mongod_running states; a check
  // that could not run (mongod down) is that mongod's reason, not a log-path one.
  const checks = [
    ...Object.values(h.states[LOGPATH_STATE_KIND] ?? {}),
    ...Object.values(h.states[MONGOD_RUNNING_STATE_KIND] ?? {}).filter((c) => !c.error),
  ];
  const failing = checks.filter((c) => !c.ok);
  if (!failing.length) return [];
  const errors = failing.reduce((n, c) => n + Math.max(1, c.counts.error), 0);
  const text = `log paths: ${errors} error${errors === 1 ? '' : 's'} (${failing.map((c) => c.check).join(', ')})`;
  return [{ health: 'bad', text }];
}

/** The verdict and its one line: the worst reason, and how many more there are. */
export function verdict(reasons: HealthReason[]): { health: Health; reason: string } {
  const worst = reasons[0];
  if (!worst) return { health: 'ok', reason: 'ok' };
  return {
    health: worst.health,
    reason: reasons.length > 1 ? `${worst.text} (+${reasons.length - 1} more)` : worst.text,
  };
}
