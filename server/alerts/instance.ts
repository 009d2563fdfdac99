/**
 * One alert instance and its state machine: inactive → pending (condition
 * true, `for` not yet up) → firing → resolved (the resolve condition held for
 * `keep_firing_for`). Pure: the engine applies what a step says happened.
 * An unknown evaluation (a null figure, evaluate.ts) changes nothing: an
 * inactive alert stays inactive, a pending one neither fires nor drops (the
 * next known step decides, counting `for` from when it became true: the gap
 * is at most the staleness bound, past which the engine drops it), a firing
 * one keeps firing (and its `keep_firing_for` count, if one runs, goes on).
 */
import { createHash } from 'node:crypto';
import { seriesKey } from '../../shared/series-key.js';
import { PLACEHOLDER, type Rule } from './rules.js';
import { figure, roundForPeople } from './format.js';

/** One alert: a rule for one host and label set, pending (condition true, `for` not yet up) or firing. */
export interface AlertInstance {
  id: string;
  rule: string;
  host: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  /** Sample time the condition became true. */
  activeSince: number;
  firedAt: number | null;
  value: number | null;
  /** Set while the resolve condition holds, for keep_firing_for. */
  resolvingSince: number | null;
  /** A trigger went out (false while silenced: it goes out late if the silence ends first). */
  notified: boolean;
  lastNotifiedAt: number | null;
  acked: boolean;
}

/** The alert's identity across restarts and receivers (PagerDuty dedup_key). */
export function alertId(rule: string, host: string, labels: Record<string, string>): string {
  return createHash('sha256')
    .update(`${rule}\u0000${host}\u0000${seriesKey('', labels)}`)
    .digest('hex')
    .slice(0, 32);
}

/** {{host}}, {{value}} (rounded for people), {{figure}} (rounded, with the metric's unit) and {{label}} in texts. */
export function render(
  template: string,
  host: string,
  labels: Record<string, string>,
  value: number | null,
  metric: string | null = null,
): string {
  return template.replace(PLACEHOLDER, (_m, k: string) => {
    if (k === 'host') return host;
    if (k === 'value') return value === null ? '?' : roundForPeople(value);
    if (k === 'figure') return figure(value, metric);
    return labels[k] ?? '';
  });
}

/** One evaluation of an alert instance's conditions. */
export interface StepInput {
  rule: Rule;
  id: string;
  host: string;
  labels: Record<string, string>;
  /** The firing condition holds (null: unknown). */
  ok: boolean | null;
  /** The resolve condition holds (`clear:`, else not `ok`; null: unknown). */
  resolving: boolean | null;
  ts: number;
  value: number | null;
  /** The rule's `for`, or 0 where the condition already includes it (absent rules). */
  forMs: number;
}

/** What a step did: the instance (null once gone) and the transitions the engine acts on. */
export interface StepResult {
  inst: AlertInstance | null;
  created: boolean;
  /** A pending instance whose condition no longer holds. */
  dropped: boolean;
  fire: boolean;
  resolve: boolean;
}

/** Advances `prev` (undefined: inactive) by one evaluation; updates it in place. */
export function advance(prev: AlertInstance | undefined, s: StepInput): StepResult {
  const none = { created: false, dropped: false, fire: false, resolve: false };
  let inst = prev;
  // Unknown is not false: what the instance's state reads (`ok` until it fires, then `resolving`) must be known.
  if ((inst?.state === 'firing' ? s.resolving : s.ok) === null) return { inst: inst ?? null, ...none };
  if (!inst) {
    if (!s.ok) return { inst: null, ...none };
    inst = {
      id: s.id,
      rule: s.rule.name,
      host: s.host,
      labels: s.labels,
      state: 'pending',
      activeSince: s.ts,
      firedAt: null,
      value: s.value,
      resolvingSince: null,
      notified: false,
      lastNotifiedAt: null,
      acked: false,
    };
  }
  const created = !prev;
  inst.value = s.value ?? inst.value;
  if (inst.state === 'pending') {
    if (!s.ok) return { inst: null, ...none, created, dropped: !created };
    return { inst, ...none, created, fire: s.ts - inst.activeSince >= s.forMs };
  }
  if (!s.resolving) {
    inst.resolvingSince = null;
    return { inst, ...none };
  }
  inst.resolvingSince ??= s.ts;
  return { inst, ...none, resolve: s.ts - inst.resolvingSince >= s.rule.keepFiringForMs };
}
