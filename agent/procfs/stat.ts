import { ParseError } from './read.js';

/** Jiffies per state of one `cpu` line of /proc/stat (proc(5)). */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

export interface ProcStat {
  /** The host-wide `cpu` line. */
  total: CpuTimes;
  /** `cpuN` lines keyed by N as a string ("0", "1", …). */
  perCpu: Map<string, CpuTimes>;
}

const FIELDS: (keyof CpuTimes)[] = [
  'user',
  'nice',
  'system',
  'idle',
  'iowait',
  'irq',
  'softirq',
  'steal',
  'guest',
  'guestNice',
];

/**
 * Parses /proc/stat. Older kernels print fewer columns (iowait from 2.5.41,
 * steal from 2.6.11, guest 2.6.24, guest_nice 2.6.33); missing ones are 0.
 */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | null = null;
  const perCpu = new Map<string, CpuTimes>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('cpu')) continue;
    const parts = line.trim().split(/\s+/);
    const label = parts[0]!;
    if (parts.length < 5)
      throw new ParseError(
        '/proc/stat',
        `line ${i + 1}: "${label}" has ${parts.length - 1} values, expected at least 4`,
      );
    const times = {} as CpuTimes;
    FIELDS.forEach((field, j) => {
      const raw = parts[j + 1];
      const value = raw === undefined ? 0 : Number(raw);
      if (!Number.isFinite(value) || value < 0) {
        throw new ParseError('/proc/stat', `line ${i + 1}: ${field} of ${label} is not a counter: "${raw}"`);
      }
      times[field] = value;
    });
    if (label === 'cpu') total = times;
    else if (/^cpu\d+$/.test(label)) perCpu.set(label.slice(3), times);
    else throw new ParseError('/proc/stat', `line ${i + 1}: unknown cpu line "${label}"`);
  }
  if (!total) throw new ParseError('/proc/stat', 'no "cpu" line');
  return { total, perCpu };
}

export interface CpuPercentages {
  user: number;
  system: number;
  idle: number;
  iowait: number;
  steal: number;
}

/**
 * Percentages of time between two readings of one cpu line. guest and
 * guest_nice are already counted in user and nice, so they are not added to
 * the total (as top and mpstat do). Returns null when no time passed or a
 * counter went backwards (CPU hot-unplugged and back), as there is no honest
 * value for that interval.
 */
export function cpuPercentages(prev: CpuTimes, cur: CpuTimes): CpuPercentages | null {
  const d = (k: keyof CpuTimes) => cur[k] - prev[k];
  const parts = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
  if (parts.some((k) => d(k) < 0)) return null;
  const total = parts.reduce((sum, k) => sum + d(k), 0);
  if (total <= 0) return null;
  const pct = (n: number) => (100 * n) / total;
  return {
    user: pct(d('user') + d('nice')),
    system: pct(d('system') + d('irq') + d('softirq')),
    idle: pct(d('idle')),
    iowait: pct(d('iowait')),
    steal: pct(d('steal')),
  };
}
