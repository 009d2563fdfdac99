import { gaugesOf, type MetricDef } from './types.js';

const gauge = gaugesOf('pressure', ['kind']);
const pressure = <N extends string>(name: N, title: string, help: string) => gauge(name, 'percent', title, help);

/** I/O pressure stall information from /proc/pressure/io. */
export const PRESSURE_METRICS = [
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
] as const satisfies readonly MetricDef[];
