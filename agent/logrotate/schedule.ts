import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CalendarError,
  cronShorthand,
  nextMatch,
  parseCronFields,
  parseOnCalendar,
  type CalendarSpec,
} from './cron.js';

/**
 * When logrotate runs next: through systemd's logrotate.timer (Debian 11+,
 * whose /etc/cron.daily/logrotate exits on systemd), anacron (cron.daily with
 * anacrontab's delay) or /etc/crontab's run-parts line. The clock is passed in.
 */
export interface RotationSchedule {
  mechanism: 'systemd-timer' | 'anacron' | 'cron';
  /** file:line of the setting that decides it. */
  source: string;
  /** Earliest start, epoch ms. */
  next: number;
  /** Latest start once accuracy and random delays are added, epoch ms. */
  latest: number;
  detail: string;
}

const JOBS = ['cron.daily', 'cron.weekly', 'cron.monthly'] as const;

function read(root: string, rel: string): string | null {
  try {
    return readFileSync(path.join(root, rel), 'utf8');
  } catch {
    return null;
  }
}

/** systemd durations: `1h`, `30min`, `45s`, `1d`, `2h 30min`, plain seconds. */
export function parseTimespan(text: string): number {
  const units: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600, d: 86400, w: 604800 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)/gi;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = re.exec(text)) !== null) {
    const unit = m[2]!.toLowerCase();
    const mult = unit === '' ? 1 : units[unit];
    if (mult === undefined) throw new CalendarError(`unknown time unit "${m[2]}"`);
    total += Number(m[1]) * mult;
    any = true;
  }
  if (!any) throw new CalendarError(`bad time span "${text}"`);
  return total * 1000;
}

/** logrotate.timer's [Timer] section: OnCalendar, AccuracySec (default 1 min), RandomizedDelaySec. */
function timerSchedule(text: string, file: string, now: Date): RotationSchedule {
  let on: { value: string; line: number } | null = null;
  let accuracy = 60_000;
  let random = 0;
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(OnCalendar|AccuracySec|RandomizedDelaySec)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) return;
    if (m[1] === 'OnCalendar') on = { value: m[2]!, line: i + 1 };
    else if (m[1] === 'AccuracySec') accuracy = parseTimespan(m[2]!);
    else random = parseTimespan(m[2]!);
  });
  const cal = on as { value: string; line: number } | null;
  if (!cal) throw new CalendarError(`${file}: no OnCalendar=`);
  const next = nextMatch(parseOnCalendar(cal.value), now);
  if (!next) throw new CalendarError(`${file}:${cal.line}: OnCalendar=${cal.value} never elapses`);
  return {
    mechanism: 'systemd-timer',
    source: `${file}:${cal.line}`,
    next: next.getTime(),
    latest: next.getTime() + accuracy + random,
    detail: `logrotate.timer OnCalendar=${cal.value}`,
  };
}

/** The line of a system crontab that runs `/etc/<job>`: its time fields. */
function crontabLine(text: string, job: string): { spec: CalendarSpec; line: number } | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#') || /^\w+\s*=/.test(raw) || !raw.includes(`/etc/${job}`)) continue;
    const f = raw.split(/\s+/);
    const spec = f[0]!.startsWith('@') ? cronShorthand(f[0]!) : parseCronFields(f.slice(0, 5));
    if (spec) return { spec, line: i + 1 };
  }
  return null;
}

function cronSchedule(text: string, file: string, job: string, now: Date): RotationSchedule | null {
  const l = crontabLine(text, job);
  const next = l && nextMatch(l.spec, now);
  if (!l || !next) return null;
  return {
    mechanism: 'cron',
    source: `${file}:${l.line}`,
    next: next.getTime(),
    latest: next.getTime(),
    detail: `cron runs /etc/${job}`,
  };
}

const PERIODS: Record<string, number> = { '@daily': 1, '@weekly': 7, '@monthly': 30, '@yearly': 365 };

export interface AnacronInput {
  anacrontab: string;
  file: string;
  job: string;
  /** The job's timestamp file (/var/spool/anacron/<job>): YYYYMMDD of its last run; null when it never ran. */
  lastRun: string | null;
  /** When anacron itself is started (cron.d/anacron or anacron.timer). */
  invocation: CalendarSpec;
  now: Date;
}

/** The job runs at the first anacron start on or after the day it is due, within START_HOURS_RANGE, after its delay. */
export function anacronSchedule(a: AnacronInput): RotationSchedule | null {
  let start = 0;
  let stop = 24;
  let randomMin = 0;
  const lines = a.anacrontab.split('\n');
  let hit: { period: number; delay: number; line: number } | null = null;
  lines.forEach((raw, i) => {
    const t = raw.trim();
    const env = /^(\w+)\s*=\s*(.*)$/.exec(t);
    if (env) {
      if (env[1] === 'START_HOURS_RANGE') [start, stop] = env[2]!.split('-').map(Number) as [number, number];
      if (env[1] === 'RANDOM_DELAY') randomMin = Number(env[2]);
      return;
    }
    const f = t.split(/\s+/);
    if (hit || t.startsWith('#') || f[2] !== a.job) return;
    const period = PERIODS[f[0]!] ?? Number(f[0]);
    hit = { period, delay: Number(f[1]), line: i + 1 };
  });
  const job = hit as { period: number; delay: number; line: number } | null;
  if (!job || !Number.isFinite(job.period) || !Number.isFinite(job.delay)) return null;
  // due at local midnight `period` days after the last run's day; never run: due now
  const m = a.lastRun ? /^(\d{4})(\d{2})(\d{2})/.exec(a.lastRun.trim()) : null;
  const due = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + job.period).getTime() : 0;
  let t = new Date(Math.max(a.now.getTime(), due - 60_000));
  for (let i = 0; i < 10_000; i++) {
    const inv = nextMatch(a.invocation, t);
    if (!inv) return null;
    if (inv.getHours() >= start && inv.getHours() < stop) {
      const next = inv.getTime() + job.delay * 60_000;
      return {
        mechanism: 'anacron',
        source: `${a.file}:${job.line}`,
        next,
        latest: next + randomMin * 60_000,
        detail: `anacron runs ${a.job} ${job.delay} min after it starts${randomMin ? ` (plus up to ${randomMin} min RANDOM_DELAY)` : ''}`,
      };
    }
    t = inv;
  }
  return null;
}

/** How anacron is started: /etc/cron.d/anacron's line, else anacron.timer, else hourly. */
function anacronInvocation(root: string): CalendarSpec {
  const cronD = read(root, 'etc/cron.d/anacron');
  const line = cronD?.split('\n').find((l) => /^\s*[\d*@]/.test(l) && l.includes('anacron'));
  if (line) {
    const f = line.trim().split(/\s+/);
    return (f[0]!.startsWith('@') ? cronShorthand(f[0]!) : null) ?? parseCronFields(f.slice(0, 5));
  }
  for (const dir of ['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system']) {
    const timer = read(root, `${dir}/anacron.timer`);
    const on = timer && /^\s*OnCalendar\s*=\s*(.+?)\s*$/m.exec(timer);
    if (on) return parseOnCalendar(on[1]!);
  }
  return parseOnCalendar('hourly');
}

/** The next logrotate run on the host under `root`; null when nothing schedules it. */
export function logrotateSchedule(root: string, now: Date): RotationSchedule | null {
  const systemd = existsSync(path.join(root, 'run/systemd/system'));
  for (const dir of ['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system']) {
    const timer = read(root, `${dir}/logrotate.timer`);
    if (timer !== null && systemd) return timerSchedule(timer, `/${dir}/logrotate.timer`, now);
  }
  const job = JOBS.find((j) => existsSync(path.join(root, 'etc', j, 'logrotate')));
  if (!job) return null;
  const anacrontab = read(root, 'etc/anacrontab');
  if (anacrontab !== null && existsSync(path.join(root, 'usr/sbin/anacron'))) {
    const s = anacronSchedule({
      anacrontab,
      file: '/etc/anacrontab',
      job,
      lastRun: read(root, `var/spool/anacron/${job}`),
      invocation: anacronInvocation(root),
      now,
    });
    if (s) return s;
  }
  const crontab = read(root, 'etc/crontab');
  return crontab === null ? null : cronSchedule(crontab, '/etc/crontab', job, now);
}

/** "03:00, in 5 h 12 min" in local time. */
export function describeNext(s: RotationSchedule, now: Date): string {
  const at = new Date(s.next);
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  const mins = Math.max(0, Math.round((s.next - now.getTime()) / 60_000));
  const days = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const parts = [days ? `${days} d` : '', h ? `${h} h` : '', `${mins % 60} min`].filter(Boolean);
  const spread = s.latest > s.next ? ` (up to ${Math.round((s.latest - s.next) / 60_000)} min later)` : '';
  return `next rotation ${hhmm}${days ? ` on ${at.toDateString()}` : ''}, in ${parts.join(' ')}${spread}`;
}
