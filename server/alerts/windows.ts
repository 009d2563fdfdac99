import { exprMetrics, type Condition, type Expr } from './rules.js';

/** One series' recent samples on the server, as the rules read them. */
export interface Window {
  labels: Record<string, string>;
  /** The labels' entries, for joining conditions on shared labels without Object.keys per check. */
  entries: [string, string][];
  ts: number[];
  /** NaN for null, so the array holds unboxed doubles. */
  values: number[];
  /** Alert ids by rule name for this host and label set: hashing is too dear to repeat every second. */
  alertIds?: Map<string, string>;
  /** Server time the newest sample arrived, for staleness. */
  lastAt: number;
}

/** Conditions on other metrics join on the labels both carry (device, array, …). */
export function joins(w: Window, base: Record<string, string>): boolean {
  for (const [k, v] of w.entries) if (k in base && base[k] !== v) return false;
  return true;
}

/** A condition's function of its window ending at `ts`. */
export function valueAt(w: Pick<Window, 'ts' | 'values'>, c: Condition, ts: number): number | null {
  // The newest sample at or before ts; `last` is its value whatever its age.
  let i = w.ts.length - 1;
  while (i >= 0 && w.ts[i]! > ts) i--;
  if (i < 0) return null;
  if (c.fn === 'last') {
    const v = w.values[i]!;
    return Number.isNaN(v) ? null : v;
  }
  // One pass back to the start of the window, over the non-null values.
  const from = ts - c.overMs;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let newest = 0;
  let newestTs = 0;
  let oldest = 0;
  let oldestTs = 0;
  for (; i >= 0 && w.ts[i]! >= from; i--) {
    const v = w.values[i]!;
    if (Number.isNaN(v)) continue;
    if (n === 0) {
      newest = v;
      newestTs = w.ts[i]!;
    }
    oldest = v;
    oldestTs = w.ts[i]!;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!n) return null;
  switch (c.fn) {
    case 'avg':
      return sum / n;
    case 'min':
      return min;
    case 'max':
      return max;
    case 'rate': {
      if (n < 2) return null;
      const dt = (newestTs - oldestTs) / 1000;
      return dt > 0 ? (newest - oldest) / dt : null;
    }
  }
}

/** A rule's conditions, worked out once per parsed rule (rules are replaced, never changed, on reload). */
const conditionCache = new WeakMap<Expr, Condition[]>();
export function conditionsOf(e: Expr): Condition[] {
  let c = conditionCache.get(e);
  if (!c) conditionCache.set(e, (c = exprMetrics(e)));
  return c;
}

/** A host's windows of one metric, and when that metric was last received (for absent-data rules). */
export interface MetricWindows {
  lastSeen: number;
  series: Map<string, Window>;
}

/** host → metric → its windows: what the engine keeps of the metrics rules read. */
export type HostWindows = Map<string, Map<string, MetricWindows>>;
