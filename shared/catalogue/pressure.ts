import { gaugesOf, type MetricDef } from './types.js';

const gauge = gaugesOf('pressure', ['kind']);
const pressure = <N extends string>(name: N, title: string, help: string) => gauge(name, 'percent', title, help);

/** One of the running averages /proc/pressure/io prints, over `window` seconds. */
const average = <N extends string>(name: N, window: number, help = `As avg10, over ${window} s.`) =>
  pressure(name, `I/O pressure avg${window}`, help);

/** I/O pressure stall information from /proc/pressure/io. */
export const PRESSURE_METRICS = [
  average(
    'io_pressure_avg10_percent',
    10,
    'Share of the last 10 s in which some (kind="some") or all non-idle (kind="full") tasks were stalled on I/O (/proc/pressure/io). Absent on kernels without PSI.',
  ),
  average('io_pressure_avg60_percent', 60),
  average('io_pressure_avg300_percent', 300),
  pressure(
    'io_pressure_stall_percent',
    'I/O stall',
    'Stall time over the last interval from the rate of total: 100 * Δtotal µs / Δt µs.',
  ),
] as const satisfies readonly MetricDef[];
