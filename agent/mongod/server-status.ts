import type { Document } from 'bson';
import { at, num } from './ejson.js';
import type { MongodGauges, TicketState } from '../../shared/states.js';

/**
 * mongod lock contention and load from serverStatus, following
 * ../shared/notes/metrics.md. Up to 2.6, globalLock.lockTime is the time the
 * global write lock was held. From 3.0 there is no time-locked figure at all,
 * only time spent *waiting* to acquire locks (locks.*.timeAcquiringMicros), so
 * the headline from 3.0 on is "lock wait %", and the UI says so.
 */

/** Ticket and queue gauges are the shared contract's, so the dashboard reads what the agent builds. */
export type TicketFigures = TicketState;
export type Gauges = MongodGauges;

export interface LockTypeFigures {
  /** 100 · ΣΔacquireWaitCount / ΣΔacquireCount over modes: share of acquisitions that had to wait. */
  contendedPercent: number | null;
  /** ΣΔtimeAcquiringMicros / ΣΔacquireWaitCount: average wait of an acquisition that waited, µs. */
  avgContendedWaitUs: number | null;
  waitUs: number;
}

export interface IntervalFigures {
  /** "locked" (≤ 2.6: global write lock held) or "wait" (≥ 3.0: time waiting to acquire any lock). */
  lockKind: 'locked' | 'wait' | null;
  /** Headline, capped at 100. */
  lockPercent: number | null;
  /** Uncapped: waits of concurrent operations add up past 100 %. */
  lockPercentUncapped: number | null;
  lockTypes: Record<string, LockTypeFigures>;
  contendedPercent: number | null;
  opcounterRates: Record<string, number>;
  intervalMs: number;
}

export type Interval = { ok: true; figures: IntervalFigures } | { ok: false; reason: string };

function three(doc: Document, base: string) {
  return {
    readers: num(at(doc, `${base}.readers`)),
    writers: num(at(doc, `${base}.writers`)),
    total: num(at(doc, `${base}.total`)),
  };
}

function ticketsFrom(doc: Document, base: string, kind: 'read' | 'write'): TicketFigures | null {
  const out = num(at(doc, `${base}.${kind}.out`));
  const available = num(at(doc, `${base}.${kind}.available`));
  const total = num(at(doc, `${base}.${kind}.totalTickets`));
  if (out === null || available === null || total === null) return null;
  return {
    out,
    available,
    total,
    utilPercent: total > 0 ? (100 * out) / total : null,
    queueLength: num(at(doc, `${base}.${kind}.normalPriority.queueLength`)),
  };
}

/** Figures one serverStatus reply gives on its own. */
export function gauges(doc: Document): Gauges {
  const source =
    at(doc, 'queues.execution') !== undefined
      ? 'queues.execution'
      : at(doc, 'wiredTiger.concurrentTransactions') !== undefined
        ? 'wiredTiger.concurrentTransactions'
        : null;
  const read = source ? ticketsFrom(doc, source, 'read') : null;
  const write = source ? ticketsFrom(doc, source, 'write') : null;
  const queued = three(doc, 'globalLock.currentQueue');
  const active = three(doc, 'globalLock.activeClients');
  const ticketQueue =
    read &&
    write &&
    queued.readers !== null &&
    queued.writers !== null &&
    active.readers !== null &&
    active.writers !== null
      ? {
          readers: Math.max(0, queued.readers + active.readers - read.out),
          writers: Math.max(0, queued.writers + active.writers - write.out),
        }
      : null;
  const uptimeMillis = num(doc.uptimeMillis);
  const uptime = num(doc.uptime);
  return {
    version: typeof doc.version === 'string' ? doc.version : null,
    pid: num(doc.pid),
    uptimeMs: uptimeMillis ?? (uptime === null ? null : uptime * 1000),
    queued,
    active,
    tickets: { source, read, write },
    ticketQueue,
    connections: { current: num(at(doc, 'connections.current')), available: num(at(doc, 'connections.available')) },
  };
}

/** Every lock counter of a reply as type.field.mode → value (modes absent until non-zero count as 0). */
function lockCounters(doc: Document): Map<string, number> {
  const out = new Map<string, number>();
  const locks = at(doc, 'locks');
  if (!locks || typeof locks !== 'object') return out;
  for (const [type, fields] of Object.entries(locks as Record<string, unknown>)) {
    if (!fields || typeof fields !== 'object') continue;
    for (const field of ['acquireCount', 'acquireWaitCount', 'timeAcquiringMicros']) {
      const modes = (fields as Record<string, unknown>)[field];
      if (!modes || typeof modes !== 'object') continue;
      for (const [mode, v] of Object.entries(modes as Record<string, unknown>)) {
        const n = num(v);
        if (n !== null) out.set(`${type}.${field}.${mode}`, n);
      }
    }
  }
  return out;
}

const OPS = ['insert', 'query', 'update', 'delete', 'getmore', 'command'];

/**
 * Figures over the interval between two replies of the same process. The
 * interval is discarded, with the reason, when the pid changed, uptime did not
 * rise (a restart), or any counter went backwards.
 */
export function intervalFigures(prev: Document, cur: Document): Interval {
  const p = gauges(prev);
  const c = gauges(cur);
  if (p.pid !== null && c.pid !== null && p.pid !== c.pid)
    return { ok: false, reason: `pid changed from ${p.pid} to ${c.pid}: mongod restarted` };
  if (p.uptimeMs === null || c.uptimeMs === null) return { ok: false, reason: 'uptime missing from serverStatus' };
  if (c.uptimeMs <= p.uptimeMs)
    return { ok: false, reason: `uptime did not rise (${p.uptimeMs} → ${c.uptimeMs} ms): mongod restarted` };
  const dtMs = c.uptimeMs - p.uptimeMs;

  const pl = lockCounters(prev);
  const cl = lockCounters(cur);
  const delta = new Map<string, number>();
  for (const key of new Set([...pl.keys(), ...cl.keys()])) {
    const d = (cl.get(key) ?? 0) - (pl.get(key) ?? 0);
    if (d < 0) return { ok: false, reason: `counter locks.${key} went backwards` };
    delta.set(key, d);
  }
  const opcounterRates: Record<string, number> = {};
  for (const op of OPS) {
    const a = num(at(prev, `opcounters.${op}`));
    const b = num(at(cur, `opcounters.${op}`));
    if (a === null || b === null) continue;
    if (b < a) return { ok: false, reason: `counter opcounters.${op} went backwards` };
    opcounterRates[op] = ((b - a) * 1000) / dtMs;
  }

  let lockKind: IntervalFigures['lockKind'] = null;
  let uncapped: number | null = null;
  const lockTimePrev = num(at(prev, 'globalLock.lockTime'));
  const lockTimeCur = num(at(cur, 'globalLock.lockTime'));
  const totalPrev = num(at(prev, 'globalLock.totalTime'));
  const totalCur = num(at(cur, 'globalLock.totalTime'));
  if (lockTimePrev !== null && lockTimeCur !== null && totalPrev !== null && totalCur !== null) {
    if (lockTimeCur < lockTimePrev || totalCur < totalPrev)
      return { ok: false, reason: 'counter globalLock.lockTime or totalTime went backwards' };
    lockKind = 'locked';
    uncapped = totalCur > totalPrev ? (100 * (lockTimeCur - lockTimePrev)) / (totalCur - totalPrev) : null;
  } else if (cl.size > 0) {
    lockKind = 'wait';
    let wait = 0;
    for (const [k, d] of delta) if (k.includes('.timeAcquiringMicros.')) wait += d;
    uncapped = (100 * wait) / (dtMs * 1000);
  }

  const lockTypes: Record<string, LockTypeFigures> = {};
  let allAcq = 0;
  let allWait = 0;
  const types = new Set([...delta.keys()].map((k) => k.split('.')[0]!));
  for (const type of types) {
    const sum = (field: string) =>
      [...delta].filter(([k]) => k.startsWith(`${type}.${field}.`)).reduce((n, [, d]) => n + d, 0);
    const acq = sum('acquireCount');
    const waits = sum('acquireWaitCount');
    const waitUs = sum('timeAcquiringMicros');
    allAcq += acq;
    allWait += waits;
    lockTypes[type] = {
      contendedPercent: acq > 0 ? (100 * waits) / acq : null,
      avgContendedWaitUs: waits > 0 ? waitUs / waits : null,
      waitUs,
    };
  }
  return {
    ok: true,
    figures: {
      lockKind,
      lockPercent: uncapped === null ? null : Math.min(100, uncapped),
      lockPercentUncapped: uncapped,
      lockTypes,
      contendedPercent: lockKind === 'wait' && allAcq > 0 ? (100 * allWait) / allAcq : null,
      opcounterRates,
      intervalMs: dtMs,
    },
  };
}

/** The figures a reply cannot give, named, so a report says what is missing for this version. */
export function missingFigures(doc: Document): string[] {
  const g = gauges(doc);
  const missing: string[] = [];
  if (at(doc, 'globalLock.lockTime') === undefined && at(doc, 'locks') === undefined)
    missing.push('lock % (no globalLock.lockTime and no locks section)');
  if (at(doc, 'globalLock.lockTime') !== undefined)
    missing.push('contended acquisitions % (lock wait counters exist from 3.0)');
  if (!g.tickets.source)
    missing.push(
      'ticket utilisation (no queues.execution or wiredTiger.concurrentTransactions: not WiredTiger, or older than 3.0)',
    );
  if (!g.ticketQueue) missing.push('ticket queue (mongostat qr|qw needs WiredTiger tickets)');
  if (g.queued.total === null) missing.push('queued readers/writers');
  return missing;
}
