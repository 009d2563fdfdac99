/**
 * The fleet overview's contract: one small tile per host with the server's
 * health verdict, so a dashboard of 5 000 hosts never receives every host's
 * states. `GET /api/overview` gives all tiles; `/ws/dashboard` pushes the
 * tiles that changed to dashboards that subscribed with `overview: true`.
 */

export type Health = 'ok' | 'info' | 'warn' | 'bad';

/** Sparkline: one point per 10 s (the bucket's highest %util of any disk), 5 minutes of them. */
export const SPARK_BUCKET_MS = 10_000;
export const SPARK_POINTS = 30;

/**
 * What a dashboard socket is sent besides what it subscribes to, chosen when
 * it connects (`/ws/dashboard?scope=…`). `fleet` (the default, kept for older
 * clients): every host with its states on connect, then every host that
 * changes. `subscribed`: nothing until it subscribes; then the overview's
 * tiles if it asked for them, and the summary with states of each host it
 * subscribes to, when it subscribes and whenever that host changes.
 */
export type DashboardScope = 'fleet' | 'subscribed';
export const DASHBOARD_SCOPE_PARAM = 'scope';

/** The scope a dashboard socket asked for in its URL's query; anything unknown is the default. */
export function dashboardScope(search: string): DashboardScope {
  return new URLSearchParams(search).get(DASHBOARD_SCOPE_PARAM) === 'subscribed' ? 'subscribed' : 'fleet';
}

export interface HealthReason {
  health: Health;
  text: string;
}

export interface HostTile {
  id: string;
  hostname: string;
  connected: boolean;
  lastSeen: number | null;
  health: Health;
  /** One line: the worst reason, and how many more. */
  reason: string;
  /** Every reason, worst first (empty when ok). */
  reasons: HealthReason[];
  /** Replica sets the host's mongod reports. */
  sets: string[];
  /** The disk that reached the newest sparkline point (before the first point: the busiest so far). */
  worstDisk: string | null;
  /** The highest %util of any disk, oldest first, one point per 10 s; null where the host sent nothing. */
  spark: (number | null)[];
  /** Epoch ms at which the newest point's bucket ended (0: no point yet). */
  sparkEnd: number;
}

/**
 * Sparkline points closed since the last push, newest last, the newest
 * ending at `end`, and the hosts whose busiest disk changed with them. Sent
 * instead of whole tiles when only the sparklines moved (every host's bucket
 * closes at once, every 10 s): a dashboard appends the points after its
 * tile's `sparkEnd`, so a point it already has is never added twice.
 * Columnar: host i of `ids` has `counts[i]` points, the next ones in
 * `values`; 5 000 hosts' points are three arrays, not an object of 5 000 keys
 * and 5 000 arrays for the tab to parse and collect.
 */
export interface SparkPoints {
  end: number;
  ids: string[];
  counts: number[];
  values: (number | null)[];
  disks?: Record<string, string | null>;
}

/**
 * Calls `each` with every host of a push's points and where its points are in
 * `values` (from, count). A push whose columns disagree in length is ignored
 * whole: no host gets another host's points.
 */
export function forEachSpark(p: SparkPoints, each: (id: string, from: number, count: number) => void): void {
  if (p.ids.length !== p.counts.length) return;
  let total = 0;
  for (const c of p.counts) total += c;
  if (total !== p.values.length) return;
  let from = 0;
  for (let i = 0; i < p.ids.length; i++) {
    each(p.ids[i]!, from, p.counts[i]!);
    from += p.counts[i]!;
  }
}

export interface OverviewFrame {
  type: 'overview';
  now: number;
  tiles: HostTile[];
  /** true: only the tiles that changed since the last push; false: every host. */
  partial: boolean;
  /** With `partial`: new sparkline points of hosts whose tiles are not in `tiles`. */
  spark?: SparkPoints;
}

/**
 * How many buckets a line ending at `sparkEnd` moves forward for a push of
 * `count` points ending at `end` (later than `sparkEnd`). The newest
 * `fresh` points are taken, and `fresh - count` gaps (buckets the push has
 * no point for) go before them. A line with no point yet takes the points as
 * they are (the server's line starts there too).
 */
export function freshPoints(sparkEnd: number, end: number, count: number): number {
  return sparkEnd === 0 ? count : Math.min(SPARK_POINTS, Math.round((end - sparkEnd) / SPARK_BUCKET_MS));
}

/**
 * Appends a push's points (`count` of them in `values`, from `from`) to a
 * tile's sparkline in place (at most SPARK_POINTS; a skipped bucket is a
 * gap): only the points after the tile's `sparkEnd` count, so the same push
 * applied twice adds nothing. In place because every host's line moves at
 * once: 5 000 new arrays every 10 s would be garbage for the tab to collect.
 * Returns whether the line changed.
 */
export function appendSpark(
  tile: HostTile,
  values: (number | null)[],
  end: number,
  from = 0,
  count = values.length - from,
): boolean {
  if (end <= tile.sparkEnd) return false;
  const fresh = freshPoints(tile.sparkEnd, end, count);
  const spark = tile.spark;
  for (let gap = fresh - count; gap > 0; gap--) spark.push(null);
  for (let i = Math.max(0, count - fresh); i < count; i++) spark.push(values[from + i]!);
  if (spark.length > SPARK_POINTS) spark.splice(0, spark.length - SPARK_POINTS);
  tile.sparkEnd = end;
  return true;
}

/** A replica-set member with the hosts whose agents run on it (by host name) and their verdicts. */
export interface ReplsetMemberView {
  name: string;
  stateStr: string | null;
  health: number | null;
  votes: number;
  priority: number;
  arbiter: boolean;
  lagSeconds: number | null;
  hosts: { id: string; health: Health; disk: HealthReason[]; logPaths: HealthReason[] }[];
}

export interface ReplsetView {
  set: string;
  /** The agent whose view of the set is shown: a connected one's first, known, naming a primary (fleet-health.ts viewRank). */
  reportedBy: string;
  /** False when the only view came from an agent whose replSetGetStatus failed. */
  known: boolean;
  primary: string | null;
  summary: string;
  warnings: string[];
  health: Health;
  members: ReplsetMemberView[];
}
