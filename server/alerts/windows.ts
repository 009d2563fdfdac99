import { exprMetrics, type Condition, type Expr, type Fn } from './rules.js';
import { CAP, IDX, OFF, START, type Slab } from './ring.js';
import { ExactSum, tame } from './exact-sum.js';

/** A ring of samples in a host's slab (ring.ts). */
export interface RingRef {
  readonly slab: Slab;
  readonly ring: number;
}

/** One series' recent samples on the server, as the rules read them (kept only for series some rule selects). */
export class Window implements RingRef {
  /**
   * The alerts open (pending or firing) on this window, as rule name and id
   * in turn; null when none, as for nearly every window. An id (a hash) is
   * made when its alert opens, not kept for every rule and window.
   */
  open: string[] | null = null;
  readonly ring: number;

  constructor(
    readonly labels: Record<string, string>,
    readonly slab: Slab,
    capacity: number,
    keepMs: number,
    now: number,
  ) {
    this.ring = slab.add(capacity, keepMs, now);
  }

  /** Server time the newest known (non-null) sample arrived, for staleness: a null is no news. */
  get lastAt(): number {
    return this.slab.lastAt(this.ring);
  }

  /** The id of `rule`'s alert open on this window, if there is one. */
  openId(rule: string): string | undefined {
    const ids = this.open;
    if (ids !== null) for (let i = 0; i < ids.length; i += 2) if (ids[i] === rule) return ids[i + 1];
    return undefined;
  }

  /** Notes the alert `id` of `rule` opened on this window. */
  opened(rule: string, id: string): void {
    const ids = (this.open ??= []);
    for (let i = 0; i < ids.length; i += 2) if (ids[i] === rule) return void (ids[i + 1] = id);
    ids.push(rule, id);
  }

  /** Forgets the alert `id` (it resolved or was dropped). */
  closed(id: string): void {
    const ids = this.open;
    if (ids === null) return;
    for (let i = 1; i < ids.length; i += 2)
      if (ids[i] === id) {
        ids.splice(i - 1, 2);
        break;
      }
    if (ids.length === 0) this.open = null;
  }
}

/** Conditions on other metrics join on the labels both carry (device, array, …). */
export function joins(w: Window, base: Record<string, string>): boolean {
  for (const k in w.labels) if (k in base && base[k] !== w.labels[k]) return false;
  return true;
}

/** The exact sum of the one-pass path below (one at a time: valueAt is never re-entered). */
const exact = new ExactSum();

/**
 * A condition's function of its window ending at `ts`: avg is the sum of the
 * non-null values, rounded once (exact-sum.ts), over their count; min, max;
 * rate from the oldest to the newest non-null value per second.
 */
export function valueAt({ slab, ring }: RingRef, c: Condition, ts: number): number | null {
  // The newest sample at or before ts; `last` is its value whatever its age.
  let i = slab.len(ring) - 1;
  if (c.fn !== 'last' && i >= 0 && slab.tsAt(ring, i) === ts) {
    // The window ends at the ring's newest sample (the batch just fed it): its running aggregate says.
    const v = slab.runningFor(ring, c.overMs)?.value(c.fn);
    if (v !== undefined) return v;
  }
  while (i >= 0 && slab.tsAt(ring, i) > ts) i--;
  if (i < 0) return null;
  if (c.fn === 'last') {
    const v = slab.valueAt(ring, i);
    return Number.isNaN(v) ? null : v;
  }
  return scan(slab, ring, i, c.fn, ts - c.overMs);
}

/** One pass back from the i-th sample to the window's start `from`, over the non-null values. */
function scan(slab: Slab, ring: number, i: number, fn: Exclude<Fn, 'last'>, from: number): number | null {
  const { buf, idx } = slab;
  const m = ring * IDX;
  const off = idx[m + OFF]!;
  const cap = idx[m + CAP]!;
  let p = idx[m + START]! + i;
  if (p >= cap) p -= cap;
  let n = 0;
  let sum = 0;
  let wild = false;
  exact.clear();
  let min = Infinity;
  let max = -Infinity;
  let newest = 0;
  let newestTs = 0;
  let oldest = 0;
  let oldestTs = 0;
  for (; i >= 0; i--, p = p === 0 ? cap - 1 : p - 1) {
    const q = off + 2 * p;
    const t = buf[q]!;
    if (t < from) break;
    const v = buf[q + 1]!;
    if (Number.isNaN(v)) continue;
    if (n === 0) {
      newest = v;
      newestTs = t;
    }
    oldest = v;
    oldestTs = t;
    n++;
    sum += v;
    if (tame(v)) exact.add(v);
    else wild = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!n) return null;
  switch (fn) {
    case 'avg':
      // A value too large to sum exactly (or infinite): the plain sum, which says Infinity or NaN as it should.
      return (wild ? sum : exact.value()) / n;
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

/** host → metric → its windows: what the engine keeps of the series rules select. */
export type HostWindows = Map<string, Map<string, MetricWindows>>;
