/**
 * Whether a rule's expression holds for one alert instance, over the windows
 * the engine keeps: true, false or null — unknown, when the figure it needs
 * is null (an agent reports null for what it cannot know; a range with no
 * known value). `all` and `any` combine these as Kleene's three-valued logic:
 * one false makes `all` false and one true makes `any` true, whatever else is
 * unknown. Series received before `freshFrom` are stale and count for nothing
 * (see staleness.ts).
 */
import type { ResolvedBy } from './notify.js';
import { compare, matches, type Condition, type Expr, type Rule } from './rules.js';
import { joins, valueAt, type MetricWindows, type Window } from './windows.js';

/** Whether an expression holds; null: unknown. */
export type Verdict = boolean | null;

/** Unknown stays unknown. */
export function not(v: Verdict): Verdict {
  return v === null ? null : !v;
}

/**
 * How `joined` counts a series that went stale: as nothing (false: a stale
 * series keeps no alert firing), or, when the engine asks whether a resolve
 * came from the condition or from the data going stale, as unknown. `met`
 * says whether an evaluation since the last `clearedBy` met one.
 */
export const staleSeries = { asUnknown: false, met: false };

/** One host's windows by metric. */
type ByMetric = Map<string, MetricWindows> | undefined;

/**
 * Whether an expression holds for an alert instance (window `w` of the
 * rule's primary condition, whose value is already worked out). A condition
 * on the instance's own metric reads its own window — the only one of that
 * metric its labels join — reusing the value when it asks the same function
 * over the same span (a 5-minute average is one pass over 300 samples, not
 * three); anything else is a join, through `joined`.
 */
export function holds(
  e: Expr,
  w: Window,
  primary: Condition,
  primaryValue: number | null,
  host: ByMetric,
  ts: number,
  freshFrom: number,
): Verdict {
  if (e.kind !== 'threshold' || e.metric !== primary.metric) return joined(e, host, w.labels, ts, freshFrom);
  if (e !== primary && !matches(e.matchers, w.labels)) return false;
  const v = e.fn === primary.fn && e.overMs === primary.overMs ? primaryValue : valueAt(w, e, ts);
  return v === null ? null : compare(v, e.op, e.value);
}

/** Kleene's `all` (short of a false, an unknown makes it unknown) and, negated, `any`. */
function every(of: Expr[], test: (x: Expr) => Verdict, want: boolean): Verdict {
  let unknown = false;
  for (const x of of) {
    const v = test(x);
    if (v === null) unknown = true;
    else if (v !== want) return !want;
  }
  return unknown ? null : want;
}

/**
 * A condition joined on the instance's labels `base`: true if any fresh
 * series of its metric that joins satisfies it, else unknown if one of them
 * has no known value, else false.
 */
export function joined(e: Expr, host: ByMetric, base: Record<string, string>, ts: number, freshFrom: number): Verdict {
  if (e.kind !== 'threshold') return every(e.of, (x) => joined(x, host, base, ts, freshFrom), e.kind === 'all');
  const windows = host?.get(e.metric)?.series;
  if (!windows) return false;
  let unknown = false;
  for (const w of windows.values()) {
    if (!matches(e.matchers, w.labels) || !joins(w, base)) continue;
    if (w.lastAt < freshFrom) {
      staleSeries.met = true;
      if (staleSeries.asUnknown) unknown = true;
      continue;
    }
    const v = valueAt(w, e, ts);
    if (v === null) unknown = true;
    else if (compare(v, e.op, e.value)) return true;
  }
  return unknown ? null : false;
}

/**
 * Why an alert resolves whose evaluation (just made) says it clears: by its
 * condition, unless the evaluation met a stale joined series and the alert
 * does not clear with that series counted as unknown — then only counting
 * the stale series as false let it go: the data went stale.
 */
export function clearedBy(
  rule: Rule,
  w: Window,
  primary: Condition,
  value: number | null,
  host: ByMetric,
  ts: number,
  freshFrom: number,
): ResolvedBy {
  if (!staleSeries.met) return 'condition';
  staleSeries.asUnknown = true;
  try {
    const ok = holds(rule.when!, w, primary, value, host, ts, freshFrom);
    const clears = rule.clear ? holds(rule.clear, w, primary, value, host, ts, freshFrom) : not(ok);
    return clears === true ? 'condition' : 'stale';
  } finally {
    // `met` is only a shortcut: one left over from an earlier evaluation costs this pass again, never a wrong answer.
    staleSeries.asUnknown = staleSeries.met = false;
  }
}
