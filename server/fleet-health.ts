/**
 * Per-host gauges for the health verdicts and the overview's sparklines, fed
 * from every stored batch. It keeps only the handful of metrics a verdict
 * reads, so the overview of a fleet costs a few numbers per host, not its
 * states or history.
 */
import type { CollectorStatus, DecodedBatch, HostSummary } from '../shared/protocol.js';
import { REPLSET_STATE_KIND } from '../shared/states.js';
import {
  SPARK_BUCKET_MS,
  SPARK_POINTS,
  type Health,
  type HealthReason,
  type HostTile,
  type ReplsetMemberView,
  type ReplsetView,
} from '../shared/overview.js';
import {
  HEALTH_RANK,
  SHOWN_FROM,
  emptyGauges,
  hostReasons,
  judgedByTime,
  replsetReasons,
  verdict,
  type HostGauges,
} from './health.js';
import type { HostRegistry } from './hosts.js';

export { SPARK_BUCKET_MS, SPARK_POINTS };

/**
 * A host's verdict as last judged, with what it was judged from. Kept
 * because judging every host on every push was most of the push's cost,
 * while a host's verdict changes far less often than its gauges.
 */
interface Judged {
  health: Health;
  reason: string;
  /** The same array (and `sets`) until the verdict changes: the push compares them by identity first. */
  reasons: HealthReason[];
  sets: string[];
  connected: boolean;
  collectors: CollectorStatus[];
  /** Judged while the verdict moved with time (disconnected, silent). */
  byTime: boolean;
}

interface Tracked extends HostGauges {
  /** The disk that reached the last closed bucket's figure (the sparkline's newest point). */
  worstDisk: string | null;
  spark: (number | null)[];
  /** A copy of `spark` that tiles share until the next point: never changed, replaced. */
  sparkView: (number | null)[] | null;
  bucket: number;
  bucketMax: number | null;
  bucketDisk: string | null;
  judged: Judged | null;
  /** Something a verdict reads changed since it was judged (a state, a collector, a gauge past its threshold). */
  dirty: boolean;
}

const TRACKED = new Set([
  'disk_saturated',
  'disk_util_percent',
  'disk_aqu_sz',
  'mongod_tickets_util_percent',
  'mongod_queued',
  'mongod_lock_percent',
]);

function fresh(): Tracked {
  return {
    ...emptyGauges(),
    worstDisk: null,
    spark: [],
    sparkView: null,
    judged: null,
    dirty: true,
    bucket: 0,
    bucketMax: null,
    bucketDisk: null,
  };
}

const above = (v: number | null | undefined, from: number) => v !== null && v !== undefined && v >= from;

/** Whether a gauge's change from `was` to `v` can change a reason (it shows at or above `from`). */
const crosses = (was: number | null | undefined, v: number, from: number) =>
  was !== v && (above(was, from) || v >= from);

/** Records one value; returns whether the host's verdict may have changed with it. */
function record(t: Tracked, m: string, l: Record<string, string> | undefined, v: number): boolean {
  const device = l?.device ?? '';
  if (m === 'disk_saturated') {
    const had = t.saturated.has(device);
    if (v >= 1) t.saturated.add(device);
    else t.saturated.delete(device);
    return had !== v >= 1;
  }
  if (m === 'disk_util_percent') {
    const was = t.diskUtil.get(device);
    t.diskUtil.set(device, v);
    // A saturated disk's reason shows its figures whatever they are; a new device changes the reasons' order.
    return was === undefined || (was !== v && t.saturated.has(device)) || crosses(was, v, SHOWN_FROM.diskUtil);
  }
  if (m === 'disk_aqu_sz') {
    const was = t.diskAqu.get(device);
    t.diskAqu.set(device, v);
    return was !== v && t.saturated.has(device);
  }
  if (m === 'mongod_tickets_util_percent') {
    const op = l?.op ?? '';
    const was = t.tickets.get(op);
    t.tickets.set(op, v);
    return crosses(was, v, SHOWN_FROM.tickets);
  }
  if (m === 'mongod_queued' && l?.op === 'total') {
    const was = t.queued;
    t.queued = v;
    return crosses(was, v, SHOWN_FROM.queued);
  }
  if (m === 'mongod_lock_percent') {
    const was = t.lockPercent;
    t.lockPercent = v;
    // Without this gauge the verdict reads mongod's own figure: its first value can change the verdict.
    return was === null || crosses(was, v, SHOWN_FROM.lockPercent);
  }
  return false;
}

/** Closes sparkline buckets up to `ts`; a bucket with no batch is a gap (null). */
function advance(t: Tracked, ts: number): void {
  const bucket = Math.floor(ts / SPARK_BUCKET_MS);
  if (t.bucket === 0) t.bucket = bucket;
  while (t.bucket < bucket) {
    t.sparkView = null;
    t.spark.push(t.bucketMax === null ? null : Math.round(t.bucketMax));
    // The name changes with the point it belongs to, not with every batch (disks of equal load would flicker).
    if (t.bucketMax !== null) t.worstDisk = t.bucketDisk;
    t.bucketMax = null;
    t.bucket++;
    if (t.bucket < bucket - SPARK_POINTS) t.bucket = bucket - SPARK_POINTS; // a long gap: skip to the window
  }
  if (t.spark.length > SPARK_POINTS) t.spark.splice(0, t.spark.length - SPARK_POINTS);
}

function sameReasons(a: HealthReason[], b: HealthReason[]): boolean {
  return a.length === b.length && a.every((r, i) => r.health === b[i]!.health && r.text === b[i]!.text);
}

function sameSets(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Judges a host; the arrays of `last` are kept when they come out the same (the push then sees no change). */
function judge(h: HostSummary, g: HostGauges | undefined, now: number, last: Judged | null): Judged {
  const reasons = hostReasons(h, g, now);
  const sets = Object.keys(h.states[REPLSET_STATE_KIND] ?? {});
  return {
    ...verdict(reasons),
    reasons: last && sameReasons(last.reasons, reasons) ? last.reasons : reasons,
    sets: last && sameSets(last.sets, sets) ? last.sets : sets,
    connected: h.connected,
    collectors: h.collectors,
    byTime: judgedByTime(h, now),
  };
}

export class FleetHealth {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly hosts: HostRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the figures a verdict reads from one stored batch. */
  observe(host: string, batch: DecodedBatch): void {
    let t = this.tracked.get(host);
    if (!t) this.tracked.set(host, (t = fresh()));
    const { series, values } = batch;
    // States and collectors reach the host's summary with this same batch (HostRegistry.seen).
    if (batch.collectors || batch.stateKinds || batch.states) t.dirty = true;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      if (!TRACKED.has(s.m)) continue;
      const v = values[i]!;
      if (!Number.isNaN(v) && record(t, s.m, s.l, v)) t.dirty = true;
    }
    advance(t, batch.ts);
    let worst: string | null = null;
    let worstUtil = -1;
    for (const [d, u] of t.diskUtil)
      if (u > worstUtil) {
        worst = d;
        worstUtil = u;
      }
    if (worst !== null && worstUtil > (t.bucketMax ?? -1)) {
      t.bucketMax = worstUtil;
      t.bucketDisk = worst;
    }
  }

  /** Forgets a host's gauges (it left the registry). */
  forget(host: string): void {
    this.tracked.delete(host);
  }

  /**
   * A host's tile. Its `reasons`, `sets` and `spark` arrays may be shared
   * with earlier tiles of the same host (they are replaced, never changed):
   * treat them as read-only.
   */
  tile(h: HostSummary, now = this.now()): HostTile {
    const t = this.tracked.get(h.id);
    if (t) advance(t, now);
    const j = t ? this.judge(t, h, now) : judge(h, undefined, now, null);
    return {
      id: h.id,
      hostname: h.hostname,
      connected: h.connected,
      lastSeen: h.lastSeen,
      health: j.health,
      reason: j.reason,
      reasons: j.reasons,
      sets: j.sets,
      worstDisk: t ? (t.worstDisk ?? t.bucketDisk) : null,
      spark: t ? (t.sparkView ??= [...t.spark]) : [],
      sparkEnd: t && t.spark.length ? t.bucket * SPARK_BUCKET_MS : 0,
    };
  }

  /** The host's verdict: the last one while nothing it reads has changed, else judged again. */
  private judge(t: Tracked, h: HostSummary, now: number): Judged {
    const last = t.judged;
    if (
      last &&
      !t.dirty &&
      !last.byTime &&
      last.connected === h.connected &&
      last.collectors === h.collectors &&
      !judgedByTime(h, now)
    )
      return last;
    t.dirty = false;
    return (t.judged = judge(h, t, now, last));
  }

  /** Every host's tile in no particular order (a push compares them host by host: sorting 5 000 is wasted there). */
  unsortedTiles(now = this.now()): HostTile[] {
    return this.hosts.list().map((h) => this.tile(h, now));
  }

  /** Every host's tile, worst first, then by id. */
  tiles(now = this.now()): HostTile[] {
    return this.unsortedTiles(now).sort(
      (a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  /**
   * Each replica set some agent reports, with its members mapped to the hosts
   * they run on: a member `db2.example:27017` belongs to the agent whose agent
   * id or host name is `db2.example` (or `db2`).
   */
  replsets(now = this.now()): ReplsetView[] {
    const list = this.hosts.list();
    const byName = new Map<string, HostSummary[]>();
    const add = (key: string, h: HostSummary) => {
      const hs = byName.get(key) ?? [];
      if (!hs.includes(h)) hs.push(h);
      byName.set(key, hs);
    };
    for (const h of list) {
      for (const n of [h.id, h.hostname]) {
        add(n.toLowerCase(), h);
        add(n.split('.')[0]!.toLowerCase(), h);
      }
    }
    const views = new Map<string, ReplsetView>();
    for (const h of list) {
      for (const q of Object.values(h.states[REPLSET_STATE_KIND] ?? {})) {
        const set = q.set ?? '?';
        const seen = views.get(set);
        // Prefer a known view (not one from an agent whose replSetGetStatus failed), then a connected agent's that sees
        // a primary.
        if (seen && q.state === 'unknown') continue;
        if (seen && seen.known && (seen.primary || !q.primary || !h.connected)) continue;
        const members: ReplsetMemberView[] = q.members.map((m) => {
          const hostPart = m.name.replace(/:\d+$/, '').toLowerCase();
          const hosts = byName.get(hostPart) ?? byName.get(hostPart.split('.')[0]!) ?? [];
          return {
            name: m.name,
            stateStr: m.stateStr,
            health: m.health,
            votes: m.votes,
            priority: m.priority,
            arbiter: m.arbiter,
            lagSeconds: m.lagSeconds,
            hosts: hosts.map((mh) => {
              const tile = this.tile(mh, now);
              return {
                id: mh.id,
                health: tile.health,
                disk: tile.reasons.filter((r) => /^(disk|md)/.test(r.text)),
                logPaths: tile.reasons.filter((r) => r.text.startsWith('log paths')),
              };
            }),
          };
        });
        const risk = replsetReasons([q])[0];
        views.set(set, {
          set,
          reportedBy: h.id,
          known: q.state !== 'unknown',
          primary: q.primary,
          summary: q.summary,
          warnings: q.warnings,
          health: risk?.health ?? 'ok',
          members,
        });
      }
    }
    return [...views.values()].sort((a, b) => a.set.localeCompare(b.set));
  }
}
