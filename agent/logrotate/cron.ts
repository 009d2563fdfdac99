/**
 * The calendar parts of cron and systemd timers: a five-field cron line and an
 * OnCalendar expression as sets of minutes, hours, days, months and
 * weekdays, and the next matching minute in local time.
 */

export interface CalendarSpec {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  /** 0 = Sunday … 6 = Saturday. */
  dow: Set<number>;
  /** cron: when both day fields are restricted a day matches either (man 5 crontab). */
  domOrDow: boolean;
}

export class CalendarError extends Error {}

const DOW_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function range(lo: number, hi: number, step = 1): number[] {
  const out: number[] = [];
  for (let i = lo; i <= hi; i += step) out.push(i);
  return out;
}

/** One cron field: `*`, `5`, `1-5`, `*\/15`, `1,15`, names for months and weekdays. */
function cronField(text: string, lo: number, hi: number, names: string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (s: string) => {
    const i = names.indexOf(s.toLowerCase().slice(0, 3));
    const n = i >= 0 ? i + nameBase : Number(s);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new CalendarError(`"${s}" is not within ${lo}-${hi}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [base, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CalendarError(`bad step in "${part}"`);
    let from: number;
    let to: number;
    if (base === '*') [from, to] = [lo, hi];
    else if (base!.includes('-')) {
      const [a, b] = base!.split('-');
      [from, to] = [value(a!), value(b!)];
    } else [from, to] = [value(base!), stepText === undefined ? value(base!) : hi];
    for (const n of range(from, to, step)) out.add(n);
  }
  return out;
}

/** The five time fields of a crontab line. */
export function parseCronFields(fields: readonly string[]): CalendarSpec {
  if (fields.length !== 5) throw new CalendarError(`expected 5 time fields, got ${fields.length}`);
  const [mi, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const dowSet = cronField(dow, 0, 7, DOW_NAMES);
  if (dowSet.delete(7)) dowSet.add(0); // 7 is Sunday too
  return {
    minute: cronField(mi, 0, 59),
    hour: cronField(h, 0, 23),
    dom: cronField(dom, 1, 31),
    month: cronField(mon, 1, 12, MONTH_NAMES, 1),
    dow: dowSet,
    domOrDow: dom !== '*' && dow !== '*',
  };
}

/** `@daily` and friends of crontab. */
export function cronShorthand(word: string): CalendarSpec | null {
  const map: Record<string, string> = {
    '@hourly': '0 * * * *',
    '@daily': '0 0 * * *',
    '@midnight': '0 0 * * *',
    '@weekly': '0 0 * * 0',
    '@monthly': '0 0 1 * *',
    '@yearly': '0 0 1 1 *',
    '@annually': '0 0 1 1 *',
  };
  const f = map[word];
  return f ? parseCronFields(f.split(' ')) : null;
}

/** systemd's `07..23` and `1,15` and `*` in one OnCalendar component. */
function calField(text: string, lo: number, hi: number): Set<number> {
  if (text === '*') return new Set(range(lo, hi));
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [base, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [a, b] = base!.includes('..') ? base!.split('..') : [base!, stepText === undefined ? base! : String(hi)];
    const from = Number(a);
    const to = Number(b);
    if (![from, to, step].every(Number.isInteger) || from < lo || to > hi || step < 1)
      throw new CalendarError(`"${part}" is not within ${lo}..${hi}`);
    for (const n of range(from, to, step)) out.add(n);
  }
  return out;
}

/**
 * An OnCalendar expression (systemd.time(7)) in the forms timers use:
 * minutely, hourly, daily, weekly, monthly, yearly, or `[Dow[,Dow|..Dow]]
 * *-MM-DD HH:MM[:SS]`. Seconds are taken as 0; years must be `*`.
 */
export function parseOnCalendar(expr: string): CalendarSpec {
  const short: Record<string, string> = {
    minutely: '*-*-* *:*:00',
    hourly: '*-*-* *:00:00',
    daily: '*-*-* 00:00:00',
    weekly: 'Mon *-*-* 00:00:00',
    monthly: '*-*-01 00:00:00',
    yearly: '*-01-01 00:00:00',
    annually: '*-01-01 00:00:00',
  };
  const text = short[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/);
  let dow = new Set(range(0, 6));
  if (parts.length === 3 || (parts.length === 2 && !parts[0]!.includes('-'))) {
    dow = new Set();
    for (const p of parts.shift()!.split(',')) {
      const [a, b] = p.split('..').map((d) => DOW_NAMES.indexOf(d.toLowerCase().slice(0, 3)));
      if (a === undefined || a < 0 || (b !== undefined && b < 0)) throw new CalendarError(`bad weekday "${p}"`);
      for (const d of range(a, b ?? a)) dow.add(d);
    }
  }
  const [date, time] = parts.length === 2 ? parts : ['*-*-*', parts[0]!];
  const [y, mo, d] = date!.split('-');
  if (y !== '*' || mo === undefined || d === undefined) throw new CalendarError(`unsupported date "${date}"`);
  const [h, mi] = (time ?? '').split(':');
  if (h === undefined || mi === undefined) throw new CalendarError(`bad time "${time}"`);
  return {
    minute: calField(mi, 0, 59),
    hour: calField(h, 0, 23),
    dom: calField(d, 1, 31),
    month: calField(mo, 1, 12),
    dow,
    domOrDow: false,
  };
}

function dayMatches(s: CalendarSpec, t: Date): boolean {
  if (!s.month.has(t.getMonth() + 1)) return false;
  const dom = s.dom.has(t.getDate());
  const dow = s.dow.has(t.getDay());
  return s.domOrDow ? dom || dow : dom && dow;
}

/** The first whole minute strictly after `after` that the spec matches (local time); null if none within 5 years. */
export function nextMatch(s: CalendarSpec, after: Date): Date | null {
  const t = new Date(after.getTime());
  t.setSeconds(0, 0);
  t.setMinutes(t.getMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!dayMatches(s, t)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hour.has(t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0, 0);
      continue;
    }
    if (s.minute.has(t.getMinutes())) return t;
    t.setMinutes(t.getMinutes() + 1);
  }
  return null;
}
