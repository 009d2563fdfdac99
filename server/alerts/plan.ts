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
 *
 * Only series some rule's matchers select (a `when` or `clear` condition, or
 * an absent-data rule's metric) get a window, sized for the longest range a
 * matching condition reads, with a running aggregate (running.ts) for each
 * range a matching avg, min, max or rate reads; a steady batch copies just
 * those samples. A series twice in one batch is fed once, from its first
 * sample, as the store keeps the first.
 */
import type { SeriesRef } from '../../shared/protocol.js';
import { seriesKey } from '../../shared/series-key.js';
import { exprMetrics, matches, OP_CODES, type Condition, type Fn, type Matcher, type Rule } from './rules.js';
import { initialCapacity, Slab } from './ring.js';
import { runOn, type Span } from './running.js';
import { conditionsOf, Window, type HostWindows, type MetricWindows } from './windows.js';
import type { Cadence } from './staleness.js';
import type { OpenCount } from './instances.js';

/** Which series a batch holds, as the session's series table numbers them. */
export interface BatchShape {
  /** The session's series-table version: a new one for each session and each redefinition of the table. */
  version: number;
  /** Per sample, its index in that table. */
  slots: readonly number[];
}

/**
 * Per evaluation of a plan (aligned with `evals`, QUICK numbers apiece), for
 * those whose rule's whole firing condition is one `last` threshold on a
 * window the batch feeds: the batch position of that window's sample (-1 for
 * any other evaluation), the threshold's comparison (OP_CODES) and its value.
 * Contiguous, so the common case — a healthy value, nothing open — reads no
 * per-evaluation object; one array, as each typed array is ~250 bytes of heap
 * however short.
 */
export type QuickChecks = Float64Array;
export const QUICK = 3;

/** A host's records the engine keeps beside its plans, held by the plan so a batch needs no lookup by host. */
export interface HostRecords {
  cadence: Cadence;
  open: OpenCount;
}

/** What one host's batches feed. */
export interface Plan {
  rules: readonly Rule[];
  shape: BatchShape | null;
  /** The host's sample storage, and its windows by metric (the engine's, for joins). */
  slab: Slab;
  byMetric: Map<string, MetricWindows>;
  /** The batch positions of the samples that feed a window, and those windows' rings, aligned; the rest are not looked at. */
  from: Int32Array;
  rings: Int32Array;
  /** The metrics absent-data rules name that the batch carries (their `lastSeen`). */
  metrics: MetricWindows[];
  /**
   * The alert instances a batch feeds, as three aligned arrays (an object
   * apiece was ~60 bytes of every instance's heap): each one's window, its
   * rule and that rule's primary condition. An instance's id is no part of
   * it: it is made when the alert opens (the engine's `open` links, windows.ts).
   */
  evals: Window[];
  evalRules: Rule[];
  primaries: Condition[];
  quick: QuickChecks;
  records: HostRecords;
}

/** A rule's claim on a metric's series: the labels it selects, what it reads of them and how far back. */
interface Selector {
  matchers: readonly Matcher[];
  fn: Fn;
  overMs: number;
  keepMs: number;
}

/** What the selectors matching one series ask of it: how long to keep it, and its running aggregates. */
interface Claim {
  keepMs: number;
  spans: Span[];
}

/** What a rule set selects: per metric its selectors, and the metrics absent-data rules name. */
interface Selection {
  rules: readonly Rule[];
  byMetric: Map<string, Selector[]>;
  absent: Set<string>;
}

/** A series newly selected by a plan: where its window goes, and its place in the plan. */
interface NewWindow {
  m: MetricWindows;
  key: string;
  labels: Record<string, string> | undefined;
  claim: Claim;
  at: number;
}

/** Kept beyond a condition's range: slack for batches that arrive a little late or out of step. */
const SLACK_MS = 5000;
/** The labels of a series without any: one shared object, frozen (windows share what cannot change). */
const NO_LABELS: Record<string, string> = Object.freeze({});

/** A plan's evaluations (Plan.evals and the arrays aligned with it). */
type Evals = Pick<Plan, 'evals' | 'evalRules' | 'primaries'>;

/**
 * A new window's labels: the batch's own object when it is frozen (the
 * server's session entries are, and shared by every host that defines the
 * series: agent-frames.ts), so it cannot change under the window; else a copy.
 */
function ownLabels(labels: Record<string, string> | undefined): Record<string, string> {
  if (!labels) return NO_LABELS;
  return Object.isFrozen(labels) ? labels : { ...labels };
}

function sameShape(a: BatchShape | null, b: BatchShape | undefined): boolean {
  if (!a || !b || a.version !== b.version || a.slots.length !== b.slots.length) return false;
  if (a.slots === b.slots) return true; // a steady session's batches share one slots array
  for (let i = 0; i < a.slots.length; i++) if (a.slots[i] !== b.slots[i]) return false;
  return true;
}

/** What the selectors ask of a series with `labels`; keepMs 0 when none selects it. */
function claimOf(selectors: readonly Selector[], labels: Record<string, string>): Claim {
  const claim: Claim = { keepMs: 0, spans: [] };
  for (const s of selectors) {
    if (!matches(s.matchers, labels)) continue;
    claim.keepMs = Math.max(claim.keepMs, s.keepMs);
    if (s.fn === 'last') continue;
    const extremes = s.fn === 'min' || s.fn === 'max';
    const span = claim.spans.find((x) => x.overMs === s.overMs);
    if (span) span.extremes ||= extremes;
    else claim.spans.push({ overMs: s.overMs, extremes });
  }
  return claim;
}

/** The quick checks of the evaluations, whose windows' rings the batch positions `from` feed (aligned with `rings`). */
function quickChecks(evals: Evals, from: readonly number[], rings: readonly number[]): QuickChecks {
  const posOf = new Map(rings.map((r, k) => [r, from[k]!]));
  const n = evals.evals.length;
  const quick = new Float64Array(QUICK * n);
  evals.evals.forEach((w, e) => {
    const when = evals.evalRules[e]!.when;
    const pos = posOf.get(w.ring);
    quick[QUICK * e] = -1;
    if (when?.kind !== 'threshold' || when.fn !== 'last' || pos === undefined) return;
    quick[QUICK * e] = pos;
    quick[QUICK * e + 1] = OP_CODES.indexOf(when.op);
    quick[QUICK * e + 2] = when.value;
  });
  return quick;
}

export class PlanCache {
  private readonly plans = new Map<string, Plan>();
  /** Per metric the rules read, what they select of it; recomputed only when the rule set changes. */
  private selectorsFor: Selection | null = null;
  /** Series key of a labels object: batches decoded on the server reuse one labels object per series. */
  private readonly labelKeys = new WeakMap<object, string>();
  /** Each host's sample storage. */
  private readonly slabs = new Map<string, Slab>();

  constructor(
    private readonly windows: HostWindows,
    /** Told each alert instance a new plan feeds, by host, rule and window (an alert already open is linked to it). */
    private readonly restsOn: (host: string, rule: string, w: Window) => void,
    /** A host's records (its sampling interval sizes new windows). */
    private readonly records: (host: string) => HostRecords,
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
    this.slabs.delete(host);
  }

  private selectors(rules: readonly Rule[]): Selection {
    if (this.selectorsFor?.rules === rules) return this.selectorsFor;
    const byMetric = new Map<string, Selector[]>();
    const absent = new Set<string>();
    const add = (metric: string, matchers: readonly Matcher[], fn: Fn, overMs: number) => {
      let list = byMetric.get(metric);
      if (!list) byMetric.set(metric, (list = []));
      list.push({ matchers, fn, overMs, keepMs: overMs + SLACK_MS });
    };
    for (const r of rules) {
      for (const e of [r.when, r.clear])
        if (e) for (const c of exprMetrics(e)) add(c.metric, c.matchers, c.fn, c.overMs);
      if (r.absent && 'metric' in r.absent) {
        add(r.absent.metric, r.absent.matchers, 'last', 0);
        absent.add(r.absent.metric);
      }
    }
    return (this.selectorsFor = { rules, byMetric, absent });
  }

  private build(host: string, rules: readonly Rule[], series: readonly SeriesRef[], now: number): Plan {
    const { byMetric: selectors, absent } = this.selectors(rules);
    let byMetric = this.windows.get(host);
    if (!byMetric) this.windows.set(host, (byMetric = new Map<string, MetricWindows>()));
    let slab = this.slabs.get(host);
    if (!slab) this.slabs.set(host, (slab = new Slab()));
    const from: number[] = [];
    const rings: number[] = [];
    const metrics = new Set<MetricWindows>();
    const fed = new Set<string>();
    const fresh: NewWindow[] = [];
    const placed = new Set<string>();
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const claims = selectors.get(s.m);
      if (!claims) continue;
      fed.add(s.m);
      let m = byMetric.get(s.m);
      if (!m) byMetric.set(s.m, (m = { lastSeen: now, series: new Map() }));
      if (absent.has(s.m)) metrics.add(m);
      const claim = claimOf(claims, s.l ?? NO_LABELS);
      if (claim.keepMs === 0) continue; // no rule reads this series: no window, and the batch skips it
      const key = this.labelKey(s.l);
      if (placed.has(`${s.m}\u0000${key}`)) continue; // the same series again in this batch
      placed.add(`${s.m}\u0000${key}`);
      const w = m.series.get(key);
      if (w) {
        // The rule set may read more or less of it now.
        slab.setKeepMs(w.ring, claim.keepMs);
        runOn(slab, w.ring, claim.spans);
      } else fresh.push({ m, key, labels: s.l, claim, at: from.length });
      from.push(i);
      rings.push(w ? w.ring : -1);
    }
    const records = this.records(host);
    this.addWindows(slab, fresh, rings, records.cadence.intervalMs, now);
    const evals = this.evals(host, rules, byMetric, fed);
    const quick = quickChecks(evals, from, rings);
    // One literal: every plan shares its hidden class (a spread gave each plan its own, ~400 bytes apiece).
    return {
      rules,
      shape: null,
      slab,
      byMetric,
      from: Int32Array.from(from),
      rings: Int32Array.from(rings),
      metrics: [...metrics],
      evals: evals.evals,
      evalRules: evals.evalRules,
      primaries: evals.primaries,
      quick,
      records,
    };
  }

  /** Windows for the newly selected series, their rings taken from the slab at once (it grows once, exactly). */
  private addWindows(slab: Slab, fresh: NewWindow[], rings: number[], intervalMs: number, now: number): void {
    const capacity = (w: NewWindow) => initialCapacity(w.claim.keepMs, intervalMs);
    slab.reserve(fresh.reduce((n, w) => n + 2 * capacity(w), 0));
    for (const f of fresh) {
      const w = new Window(ownLabels(f.labels), slab, capacity(f), f.claim.keepMs, now);
      runOn(slab, w.ring, f.claim.spans);
      f.m.series.set(f.key, w);
      rings[f.at] = w.ring;
    }
  }

  /** The alert instances of rules whose conditions read a metric the batch carries. */
  private evals(host: string, rules: readonly Rule[], byMetric: Map<string, MetricWindows>, fed: Set<string>): Evals {
    const evals: Evals = { evals: [], evalRules: [], primaries: [] };
    for (const rule of rules) {
      if (!rule.when) continue;
      const conds = conditionsOf(rule.when);
      if (!conds.some((c) => fed.has(c.metric))) continue;
      const primary = conds[0]!;
      for (const w of byMetric.get(primary.metric)?.series.values() ?? []) {
        if (!matches(primary.matchers, w.labels)) continue;
        this.restsOn(host, rule.name, w);
        evals.evals.push(w);
        evals.evalRules.push(rule);
        evals.primaries.push(primary);
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
