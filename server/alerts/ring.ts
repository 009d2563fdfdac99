/**
 * Sample storage for the alert engine's windows: per host one Float64Array
 * (a slab) holding every ring of that host's windows, so a window costs one
 * small object and no buffer of its own. A ring keeps a window's samples
 * oldest first, timestamps in its first half and values in its second, and
 * is sized from the rule's range and the host's sampling interval; it doubles
 * when a faster cadence needs more room, never dropping a sample still inside
 * the range.
 */

/** Room taken at once when a slab has to grow, in doubles (4 KiB): a host's first plan reserves its rings together. */
const SLAB_STEP = 512;
/** A ring's first capacity never exceeds this; it grows on demand past it. */
const MAX_INITIAL_CAPACITY = 4096;

/** One host's sample storage. */
export class Slab {
  buf = new Float64Array(0);
  /** Doubles handed out so far (at the end of `buf` past `used` is free room). */
  used = 0;
  /** Doubles in regions rings left when they grew: reclaimed by compact() once they are half of what is live. */
  waste = 0;
  readonly rings: Ring[] = [];

  /** Makes room for `n` more doubles at once, so the rings of one plan do not grow the slab one by one. */
  reserve(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const next = new Float64Array(Math.ceil((this.used + n) / SLAB_STEP) * SLAB_STEP);
    next.set(this.buf.subarray(0, this.used));
    this.buf = next;
  }

  take(n: number): number {
    this.reserve(n);
    const off = this.used;
    this.used += n;
    return off;
  }

  /** Moves every ring into a fresh slab without the regions left behind by growth. */
  compact(): void {
    let size = 0;
    for (const r of this.rings) size += 2 * r.cap;
    const old = this.buf;
    this.buf = new Float64Array(Math.ceil(size / SLAB_STEP) * SLAB_STEP);
    this.used = 0;
    this.waste = 0;
    for (const r of this.rings) r.moveTo(old, this.take(2 * r.cap), r.cap);
  }
}

/** The first capacity of a ring keeping `keepMs` of samples arriving every `intervalMs`. */
export function initialCapacity(keepMs: number, intervalMs: number): number {
  return Math.min(MAX_INITIAL_CAPACITY, Math.ceil(keepMs / Math.max(1, intervalMs)) + 2);
}

/** A window's samples in order of time, newest last; NaN values stand for nulls. */
export class Ring {
  /** Where the ring starts in its slab: `cap` timestamps, then `cap` values. */
  off: number;
  cap: number;
  /** Index of the oldest sample within the ring, and how many it holds. */
  start = 0;
  len = 0;

  constructor(
    readonly slab: Slab,
    capacity: number,
    /** How far back from its newest sample the ring keeps samples (the longest range a rule reads of it, plus slack). */
    public keepMs: number,
  ) {
    this.cap = Math.max(1, capacity);
    this.off = slab.take(2 * this.cap);
    slab.rings.push(this);
  }

  /** Physical index of the i-th sample, oldest first. */
  at(i: number): number {
    const p = this.start + i;
    return p >= this.cap ? p - this.cap : p;
  }

  tsAt(i: number): number {
    return this.slab.buf[this.off + this.at(i)]!;
  }

  valueAt(i: number): number {
    return this.slab.buf[this.off + this.cap + this.at(i)]!;
  }

  /**
   * Adds a sample newer than the newest, first dropping those older than
   * `keepMs` before it; false (and nothing kept) for a sample not newer.
   */
  append(ts: number, v: number): boolean {
    let buf = this.slab.buf;
    const { off } = this;
    if (this.len > 0) {
      if (ts <= buf[off + this.at(this.len - 1)]!) return false;
      const keepFrom = ts - this.keepMs;
      while (this.len > 0 && buf[off + this.start]! < keepFrom) {
        this.start = this.start + 1 === this.cap ? 0 : this.start + 1;
        this.len--;
      }
    }
    if (this.len === this.cap) {
      this.grow();
      buf = this.slab.buf;
    }
    const p = this.at(this.len);
    buf[this.off + p] = ts;
    buf[this.off + this.cap + p] = v;
    this.len++;
    return true;
  }

  /** Doubles the capacity: a new region at the end of the slab, the old one counted as waste. */
  private grow(): void {
    const slab = this.slab;
    const region = slab.take(4 * this.cap); // may replace slab.buf, with the samples copied over
    slab.waste += 2 * this.cap;
    this.moveTo(slab.buf, region, 2 * this.cap);
    if (slab.waste * 3 >= slab.used) slab.compact(); // waste ≥ half the live rings: at most a third of the slab
  }

  /** Copies the samples oldest first from `from` (the array the ring's region is in) to `off`, with capacity `cap`. */
  moveTo(from: Float64Array, off: number, cap: number): void {
    const to = this.slab.buf;
    for (let i = 0; i < this.len; i++) {
      const p = this.at(i);
      to[off + i] = from[this.off + p]!;
      to[off + cap + i] = from[this.off + this.cap + p]!;
    }
    this.off = off;
    this.cap = cap;
    this.start = 0;
  }
}
