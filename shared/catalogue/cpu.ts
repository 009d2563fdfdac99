import { gaugesOf, type MetricDef } from './types.js';

const gauge = gaugesOf('cpu', ['cpu']);

function cpuPercent<N extends string>(name: N, field: string, extra = ''): MetricDef<N> {
  return gauge(
    name,
    'percent',
    `CPU ${field}`,
    `Share of CPU time spent ${field} over the last interval, from /proc/stat deltas ` +
      `(100 * Δ${field} / Δtotal, total excluding guest time, which is already in user). ` +
      `cpu="all" is the host-wide line.${extra}`,
  );
}

/** CPU time shares from /proc/stat. */
export const CPU_METRICS = [
  cpuPercent(
    'cpu_iowait_percent',
    'iowait',
    ' iowait is idle time with I/O outstanding; the kernel calls it unreliable (it is not per-CPU work and drops when other work runs), so read it with disk queue depth and I/O pressure.',
  ),
  cpuPercent('cpu_user_percent', 'user', ' Includes nice and guest time.'),
  cpuPercent('cpu_system_percent', 'system', ' Includes irq and softirq time.'),
  cpuPercent('cpu_idle_percent', 'idle'),
  cpuPercent('cpu_steal_percent', 'steal', ' Time a hypervisor ran another guest while this one wanted the CPU.'),
] as const satisfies readonly MetricDef[];
