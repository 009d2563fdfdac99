/**
 * The metric catalogue: the one place where a metric's name, unit, help text,
 * labels and kind are written down. Agent, server, dashboard, docs and
 * `/metrics` all read it, so a name is never spelled twice.
 */

export type MetricKind = 'gauge' | 'counter';

export type Unit = 'percent' | 'ops/s' | 'kB/s' | 'ms' | 'requests' | 'batches' | 'seconds';

export interface MetricDef {
  name: string;
  unit: Unit;
  kind: MetricKind;
  /** Labels every sample of this metric carries, besides `host` (added by the server). */
  labels: readonly string[];
  help: string;
  /** Short human title for charts and tables. */
  title: string;
  domain: 'cpu' | 'disk' | 'agent';
}

const cpuLabels = ['cpu'] as const;
const diskLabels = ['device'] as const;

function cpuPercent(name: string, field: string, extra = ''): MetricDef {
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
] as const satisfies readonly MetricDef[];

export type MetricName = (typeof METRICS)[number]['name'];

const byName = new Map<string, MetricDef>(METRICS.map((m) => [m.name, m]));

export function metricDef(name: string): MetricDef | undefined {
  return byName.get(name);
}

/** The unit as a chart title or table header shows it. */
export function unitSuffix(unit: Unit): string {
  switch (unit) {
    case 'percent':
      return '%';
    case 'requests':
      return 'req';
    default:
      return unit;
  }
}
