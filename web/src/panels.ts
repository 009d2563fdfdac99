/** The charts of the host view: which metrics, which lines, in which unit. Titles and units come from the catalogue where one metric is drawn. */
import { METRICS, type MetricDef } from '../../shared/catalogue.js';

export interface SeriesSpec {
  metric: string;
  /** Only samples with these labels. */
  only?: Record<string, string>;
  /** The label whose value names a line (device, array, op). */
  labelKey?: string;
  /** A fixed name (a stack's layers), or a suffix after the label value. */
  name?: string;
  /** Multiplies each value (kB/s to MB/s). */
  scale?: number;
}

export interface PanelSpec {
  id: string;
  title: string;
  unit: string;
  series: SeriesSpec[];
  stacked?: boolean;
  maxY?: number;
  /** Draw `used` as a percentage of used + free (connections of their limit). */
  ratio?: { used: SeriesSpec; free: SeriesSpec };
}

const UNIT_TEXT: Record<string, string> = { percent: '%' };
const byName = new Map<string, MetricDef>(METRICS.map((m) => [m.name, m]));

export function unitOf(metric: string): string {
  const unit = byName.get(metric)?.unit ?? '';
  return UNIT_TEXT[unit] ?? unit;
}

/** A panel of one catalogue metric, a line per value of `labelKey`. */
function one(metric: string, labelKey?: string, only?: Record<string, string>): PanelSpec {
  const def = byName.get(metric);
  return { id: metric, title: def?.title ?? metric, unit: unitOf(metric), series: [{ metric, labelKey, only }] };
}

const CPU_ALL = { cpu: 'all' };
const KIB_TO_MIB = 1 / 1024;

export const HOST_PANELS: PanelSpec[] = [
  {
    id: 'cpu',
    title: 'CPU (host-wide)',
    unit: '%',
    stacked: true,
    maxY: 100,
    series: [
      { metric: 'cpu_user_percent', only: CPU_ALL, name: 'user' },
      { metric: 'cpu_system_percent', only: CPU_ALL, name: 'system' },
      { metric: 'cpu_iowait_percent', only: CPU_ALL, name: 'iowait' },
      { metric: 'cpu_steal_percent', only: CPU_ALL, name: 'steal' },
    ],
  },
  one('io_pressure_avg10_percent', 'kind'),
  {
    id: 'disk_throughput',
    title: 'Disk throughput',
    unit: 'MB/s',
    series: [
      { metric: 'disk_rkb_per_s', labelKey: 'device', name: 'read', scale: KIB_TO_MIB },
      { metric: 'disk_wkb_per_s', labelKey: 'device', name: 'write', scale: KIB_TO_MIB },
    ],
  },
  one('disk_util_percent', 'device'),
  one('disk_aqu_sz', 'device'),
  one('disk_r_per_s', 'device'),
  one('disk_w_per_s', 'device'),
  one('disk_r_await_ms', 'device'),
  one('disk_w_await_ms', 'device'),
  one('disk_in_flight', 'device'),
];

/** Array and member queue depth, shown when the host has md arrays. */
export const RAID_PANELS: PanelSpec[] = [one('raid_array_aqu_sz', 'array'), one('raid_members_aqu_sz_max', 'array')];

/** mongod charts, shown when the host reports a mongod. */
export const MONGOD_PANELS: PanelSpec[] = [
  one('mongod_lock_percent', 'kind'),
  one('mongod_queued', 'op'),
  one('mongod_tickets_util_percent', 'op'),
  {
    id: 'mongod_connections',
    title: 'Connections used of the limit',
    unit: '%',
    maxY: 100,
    series: [],
    ratio: {
      used: { metric: 'mongod_connections', only: { state: 'current' }, name: 'used' },
      free: { metric: 'mongod_connections', only: { state: 'available' } },
    },
  },
  one('mongod_opcounter_rate', 'op'),
];
