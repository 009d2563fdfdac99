/**
 * Figures for people: rounded to three significant digits, with the metric's
 * unit (`24.1 ms`, `87 %`, `3 disks`), and the dashboard link of an alert.
 */
import { metricDef, type Unit } from '../../shared/catalogue.js';
import type { ResolvedBy } from './notify.js';

const SUFFIX: Partial<Record<Unit, string>> = {
  percent: ' %',
  'ops/s': ' ops/s',
  'kB/s': ' kB/s',
  ms: ' ms',
  µs: ' µs',
  seconds: ' s',
  requests: ' requests',
  disks: ' disk(s)',
  batches: ' batches',
};

/** 5.276006011731706 → "5.28"; 1234.5 → "1235"; 0.000123 → "0.000123"; integers stay whole. */
export function roundForPeople(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 100) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

/** A value with the unit of its metric; "no data" for null. */
export function figure(v: number | null, metric: string | null): string {
  if (v === null) return 'no data';
  const unit = metric ? metricDef(metric)?.unit : undefined;
  if (unit === 'boolean') return v ? 'yes' : 'no';
  return `${roundForPeople(v)}${(unit && SUFFIX[unit]) ?? ''}`;
}

/**
 * The dashboard at the alert's host and time: `BASE/?from=T-15m&to=T#host`
 * (the dashboard opens the host named after #; from/to are epoch ms).
 */
export function dashboardLink(base: string | null, host: string, at: number): string | null {
  if (!base) return null;
  const from = at - 15 * 60_000;
  const to = at + 5 * 60_000;
  return `${base.replace(/\/+$/, '')}/?from=${from}&to=${to}#${encodeURIComponent(host)}`;
}

/** A span for people, as the logrotate schedule says it: "5 h 12 min", "1 d 7 min", "0 min". */
export function spanForPeople(ms: number): string {
  const mins = Math.max(0, Math.round(ms / 60_000));
  const days = Math.floor(mins / 1440);
  const hours = Math.floor((mins % 1440) / 60);
  return [days ? `${days} d` : '', hours ? `${hours} h` : '', `${mins % 60} min`].filter(Boolean).join(' ');
}

/** "03:00": the hour and minute in the server's local time (the dashboard shows the schedule the same way). */
export function clockForPeople(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Why an alert closed when its condition did not clear: these words never say it did. */
const CLOSED: Record<Exclude<ResolvedBy, 'condition'>, string> = {
  stale: 'No longer known (no data)',
  retired: 'Host retired',
  'rule-removed': 'Rule removed',
};

/** A resolve's summary: the rule's `resolved` text (else "Resolved: …") only when its condition cleared. */
export function resolveSummary(summary: string, resolved: string | null, why: ResolvedBy): string {
  return why === 'condition' ? (resolved ?? `Resolved: ${summary}`) : `${CLOSED[why]}: ${summary}`;
}

/** A resolve's value: as a figure, or, when its data went stale, unknown and the last value known. */
export function resolveValue(text: string, why: ResolvedBy): string {
  return why === 'stale' ? `unknown (last known: ${text})` : text;
}
