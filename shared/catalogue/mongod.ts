import type { MetricDef, MetricKind, Unit } from './types.js';

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

/** mongod: locks, queues, tickets, connections, opcounters, replication lag. */
export const MONGOD_METRICS = [
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
] as const satisfies readonly MetricDef[];

/** Engine health (serverStatus wiredTiger.cache, connections, asserts; the oplog's first and last entries). */
export const MONGOD_ENGINE_METRICS = [
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
] as const satisfies readonly MetricDef[];
