/**
 * The plan cache: per host, which window each sample of a batch goes to and
 * which alert instances the batch feeds, worked out once per agent session
 * instead of every second (at 1 s per host the lookups — metric, labels,
 * window, rule, alert id — would otherwise repeat for every sample).
 *
 * A plan is reused while the rule set is the same and the batch carries the
 * same series-table version and slots as the batch it was made for: the
 * server's session table (server/agent-frames.ts) never re-maps an index
 * within a version, so equal slots mean the same series. A batch without a
 * shape (protocol 1, tests) gets a fresh plan.
 */
import type { SeriesRef } from '../../shared/protocol.js';
import { seriesKey } from '../../shared/series-key.js';
import { alertId } from './instance.js';
import { exprMetrics, matches, type Condition, type Rule } from './rules.js';
import { conditionsOf, type HostWindows, type MetricWindows, type Window } from './windows.js';

/** Which series a batch holds, as the session's series table numbers them. */
export interface BatchShape {
  /** The session's series-table version: a new one for each session and each redefinition of the table. */
  version: number;
  /** Per sample, its index in that table. */
  slots: readonly number[];
}

/** An alert instance a batch feeds: a rule, its primary condition, one of its windows and the alert's id. */
export interface Eval {
  rule: Rule;
  primary: Condition;
  w: Window;
  id: string;
}

/** What one host's batches feed. */
export interface Plan {
  rules: readonly Rule[];
  shape: BatchShape | null;
  /** Per sample: its window and how long that keeps, or null where no rule reads the metric. */
  windows: (Window | null)[];
  keepMs: number[];
  metrics: MetricWindows[];
  evals: Eval[];
}

function sameShape(a: BatchShape | null, b: BatchShape | undefined): boolean {
  if (!a || !b || a.version !== b.version || a.slots.length !== b.slots.length) return false;
  for (let i = 0; i < a.slots.length; i++) if (a.slots[i] !== b.slots[i]) return false;
  return true;
}

export class PlanCache {
  private readonly plans = new Map<string, Plan>();
  /** Per metric the rules read, the window to keep; recomputed only when the rule set changes. */
  private windowsFor: { rules: readonly Rule[]; windowMs: Map<string, number> } | null = null;
  /** Series key of a labels object: batches decoded on the server reuse one labels object per series. */
  private readonly labelKeys = new WeakMap<object, string>();

  constructor(
    private readonly windows: HostWindows,
    /** Told the window each alert instance rests on (for staleness). */
    private readonly restsOn: (id: string, w: Window) => void,
  ) {}

  /** The plan for this batch of `host`: the cached one if it still fits, else a new one. */
  get(host: string, rules: readonly Rule[], series: readonly SeriesRef[], shape: BatchShape | undefined, now: number) {
    const plan = this.plans.get(host);
    if (plan && plan.rules === rules && sameShape(plan.shape, shape)) return plan;
    const fresh = this.build(host, rules, series, now);
    fresh.shape = shape ?? null;
    this.plans.set(host, fresh);
    return fresh;
  }

  forget(host: string): void {
    this.plans.delete(host);
  }

  private watched(rules: readonly Rule[]): Map<string, number> {
    if (this.windowsFor?.rules === rules) return this.windowsFor.windowMs;
    const windowMs = new Map<string, number>();
    const need = (metric: string, ms: number) => windowMs.set(metric, Math.max(windowMs.get(metric) ?? 0, ms + 5000));
    for (const r of rules) {
      for (const e of [r.when, r.clear]) if (e) for (const c of exprMetrics(e)) need(c.metric, c.overMs);
      if (r.absent && 'metric' in r.absent) need(r.absent.metric, 0);
    }
    this.windowsFor = { rules, windowMs };
    return windowMs;
  }

  private build(host: string, rules: readonly Rule[], series: readonly SeriesRef[], now: number): Plan {
    const watched = this.watched(rules);
    let byMetric = this.windows.get(host);
    if (!byMetric) this.windows.set(host, (byMetric = new Map<string, MetricWindows>()));
    const windows: (Window | null)[] = new Array<Window | null>(series.length).fill(null);
    const keepMs: number[] = new Array<number>(series.length).fill(0);
    const metrics = new Set<MetricWindows>();
    const fed = new Set<string>();
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const keep = watched.get(s.m);
      if (keep === undefined) continue;
      fed.add(s.m);
      let m = byMetric.get(s.m);
      if (!m) byMetric.set(s.m, (m = { lastSeen: now, series: new Map() }));
      metrics.add(m);
      const key = this.labelKey(s.l);
      let w = m.series.get(key);
      if (!w) {
        const labels = { ...(s.l ?? {}) };
        m.series.set(key, (w = { labels, entries: Object.entries(labels), ts: [], values: [], lastAt: now }));
      }
      windows[i] = w;
      keepMs[i] = keep;
    }
    const evals = this.evals(host, rules, byMetric, fed);
    return { rules, shape: null, windows, keepMs, metrics: [...metrics], evals };
  }

  /** The alert instances of rules whose conditions read a metric the batch carries. */
  private evals(host: string, rules: readonly Rule[], byMetric: Map<string, MetricWindows>, fed: Set<string>): Eval[] {
    const evals: Eval[] = [];
    for (const rule of rules) {
      if (!rule.when) continue;
      const conds = conditionsOf(rule.when);
      if (!conds.some((c) => fed.has(c.metric))) continue;
      const primary = conds[0]!;
      for (const w of byMetric.get(primary.metric)?.series.values() ?? []) {
        if (!matches(primary.matchers, w.labels)) continue;
        let id = (w.alertIds ??= new Map<string, string>()).get(rule.name);
        if (id === undefined) w.alertIds.set(rule.name, (id = alertId(rule.name, host, w.labels)));
        this.restsOn(id, w);
        evals.push({ rule, primary, w, id });
      }
    }
    return evals;
  }

  private labelKey(labels: Record<string, string> | undefined): string {
    if (!labels) return '';
    let key = this.labelKeys.get(labels);
    if (key === undefined) this.labelKeys.set(labels, (key = seriesKey('', labels)));
    return key;
  }
}
