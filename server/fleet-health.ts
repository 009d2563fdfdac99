/**
 * Per-host gauges for the health verdicts and the overview's sparklines, fed
 * from every stored batch. It keeps only the handful of metrics a verdict
 * reads, so the overview of a fleet costs a few numbers per host, not its
 * states or history.
 */
import type { DecodedBatch, HostSummary } from '../shared/protocol.js';
import { REPLSET_STATE_KIND } from '../shared/states.js';
import {
  SPARK_BUCKET_MS,
  SPARK_POINTS,
  type HostTile,
  type ReplsetMemberView,
  type ReplsetView,
} from '../shared/overview.js';
import { HEALTH_RANK, hostReasons, replsetReasons, verdict } from './health.js';
import type { HostRegistry } from './hosts.js';
import { GaugeEntries, SlotPlan } from './health-cells.js';

export { SPARK_BUCKET_MS, SPARK_POINTS };

interface Tracked {
  /** Every gauge the host's batches have given a value, and its latest. */
  gauges: GaugeEntries;
  /** The slots a verdict reads in the series array of the host's last batch. */
  plan: SlotPlan;
  /** The disk that reached the last closed bucket's figure (the sparkline's newest point). */
  worstDisk: string | null;
  spark: (number | null)[];
  bucket: number;
  bucketMax: number | null;
  bucketDisk: string | null;
}

function fresh(): Tracked {
  const gauges = new GaugeEntries();
  return {
    gauges,
    plan: new SlotPlan(null, gauges),
    worstDisk: null,
    spark: [],
    bucket: 0,
    bucketMax: null,
    bucketDisk: null,
  };
}

/** Closes sparkline buckets up to `ts`; a bucket with no batch is a gap (null). */
function advance(t: Tracked, ts: number): void {
  const bucket = Math.floor(ts / SPARK_BUCKET_MS);
  if (t.bucket === 0) t.bucket = bucket;
  while (t.bucket < bucket) {
    t.spark.push(t.bucketMax === null ? null : Math.round(t.bucketMax));
    // The name changes with the point it belongs to, not with every batch (disks of equal load would flicker).
    if (t.bucketMax !== null) t.worstDisk = t.bucketDisk;
    t.bucketMax = null;
    t.bucket++;
    if (t.bucket < bucket - SPARK_POINTS) t.bucket = bucket - SPARK_POINTS; // a long gap: skip to the window
  }
  if (t.spark.length > SPARK_POINTS) t.spark.splice(0, t.spark.length - SPARK_POINTS);
}

export class FleetHealth {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly hosts: HostRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes the figures a verdict reads from one stored batch: a few numbers
   * written by the slots of its series array's plan (a new array, after a new
   * hello and perhaps in another order, gets a plan of its own).
   */
  observe(host: string, batch: DecodedBatch): void {
    let t = this.tracked.get(host);
    if (!t) this.tracked.set(host, (t = fresh()));
    const { gauges } = t;
    if (t.plan.shape !== batch.series) t.plan = new SlotPlan(batch.series, gauges);
    t.plan.take(batch.values, gauges);
    advance(t, batch.ts);
    const worst = gauges.busiest();
    if (worst >= 0 && gauges.values[worst]! > (t.bucketMax ?? -1)) {
      t.bucketMax = gauges.values[worst]!;
      t.bucketDisk = gauges.keys[worst]!;
    }
  }

  /** Forgets a host's gauges (it left the registry). */
  forget(host: string): void {
    this.tracked.delete(host);
  }

  tile(h: HostSummary, now = this.now()): HostTile {
    const t = this.tracked.get(h.id);
    if (t) advance(t, now);
    const reasons = hostReasons(h, t?.gauges, now);
    return {
      id: h.id,
      hostname: h.hostname,
      connected: h.connected,
      lastSeen: h.lastSeen,
      ...verdict(reasons),
      reasons,
      sets: Object.keys(h.states[REPLSET_STATE_KIND] ?? {}),
      worstDisk: t ? (t.worstDisk ?? t.bucketDisk) : null,
      spark: t ? [...t.spark] : [],
      sparkEnd: t && t.spark.length ? t.bucket * SPARK_BUCKET_MS : 0,
    };
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
    const ranks = new Map<string, number>();
    for (const h of list) {
      for (const q of Object.values(h.states[REPLSET_STATE_KIND] ?? {})) {
        const set = q.set ?? '?';
        const rank = viewRank(h.connected, q.state !== 'unknown', q.primary !== null);
        // The best view of the set; of equal ones, the first host's (in id order).
        if (rank >= (ranks.get(set) ?? Infinity)) continue;
        ranks.set(set, rank);
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
        const risk = replsetReasons([q])[0]?.health ?? 'ok';
        // A gone agent's view is of before it went: shown (nothing better is known), but not as current.
        const stale = h.connected
          ? null
          : `as last seen by ${h.id}, whose agent is disconnected (since ${new Date(h.lastSeen ?? 0).toISOString()}): it may no longer be true`;
        views.set(set, {
          set,
          reportedBy: h.id,
          known: q.state !== 'unknown',
          primary: q.primary,
          summary: q.summary,
          warnings: stale ? [stale, ...q.warnings] : q.warnings,
          health: stale && HEALTH_RANK[risk] < HEALTH_RANK.warn ? 'warn' : risk,
          members,
        });
      }
    }
    return [...views.values()].sort((a, b) => a.set.localeCompare(b.set));
  }
}

/**
 * How good a view of a replica set is for the overview, lower first: a connected agent's before a disconnected
 * one's (a gone agent's last view is of before it went: it showed a dead primary's "ok" while the others could
 * not elect one), then a known view before an unknown one (replSetGetStatus failed), then one that names a
 * primary before one that names none.
 */
function viewRank(connected: boolean, known: boolean, namesPrimary: boolean): number {
  return (connected ? 0 : 4) + (known ? 0 : 2) + (namesPrimary ? 0 : 1);
}
