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
 * Sparkline points closed since the last push, per host, newest last, the
 * newest ending at `end`, and the hosts whose busiest disk changed with them.
 * Sent instead of whole tiles when only the sparklines moved (every host's
 * bucket closes at once, every 10 s): a dashboard appends the points after
 * its tile's `sparkEnd`, so a point it already has is never added twice.
 */
export interface SparkPoints {
  end: number;
  points: Record<string, (number | null)[]>;
  disks?: Record<string, string | null>;
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

/** A tile's sparkline with the points of a push appended (at most SPARK_POINTS; a skipped bucket is a gap). */
export function appendSpark(tile: HostTile, points: (number | null)[], end: number): (number | null)[] | null {
  if (end <= tile.sparkEnd) return null;
  // A tile with no point yet takes the points as they are (the server's line starts there too).
  if (tile.sparkEnd === 0) return points.slice(-SPARK_POINTS);
  const fresh = Math.min(SPARK_POINTS, Math.round((end - tile.sparkEnd) / SPARK_BUCKET_MS));
  const added =
    fresh > points.length
      ? [...new Array<null>(fresh - points.length).fill(null), ...points]
      : points.slice(points.length - fresh);
  return tile.spark.concat(added).slice(-SPARK_POINTS);
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
  /** The agent whose view of the set is shown (the freshest one that sees a primary). */
  reportedBy: string;
  /** False when the only view came from an agent whose replSetGetStatus failed. */
  known: boolean;
  primary: string | null;
  summary: string;
  warnings: string[];
  health: Health;
  members: ReplsetMemberView[];
}
