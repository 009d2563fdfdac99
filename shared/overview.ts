/**
 * The fleet overview's contract: one small tile per host with the server's
 * health verdict, so a dashboard of 5 000 hosts never receives every host's
 * states. `GET /api/overview` gives all tiles; `/ws/dashboard` pushes the
 * tiles that changed to dashboards that subscribed with `overview: true`.
 */

export type Health = 'ok' | 'info' | 'warn' | 'bad';

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
  /** The disk with the highest %util in the latest batch. */
  worstDisk: string | null;
  /** The highest %util of any disk, oldest first, one point per 10 s; null where the host sent nothing. */
  spark: (number | null)[];
}

export interface OverviewFrame {
  type: 'overview';
  now: number;
  tiles: HostTile[];
  /** true: only the tiles that changed since the last push; false: every host. */
  partial: boolean;
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
