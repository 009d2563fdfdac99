/**
 * The metric catalogue: the one place where a metric's name, unit, help text,
 * labels and kind are written down. Agent, server, dashboard, docs and
 * `/metrics` all read it, so a name is never spelled twice.
 */

export type MetricKind = 'gauge' | 'counter';

export type Unit =
  | 'percent'
  | 'ops/s'
  | 'kB/s'
  | 'ms'
  | 'µs'
  | 'requests'
  | 'batches'
  | 'seconds'
  | 'disks'
  | 'ratio'
  | 'boolean'
  | 'count'
  | 'bytes';

export interface MetricDef<N extends string = string> {
  name: N;
  unit: Unit;
  kind: MetricKind;
  /** Labels every sample of this metric carries, besides `host` (added by the server). */
  labels: readonly string[];
  help: string;
  /** Short human title for charts and tables. */
  title: string;
  domain: 'cpu' | 'disk' | 'raid' | 'pressure' | 'logpath' | 'mongod' | 'replset' | 'agent' | 'filesystem';
}

const cpuLabels = ['cpu'] as const;
const diskLabels = ['device'] as const;
const arrayLabels = ['array'] as const;

function raid<N extends string>(
  name: N,
  unit: Unit,
  title: string,
  help: string,
  labels: readonly string[] = arrayLabels,
): MetricDef<N> {
  return { name, unit, kind: 'gauge', labels, domain: 'raid', title, help };
}

function pressure<N extends string>(name: N, title: string, help: string): MetricDef<N> {
  return { name, unit: 'percent', kind: 'gauge', labels: ['kind'], domain: 'pressure', title, help };
}

function mongod<N extends string>(
  name: N,
  unit: Unit,
  title: string,
  labels: readonly string[],
  help: string,
  kind: MetricKind = 'gauge',
): MetricDef<N> {
  return { name, unit, kind, labels, domain: 'mongod', title, help };
}

function replset<N extends string>(
  name: N,
  unit: Unit,
  title: string,
  help: string,
  labels: readonly string[] = ['set'],
): MetricDef<N> {
  return { name, unit, kind: 'gauge', labels, domain: 'replset', title, help };
}

const MEMBERS_COUNTED = 'Working members only: spares and failed members are left out.';

function cpuPercent<N extends string>(name: N, field: string, extra = ''): MetricDef<N> {
  return {
    name,
    unit: 'percent',
    kind: 'gauge',
    labels: cpuLabels,
    domain: 'cpu',
    title: `CPU ${field}`,
    help:
      `Share of CPU time spent ${field} over the last interval, from /proc/stat deltas ` +
      `(100 * Δ${field} / Δtotal, total excluding guest time, which is already in user). ` +
      `cpu="all" is the host-wide line.${extra}`,
  };
}

export const METRICS = [
  cpuPercent(
    'cpu_iowait_percent',
    'iowait',
    ' iowait is idle time with I/O outstanding; the kernel calls it unreliable (it is not per-CPU work and drops when other work runs), so read it with disk queue depth and I/O pressure.',
  ),
  cpuPercent('cpu_user_percent', 'user', ' Includes nice and guest time.'),
  cpuPercent('cpu_system_percent', 'system', ' Includes irq and softirq time.'),
  cpuPercent('cpu_idle_percent', 'idle'),
  cpuPercent('cpu_steal_percent', 'steal', ' Time a hypervisor ran another guest while this one wanted the CPU.'),
  {
    name: 'disk_r_per_s',
    unit: 'ops/s',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Reads/s',
    help: 'Reads completed per second (iostat r/s): Δ/proc/diskstats field 1 / Δt.',
  },
  {
    name: 'disk_w_per_s',
    unit: 'ops/s',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Writes/s',
    help: 'Writes completed per second (iostat w/s): Δ/proc/diskstats field 5 / Δt.',
  },
  {
    name: 'disk_rkb_per_s',
    unit: 'kB/s',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Read kB/s',
    help: 'Kilobytes read per second (iostat rkB/s): Δsectors read (field 3, 512-byte units) / 2 / Δt.',
  },
  {
    name: 'disk_wkb_per_s',
    unit: 'kB/s',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Write kB/s',
    help: 'Kilobytes written per second (iostat wkB/s): Δsectors written (field 7, 512-byte units) / 2 / Δt.',
  },
  {
    name: 'disk_r_await_ms',
    unit: 'ms',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Read await',
    help: 'Average time a read took, queueing included (iostat r_await): Δms reading (field 4) / Δreads (field 1); 0 when no read completed.',
  },
  {
    name: 'disk_w_await_ms',
    unit: 'ms',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Write await',
    help: 'Average time a write took, queueing included (iostat w_await): Δms writing (field 8) / Δwrites (field 5); 0 when no write completed.',
  },
  {
    name: 'disk_aqu_sz',
    unit: 'requests',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Queue size (aqu-sz)',
    help: 'Average number of requests queued or in service (iostat aqu-sz): Δweighted ms doing I/O (field 11) / Δt in ms.',
  },
  {
    name: 'disk_util_percent',
    unit: 'percent',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Utilisation',
    help:
      'Share of time the device had I/O in flight (iostat %util): 100 * Δms doing I/O (field 10) / Δt in ms, capped at 100. ' +
      'Near 100 means saturated only for a device that serves one request at a time; RAID arrays and SSDs serve many in parallel.',
  },
  {
    name: 'disk_in_flight',
    unit: 'requests',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'In flight',
    help: 'Requests issued to the device and not yet completed at the moment of sampling (/proc/diskstats field 9).',
  },
  {
    name: 'disk_await_ms',
    unit: 'ms',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Await',
    help: 'Average time a request took, queueing included (iostat await): Δ(read + write + discard ms) / Δ(reads + writes + discards).',
  },
  {
    name: 'disk_await_baseline_ms',
    unit: 'ms',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Await baseline',
    help: "The device's own usual await: the median over its last 600 intervals with I/O that were not saturated; absent until 30 such intervals.",
  },
  {
    name: 'disk_queue_fill_percent',
    unit: 'percent',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Queue fill',
    help: 'aqu-sz as a share of the device request queue (100 * aqu-sz / queue/nr_requests). At 50 % and above requests wait for queue slots.',
  },
  {
    name: 'disk_saturated',
    unit: 'boolean',
    kind: 'gauge',
    labels: diskLabels,
    domain: 'disk',
    title: 'Saturated',
    help: '1 when the device is saturated: queue fill ≥ 50 %, or await ≥ 4× its own baseline with aqu-sz ≥ 1, or host I/O pressure full avg10 ≥ 10 % while the device is ≥ 90 % busy with aqu-sz ≥ 1 and shows its own evidence (queue fill ≥ 25 % or await ≥ 2× baseline). %util alone is not used (see README, Saturation).',
  },
  raid(
    'raid_disks_expected',
    'disks',
    'Disks expected',
    'Member slots the array is built with (raid_disks, mdstat [n/m] n).',
  ),
  raid('raid_disks_active', 'disks', 'Disks working', 'Members in sync and working (mdstat [n/m] m).'),
  raid('raid_disks_failed', 'disks', 'Disks failed', 'Members marked faulty, (F) in /proc/mdstat.'),
  raid('raid_disks_spare', 'disks', 'Spare disks', 'Spare members, (S) in /proc/mdstat.'),
  raid(
    'raid_disks_missing',
    'disks',
    'Disks missing',
    'Slots without a working member (expected - working, sysfs degraded). Above 0 the array is degraded.',
  ),
  raid(
    'raid_sync_running',
    'boolean',
    'Sync running',
    '1 while a resync, recovery, check, repair or reshape runs; the action label says which.',
    ['array', 'action'],
  ),
  raid(
    'raid_sync_progress_percent',
    'percent',
    'Sync progress',
    'Progress of the running sync (mdstat percent, or sysfs sync_completed).',
    ['array', 'action'],
  ),
  raid('raid_sync_speed_kbps', 'kB/s', 'Sync speed', 'Speed of the running sync (mdstat speed=, sysfs sync_speed).', [
    'array',
    'action',
  ]),
  raid(
    'raid_sync_eta_seconds',
    'seconds',
    'Sync ETA',
    'Time the running sync still needs at its current speed (mdstat finish=).',
    ['array', 'action'],
  ),
  raid(
    'raid_mismatch_cnt',
    'count',
    'Mismatch count',
    'Sectors found inconsistent by the last check or repair (sysfs mismatch_cnt). Growth matters on parity RAID; raid1/10 report harmless mismatches from swap and O_DIRECT, hence the level label.',
    ['array', 'level'],
  ),
  raid(
    'raid_array_aqu_sz',
    'requests',
    'Array queue size',
    "Array queue depth: the md device's own aqu-sz, or, when md accounts no time (all zeros, as on many kernels), the sum of its members' aqu-sz.",
  ),
  raid(
    'raid_array_in_flight',
    'requests',
    'Array in flight',
    'Requests in flight on the md device, or the sum over its members when md accounts none.',
  ),
  raid('raid_members_aqu_sz_sum', 'requests', 'Members aqu-sz (sum)', `Sum of the members' aqu-sz. ${MEMBERS_COUNTED}`),
  raid(
    'raid_members_aqu_sz_max',
    'requests',
    'Members aqu-sz (max)',
    `Largest member aqu-sz: the disk that queues most. ${MEMBERS_COUNTED}`,
  ),
  raid(
    'raid_members_in_flight_sum',
    'requests',
    'Members in flight (sum)',
    `Sum of the members' in-flight requests. ${MEMBERS_COUNTED}`,
  ),
  raid(
    'raid_members_in_flight_max',
    'requests',
    'Members in flight (max)',
    `Largest member in-flight count. ${MEMBERS_COUNTED}`,
  ),
  raid(
    'raid_members_util_sum_percent',
    'percent',
    'Members %util (sum)',
    `Sum of the members' %util. ${MEMBERS_COUNTED}`,
  ),
  raid('raid_members_util_max_percent', 'percent', 'Members %util (max)', `Busiest member's %util. ${MEMBERS_COUNTED}`),
  raid(
    'raid_saturated',
    'boolean',
    'Array saturated',
    '1 when the array or any working member is saturated (see disk_saturated).',
  ),
  pressure(
    'io_pressure_avg10_percent',
    'I/O pressure avg10',
    'Share of the last 10 s in which some (kind="some") or all non-idle (kind="full") tasks were stalled on I/O (/proc/pressure/io). Absent on kernels without PSI.',
  ),
  pressure('io_pressure_avg60_percent', 'I/O pressure avg60', 'As avg10, over 60 s.'),
  pressure('io_pressure_avg300_percent', 'I/O pressure avg300', 'As avg10, over 300 s.'),
  pressure(
    'io_pressure_stall_percent',
    'I/O stall',
    'Stall time over the last interval from the rate of total: 100 * Δtotal µs / Δt µs.',
  ),
  {
    name: 'logpath_check_ok',
    unit: 'boolean',
    kind: 'gauge',
    labels: ['check'],
    domain: 'logpath',
    title: 'Log-path check passes',
    help: '1 when the check passes: check="logrotate" means every rotation of the next logrotate run would succeed; check="mongod-config" means mongod.conf lets mongod start and keep logging. Run every minute and when the files change.',
  },
  {
    name: 'logpath_check_errors',
    unit: 'count',
    kind: 'gauge',
    labels: ['check'],
    domain: 'logpath',
    title: 'Log-path errors',
    help: 'Findings that make a rotation fail or be skipped, or keep mongod from starting or logging (see tidemark check logrotate / mongod-config).',
  },
  {
    name: 'logpath_check_warnings',
    unit: 'count',
    kind: 'gauge',
    labels: ['check'],
    domain: 'logpath',
    title: 'Log-path warnings',
    help: 'Risky or ignored settings that do not make the next rotation fail (e.g. a nearly full disk, copytruncate with SIGUSR1).',
  },
  mongod(
    'mongod_up',
    'boolean',
    'mongod up',
    [],
    '1 while serverStatus answers; 0 when mongod is down or unreachable (the state says since when and the last error).',
  ),
  mongod(
    'mongod_lock_percent',
    'percent',
    'Lock wait (3.0+) / lock held (≤ 2.6)',
    ['kind'],
    'Headline lock figure, capped at 100. kind="locked" (MongoDB ≤ 2.6): 100·ΔglobalLock.lockTime / ΔglobalLock.totalTime, time the global write lock was held. kind="wait" (3.0+, where no time-locked figure exists): lock-wait % = 100·ΣΔlocks.*.timeAcquiringMicros / Δuptime in µs, time operations spent waiting to acquire locks (Percona PMM "lock wait ratio"). An interval is discarded when the pid changes, uptime falls or a counter goes backwards.',
  ),
  mongod(
    'mongod_lock_percent_uncapped',
    'percent',
    'Lock wait / held, uncapped',
    ['kind'],
    'The same figure without the cap: waits of concurrent operations add up past 100 %.',
  ),
  mongod(
    'mongod_lock_contended_percent',
    'percent',
    'Contended acquisitions',
    ['lock_type'],
    'Share of lock acquisitions that had to wait: 100·ΣΔacquireWaitCount / ΣΔacquireCount over modes, per lock type (Global, Database, Collection, …); lock_type="all" sums every type (mongostat lrw for 3.0+). MongoDB 3.0+.',
  ),
  mongod(
    'mongod_lock_avg_wait_us',
    'µs',
    'Average contended wait',
    ['lock_type'],
    'Average wait of an acquisition that waited, in microseconds: ΣΔtimeAcquiringMicros / ΣΔacquireWaitCount (mongostat lrwt). MongoDB 3.0+.',
  ),
  mongod(
    'mongod_queued',
    'count',
    'Queued operations',
    ['op'],
    'Operations queued waiting for a lock: globalLock.currentQueue.{readers,writers,total} (all versions).',
  ),
  mongod(
    'mongod_active',
    'count',
    'Active clients',
    ['op'],
    'Clients with operations in progress: globalLock.activeClients.{readers,writers,total}.',
  ),
  mongod(
    'mongod_ticket_queue',
    'count',
    'Ticket queue',
    ['op'],
    'WiredTiger: clients waiting for a read or write ticket, as mongostat computes qr|qw: max(0, currentQueue + activeClients − tickets out).',
  ),
  mongod(
    'mongod_tickets_util_percent',
    'percent',
    'Ticket utilisation',
    ['op'],
    'Read or write tickets in use: 100·out / totalTickets, from queues.execution (8.0+) or wiredTiger.concurrentTransactions (3.0–7.0). At 100 % new operations queue.',
  ),
  mongod(
    'mongod_tickets_available',
    'count',
    'Tickets available',
    ['op'],
    'Read or write tickets free (queues.execution or wiredTiger.concurrentTransactions .available).',
  ),
  mongod(
    'mongod_ticket_queue_length',
    'count',
    'Ticket queue length',
    ['op'],
    'MongoDB 8.0+: operations waiting for an execution ticket (queues.execution.*.normalPriority.queueLength).',
  ),
  mongod('mongod_connections', 'count', 'Connections', ['state'], 'connections.current and connections.available.'),
  mongod(
    'mongod_opcounter_rate',
    'ops/s',
    'Operations',
    ['op'],
    'Operations per second by type: Δopcounters.{insert,query,update,delete,getmore,command} / Δuptime.',
  ),
  mongod(
    'mongod_repl_lag_seconds',
    'seconds',
    'Replication lag',
    ['member'],
    "How far each secondary's optime is behind the primary's (replSetGetStatus optimeDate), in seconds.",
  ),
  replset('replset_voters', 'count', 'Voters', 'Voting members V = Σ votes (replSetGetConfig; votes default 1).'),
  replset('replset_majority', 'count', 'Majority', 'Votes needed to elect a primary: M = ⌊V/2⌋ + 1.'),
  replset(
    'replset_fault_tolerance',
    'count',
    'Designed fault tolerance',
    'Voting members the set can lose and still elect a primary: V − M (3 → 1, 4 → 1, 5 → 2).',
  ),
  replset(
    'replset_live_fault_tolerance',
    'count',
    'Live fault tolerance',
    'Votes of healthy members in voting states (PRIMARY, SECONDARY, RECOVERING, STARTUP2, ARBITER, ROLLBACK) minus M: how many more can fail now. Below 0 no primary can be elected.',
  ),
  replset(
    'replset_write_fault_tolerance',
    'count',
    'Majority-write fault tolerance',
    'Healthy data-bearing voters minus the write majority (the smaller of M and the number of data-bearing voters, as writableVotingMembersCount − writeMajorityCount): arbiters never acknowledge writes, so 3 members + 1 arbiter survive 0.',
  ),
  replset('replset_has_primary', 'boolean', 'Has primary', '1 when a member is PRIMARY.'),
  replset(
    'replset_design_risk',
    'boolean',
    'Design risk',
    '1 when the configuration itself is weak, whatever is up: an even number of voters (the extra vote adds no tolerance), or majority writes that survive no failure (designed data-bearing voters − write majority < 1, e.g. 3 members + 1 arbiter).',
  ),
  replset(
    'replset_can_elect_primary',
    'boolean',
    'Can elect a primary',
    '1 when the healthy votes reach the majority and a healthy electable (priority > 0, data-bearing) member exists.',
  ),
  {
    name: 'agent_buffer_batches',
    unit: 'batches',
    kind: 'gauge',
    labels: [],
    domain: 'agent',
    title: 'Unacknowledged batches',
    help: 'Batches the agent holds that the server has not acknowledged yet; grows while the server is unreachable.',
  },
  {
    name: 'agent_buffer_dropped_total',
    unit: 'batches',
    kind: 'counter',
    labels: [],
    domain: 'agent',
    title: 'Batches dropped',
    help: 'Batches the agent dropped, oldest first, because its buffer was full during an outage longer than it covers.',
  },
  {
    name: 'agent_collect_ms',
    unit: 'ms',
    kind: 'gauge',
    labels: [],
    domain: 'agent',
    title: 'Collection time',
    help: 'Wall time the agent spent reading and computing one sample.',
  },
  // Engine health (serverStatus wiredTiger.cache, connections, asserts; the oplog's first and last entries).
  mongod(
    'mongod_wt_cache_used_percent',
    'percent',
    'WT cache used %',
    [],
    "100 · wiredTiger.cache 'bytes currently in the cache' / 'maximum bytes configured'. At 95 % (eviction_trigger) application threads start evicting.",
  ),
  mongod(
    'mongod_wt_cache_dirty_percent',
    'percent',
    'WT cache dirty %',
    [],
    "100 · 'tracked dirty bytes in the cache' / 'maximum bytes configured'. At 20 % (eviction_dirty_trigger) application threads evict dirty pages: writes stall.",
  ),
  mongod(
    'mongod_wt_app_evictions_per_s',
    'ops/s',
    'Evictions by app threads',
    [],
    "Rate of 'pages evicted by application threads': operations doing eviction work themselves because the eviction threads cannot keep up.",
  ),
  mongod(
    'mongod_connections_limit',
    'count',
    'Connection limit',
    [],
    'connections.current + connections.available: the limit in force (net.maxIncomingConnections, or less when the open-files ulimit is lower).',
  ),
  mongod(
    'mongod_connections_used_percent',
    'percent',
    'Connections used %',
    [],
    '100 · connections.current / (current + available). New connections are refused at 100.',
  ),
  mongod(
    'mongod_asserts_per_s',
    'ops/s',
    'Asserts',
    ['type'],
    'Rate of serverStatus asserts by type (regular: server errors; warning; msg; user: errors returned to clients such as duplicate keys; rollovers).',
  ),
  mongod(
    'mongod_oplog_window_seconds',
    'seconds',
    'Oplog window',
    [],
    "Last oplog entry's ts − first's (rs.printReplicationInfo's log length), every 10 s: how long a member may be down and still catch up without a full resync.",
  ),
  // File systems (statfs of every real mount, and of the mounts under mongod's dbPath and log directory).
  ...(
    [
      ['fs_size_bytes', 'bytes', 'Size', 'Size of the file system (statfs blocks × block size).'],
      [
        'fs_avail_bytes',
        'bytes',
        'Available',
        'Bytes available to unprivileged writers such as mongod (statfs bavail × block size; root may have more).',
      ],
      ['fs_avail_percent', 'percent', 'Available %', '100 · bavail / blocks: what is left for mongod and its log.'],
      [
        'fs_inodes_free_percent',
        'percent',
        'Inodes free %',
        '100 · ffree / files. A file system out of inodes refuses new files with space left (a rotated log, a new WiredTiger file).',
      ],
      [
        'fs_time_to_full_seconds',
        'seconds',
        'Time to full',
        'Seconds until available bytes reach 0 on a least-squares line over the last 6 hours (Prometheus predict_linear); 31536000 (a year) when not filling, or with fewer than 10 samples.',
      ],
    ] as const
  ).map(([name, unit, title, help]) => ({
    name,
    unit,
    kind: 'gauge' as const,
    labels: ['mountpoint', 'device', 'fstype'] as const,
    domain: 'filesystem' as const,
    title,
    help,
  })),
] as const satisfies readonly MetricDef[];

/** Every name in the catalogue: what an agent may emit. A name outside it fails `tsc`. */
export type MetricName = (typeof METRICS)[number]['name'];

const byName = new Map<string, MetricDef>(METRICS.map((m) => [m.name, m]));

export function metricDef(name: string): MetricDef | undefined {
  return byName.get(name);
}

/** A sample as an agent emits it: the wire's sample (shared/protocol.ts) with a name from the catalogue. */
export interface MetricSample {
  m: MetricName;
  l?: Record<string, string>;
  v: number | null;
}
