/**
 * Running aggregates of a ring (ring.ts): for one range a rule reads of it,
 * the count, exact sum (exact-sum.ts), oldest and newest non-null sample and,
 * where a rule asks, the minimum and maximum (monotonic deques) of the samples
 * within that range of the ring's newest. The slab keeps them up to date as
 * samples arrive: a sample entering costs O(1), one leaving O(1) amortised,
 * so a rule's avg, min, max or rate over 5 minutes costs the same as over
 * 1 second. The results equal a one-pass recomputation over the ring exactly
 * (the sum is exact, not compensated), so there is nothing to drift.
 *
 * Samples are named by sequence number (the ring's count of samples appended
 * before them), which survives the ring's wrapping, growth and compaction.
 */
import { ExactSum, tame } from './exact-sum.js';
import type { Fn } from './rules.js';
import type { Slab } from './ring.js';

/** A range some rule reads of a series with avg, min, max or rate, and whether any reads its min or max. */
export interface Span {
  overMs: number;
  extremes: boolean;
}

/**
 * The minimum (or maximum) of a sliding range: (seq, value) pairs from `head`
 * to `tail` whose values only rise (or fall) front to back. The array only
 * grows; what is in use moves back to its start once the front has passed half of it.
 */
class Extreme {
  private readonly q: number[] = [];
  private head = 0;
  private tail = 0;

  constructor(private readonly wantMin: boolean) {}

  push(seq: number, v: number): void {
    const q = this.q;
    // A value no better than the newest can never be the extreme again while the newest is in range.
    while (this.tail > this.head && (this.wantMin ? q[this.tail - 1]! >= v : q[this.tail - 1]! <= v)) this.tail -= 2;
    if (this.tail === q.length) q.push(seq, v);
    else {
      q[this.tail] = seq;
      q[this.tail + 1] = v;
    }
    this.tail += 2;
  }

  /** Forgets the samples before `lo`. */
  evict(lo: number): void {
    const q = this.q;
    while (this.head < this.tail && q[this.head]! < lo) this.head += 2;
    if (this.head === this.tail) this.head = this.tail = 0;
    else if (this.head >= 64 && this.head * 2 >= this.tail) {
      q.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }

  get value(): number {
    return this.q[this.head + 1]!;
  }
}

export class RunningWindow {
  /** Sequence numbers: the range holds the samples from `lo` up to (not including) `hi`. */
  private lo = 0;
  private hi = 0;
  /** Non-null samples in range, and those of them too large to sum exactly (see exact-sum.ts). */
  private n = 0;
  private wild = 0;
  private readonly sum = new ExactSum();
  /** Sequence numbers of the oldest and newest non-null samples in range, -1 when none. */
  private firstValid = -1;
  private lastValid = -1;
  private readonly min: Extreme | null;
  private readonly max: Extreme | null;

  constructor(
    private readonly slab: Slab,
    private readonly ring: number,
    readonly overMs: number,
    readonly extremes: boolean,
  ) {
    this.min = extremes ? new Extreme(true) : null;
    this.max = extremes ? new Extreme(false) : null;
    this.fill();
  }

  /** Takes in what the ring holds within range of its newest (a window made for a rule added later). */
  private fill(): void {
    const { slab, ring } = this;
    const len = slab.len(ring);
    this.lo = this.hi = slab.total(ring) - len;
    if (len === 0) return;
    const from = slab.tsAt(ring, len - 1) - this.overMs;
    for (let i = 0; i < len; i++) {
      const t = slab.tsAt(ring, i);
      if (t < from) this.lo = this.hi = this.hi + 1;
      else this.push(t, slab.valueAt(ring, i));
    }
  }

  /** Called by the ring before a sample at `ts` arrives, while it still holds those the new one pushes out. */
  evict(ts: number): void {
    const { slab, ring } = this;
    const from = ts - this.overMs;
    const base = slab.total(ring) - slab.len(ring);
    let lo = this.lo;
    while (lo < this.hi && slab.tsAt(ring, lo - base) < from) {
      const v = slab.valueAt(ring, lo - base);
      if (!Number.isNaN(v)) this.drop(lo, v, base);
      lo++;
    }
    this.lo = lo;
    this.min?.evict(lo);
    this.max?.evict(lo);
  }

  private drop(seq: number, v: number, base: number): void {
    this.n--;
    if (tame(v)) this.sum.add(-v);
    else this.wild--;
    if (seq !== this.firstValid) return;
    if (this.n === 0) {
      this.firstValid = this.lastValid = -1;
      return;
    }
    // The next non-null one: the scan never passes a sample twice, as firstValid only moves forward.
    let s = seq + 1;
    while (Number.isNaN(this.slab.valueAt(this.ring, s - base))) s++;
    this.firstValid = s;
  }

  /** Called by the ring after a sample (ts, v) arrived; NaN is a null. */
  push(_ts: number, v: number): void {
    const seq = this.hi++;
    if (Number.isNaN(v)) return;
    this.n++;
    if (tame(v)) this.sum.add(v);
    else this.wild++;
    if (this.firstValid < 0) this.firstValid = seq;
    this.lastValid = seq;
    this.min?.push(seq, v);
    this.max?.push(seq, v);
  }

  /**
   * `fn` over the range ending at the ring's newest sample; null where it has
   * no value (as valueAt), undefined where this cannot say and the ring must
   * be read (min or max not kept, or a value too large to sum exactly).
   */
  value(fn: Exclude<Fn, 'last'>): number | null | undefined {
    if (this.n === 0) return null;
    switch (fn) {
      case 'avg':
        return this.wild > 0 ? undefined : this.sum.value() / this.n;
      case 'min':
        return this.min?.value;
      case 'max':
        return this.max?.value;
      case 'rate': {
        if (this.n < 2) return null;
        const { slab, ring } = this;
        const base = slab.total(ring) - slab.len(ring);
        const a = this.firstValid - base;
        const b = this.lastValid - base;
        const dt = (slab.tsAt(ring, b) - slab.tsAt(ring, a)) / 1000;
        return dt > 0 ? (slab.valueAt(ring, b) - slab.valueAt(ring, a)) / dt : null;
      }
    }
  }
}

/**
 * Gives ring r running aggregates for exactly `spans`: those it already has
 * for a range stay (they are current), the rest are made from what it holds.
 * Every span must be within the range the ring keeps.
 */
export function runOn(slab: Slab, r: number, spans: readonly Span[]): void {
  const had = slab.running[r] ?? null;
  const next = spans.map(
    (s) =>
      had?.find((o) => o.overMs === s.overMs && (o.extremes || !s.extremes)) ??
      new RunningWindow(slab, r, s.overMs, s.extremes),
  );
  slab.running[r] = next.length > 0 ? next : null;
}
