/**
 * The typed contract of the structured states an agent emits (`{kind, key,
 * value}` in a batch) as they arrive as JSON on the server and the dashboard.
 * The agent's producers are checked against these types (`satisfies` where the
 * state is built, and test/shared/states-contract.test.ts), so a field renamed in
 * the agent fails `tsc` instead of breaking the dashboard silently.
 *
 * They are `type` aliases, not interfaces, on purpose: an object type alias is
 * assignable to the wire's `Record<string, unknown>` without a cast.
 */
import type { Finding, Severity } from './findings.js';

export const RAID_STATE_KIND = 'raid_array';
export const LOGPATH_STATE_KIND = 'logpaths';
export const MONGOD_STATE_KIND = 'mongod';
export const REPLSET_STATE_KIND = 'replset';
export const MONGOD_RUNNING_STATE_KIND = 'mongod_running';
export const FILESYSTEM_STATE_KIND = 'filesystem';
export const LOGROTATE_SCHEDULE_STATE_KIND = 'logrotate_schedule';

/** Every state kind, by what it describes: the kinds a full agent announces in a batch's `stateKinds`. */
export const STATE_KIND = {
  raid: RAID_STATE_KIND,
  filesystem: FILESYSTEM_STATE_KIND,
  logpaths: LOGPATH_STATE_KIND,
  mongodRunning: MONGOD_RUNNING_STATE_KIND,
  mongod: MONGOD_STATE_KIND,
  replset: REPLSET_STATE_KIND,
  logrotateSchedule: LOGROTATE_SCHEDULE_STATE_KIND,
} as const;
export const STATE_KINDS = Object.values(STATE_KIND);

/* ---- md arrays (agent/raid/arrays.ts ArrayReport + agent/raid/queue.ts ArrayQueue) ---- */

export type MdHealth =
  'clean' | 'degraded' | 'rebuilding' | 'resyncing' | 'checking' | 'reshaping' | 'inactive' | 'container' | 'unknown';
/**
 * A member's role as md.c prints it: (F) faulty, (S) spare (no slot), (J) the
 * raid4/5/6 write journal (not a data disk), (R) a replacement being built
 * for a slot that still has its old disk; otherwise a data disk, in sync or
 * (descriptor past the last slot during recovery) being rebuilt.
 */
export type MdMemberState = 'in_sync' | 'faulty' | 'spare' | 'rebuilding' | 'journal' | 'replacement' | 'unknown';

export type MdMember = {
  name: string;
  /** Descriptor number from /proc/mdstat, null when only sysfs knows the member. */
  index: number | null;
  state: MdMemberState;
  writeMostly: boolean;
  /** A journal device, also when faulty (state then says faulty). */
  journal: boolean;
};

export type MdSync = {
  action: 'resync' | 'recovery' | 'check' | 'repair' | 'reshape';
  status: 'running' | 'delayed' | 'pending' | 'remote';
  percent: number | null;
  speedKBps: number | null;
  etaSeconds: number | null;
};

/** Queue depth of an array and of its working members (agent/raid/queue.ts computes it). */
export type MdQueue = {
  /** Where the array's own depth comes from: the md device, or (md accounts no time) the sum over members. */
  source: 'array' | 'members' | 'none';
  /** Why the members' sum stands in for the array, when it does. */
  fallbackReason: 'md accounts no time' | 'md device not in /proc/diskstats' | null;
  aquSz: number | null;
  inFlight: number | null;
  members: {
    counted: string[];
    aquSzSum: number;
    aquSzMax: number;
    inFlightSum: number;
    inFlightMax: number;
    utilSum: number;
    utilMax: number;
    /** The member with the deepest queue, so one sees which disk saturates. */
    busiest: string | null;
  };
  saturated: boolean;
  saturatedMembers: string[];
};

/** One md array (kind `raid_array`, key = array name). */
export type MdArrayState = {
  name: string;
  /**
   * An array, or an external-metadata container (imsm, ddf): a set of disks
   * that mdadm/mdmon manage, always "inactive" to md, whose arrays are
   * reported on their own. A container is never a stopped array.
   */
  kind: 'array' | 'container';
  /** For an array inside a container (`super external:/md127/0`), the container's name. */
  container: string | null;
  level: string | null;
  /** sysfs array_state when present (clean, active, read-auto, inactive, …), else active/inactive from mdstat. */
  state: string;
  readOnly: boolean;
  health: MdHealth;
  degraded: boolean;
  disks: {
    expected: number | null;
    active: number | null;
    failed: number;
    spare: number;
    missing: number;
    journal: number;
    replacement: number;
  };
  /** 0-based positions shown as "_" in mdstat's [U_] map. */
  missingSlots: number[];
  members: MdMember[];
  sync: MdSync | null;
  mismatchCnt: number | null;
  metadata: string | null;
  sources: ('mdstat' | 'sysfs')[];
  /** Where /proc/mdstat and sysfs, or mdstat's own lines, say different things; all are reported, none silently wins. */
  disagreements: string[];
  /** Set when this array's mdstat block could not be read; the other fields are then from sysfs or empty. */
  error?: string;
  /** Absent from agents that predate queue figures; null when the array has no rates yet. */
  queue?: MdQueue | null;
};

/* ---- log-path checks (agent/collectors/logpaths.ts) ---- */

/** One configuration check's latest result (kind `logpaths`, key = check). */
export type LogPathCheckState = {
  check: 'logrotate' | 'mongod-config' | 'mongod-running';
  /** The mongod instance the check is about, when the agent watches several. */
  instance?: string | null;
  file: string | null;
  ok: boolean;
  counts: Record<Severity, number>;
  findings: Finding[];
  checkedAt: number;
  /** The check itself could not run. */
  error?: string;
};

/* ---- mongod (agent/collectors/mongod.ts, agent/mongod/server-status.ts) ---- */

export type TicketState = {
  out: number;
  available: number;
  total: number;
  utilPercent: number | null;
  /** 8.0+: operations waiting for a ticket (queues.execution.*.normalPriority.queueLength). */
  queueLength: number | null;
};

export type MongodGauges = {
  version: string | null;
  pid: number | null;
  uptimeMs: number | null;
  queued: { readers: number | null; writers: number | null; total: number | null };
  active: { readers: number | null; writers: number | null; total: number | null };
  tickets: {
    source: 'queues.execution' | 'wiredTiger.concurrentTransactions' | null;
    read: TicketState | null;
    write: TicketState | null;
  };
  /** mongostat's qr|qw on WiredTiger: clients waiting for a ticket, max(0, queued + active - tickets out). */
  ticketQueue: { readers: number; writers: number } | null;
  connections: { current: number | null; available: number | null };
};

export type MongodFigures = {
  lockKind: 'locked' | 'wait' | null;
  lockPercent: number | null;
  lockPercentUncapped: number | null;
  contendedPercent: number | null;
};

export type MongodUpState = {
  up: true;
  uri: string;
  version: string | null;
  recoveredFrom?: number | null;
  gauges: MongodGauges | null;
  figures: MongodFigures | null;
  discarded: string | null;
  missing: string[];
  lastError?: string | null;
};

export type MongodDownState = { up: false; uri: string; since: number; lastError: string };

/** The watched mongod (kind `mongod`, key `status`). */
export type MongodStatusState = MongodUpState | MongodDownState;

/* ---- replica set (agent/mongod/replset.ts Quorum, as JSON: dates are left out) ---- */

export type ReplsetMemberState = {
  id: number | null;
  name: string;
  votes: number;
  priority: number;
  arbiter: boolean;
  hidden: boolean;
  delaySecs: number;
  health: number | null;
  state: number | null;
  stateStr: string | null;
  /** Seconds behind the primary's optime; null for the primary, arbiters, or when unknown. */
  lagSeconds: number | null;
};

/** What the set survives, counted from its votes (agent/mongod/replset.ts `quorum`). */
export type ReplsetFigures = {
  voters: number;
  majority: number;
  designedFaultTolerance: number;
  healthyVotes: number;
  liveFaultTolerance: number;
  writableVoters: number;
  writeMajority: number;
  designedWriteFaultTolerance: number;
  liveWriteFaultTolerance: number;
};

type ReplsetCommon = {
  set: string | null;
  primary: string | null;
  /** Where the numbers came from: the config, or only what the status reports (4.2.1+ counts). */
  source: 'config' | 'status';
  warnings: string[];
  summary: string;
};

/** The set as replSetGetStatus (and replSetGetConfig) describe it now. Agents send no `state` for it. */
export type KnownReplsetState = ReplsetCommon &
  ReplsetFigures & {
    state?: 'known';
    members: ReplsetMemberState[];
    canElectPrimary: boolean;
  };

/**
 * replSetGetStatus failed (mongod down, auth, timeout): the agent's last good view is not sent as if
 * current (agent/mongod/absence.ts `unknownQuorum`). No members, every figure null; `primary` is the
 * primary serverStatus still names, null when it names none or mongod does not answer.
 */
export type UnknownReplsetState = ReplsetCommon & { [F in keyof ReplsetFigures]: null } & {
  state: 'unknown';
  error: string;
  /**
   * Since when the view has been unknown without interruption (ms since the epoch): the first failed read
   * (mongod down or replSetGetStatus failing, in any order); only a known view ends the stretch.
   */
  since: number;
  /** Always empty: who is up is not known. */
  members: ReplsetMemberState[];
  /** Not known: never true. */
  canElectPrimary: false;
};

/** A replica set as the watched member sees it (kind `replset`, key = set name): `state` tells which view. */
export type ReplsetState = KnownReplsetState | UnknownReplsetState;

/**
 * A host's latest states by kind, then key. The known kinds are typed; a kind
 * this build does not know (a newer agent) still travels, untyped.
 */
/* ---- file systems (agent/collectors/filesystems.ts) and the logrotate schedule ---- */

/** One mount (kind `filesystem`, key = mount point): space, inodes, forecast, and what lies under it. */
export type FilesystemState = {
  mountPoint: string;
  fsType: string;
  device: string;
  array: string | null;
  members: string[];
  sizeBytes: number;
  availPercent: number | null;
  inodesFreePercent: number | null;
  timeToFullSeconds: number | null;
  holds: string[];
};

/** When logrotate next runs (kind `logrotate_schedule`, key `next`). */
export type LogrotateScheduleState = { next?: number; latest?: number; detail?: string; error?: string };

export type HostStates = {
  [RAID_STATE_KIND]?: Record<string, MdArrayState>;
  [LOGPATH_STATE_KIND]?: Record<string, LogPathCheckState>;
  /** Key `status` for a lone mongod, `<instance> status` for each of several (see mongodStatuses). */
  [MONGOD_STATE_KIND]?: Record<string, MongodStatusState>;
  [REPLSET_STATE_KIND]?: Record<string, ReplsetState>;
  /** The running mongods' checks (and, with several instances, each one's config-file check). */
  [MONGOD_RUNNING_STATE_KIND]?: Record<string, LogPathCheckState>;
  [FILESYSTEM_STATE_KIND]?: Record<string, FilesystemState>;
  [LOGROTATE_SCHEDULE_STATE_KIND]?: Record<string, LogrotateScheduleState>;
  [kind: string]: Record<string, Record<string, unknown>> | undefined;
};

/** Each watched mongod's status with its instance name ('' for a lone mongod, keyed `status`). */
export function mongodStatuses(
  mongod: HostStates[typeof MONGOD_STATE_KIND],
): [instance: string, status: MongodStatusState][] {
  return Object.entries(mongod ?? {})
    .filter(([k]) => k === 'status' || k.endsWith(' status'))
    .map(([k, v]) => [k === 'status' ? '' : k.slice(0, -' status'.length), v]);
}
