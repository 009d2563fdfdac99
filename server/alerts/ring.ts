/**
 * Sample storage for the alert engine's windows: per host one slab, two
 * Float64Arrays holding every ring of that host's windows, so that feeding a
 * batch touches a few contiguous cache lines instead of an object, two arrays
 * and a boxed number per series. `meta` holds each ring's bookkeeping (where
 * it lives, its capacity, oldest sample, length, range kept, when its newest
 * sample arrived); `buf` the samples, each as a (timestamp, value) pair,
 * oldest first around the ring. A ring is sized from the rule's range and the
 * host's sampling interval and doubles when a faster cadence needs more room,
 * never dropping a sample still inside the range.
 */

/** Room taken at once when a slab's samples have to grow, in doubles (4 KiB). */
const SLAB_STEP = 512;
/** A ring's first capacity never exceeds this; it grows on demand past it. */
const MAX_INITIAL_CAPACITY = 4096;

/** A ring's bookkeeping in `meta`: its fields' offsets, and how many doubles a ring takes. */
const OFF = 0;
const CAP = 1;
const START = 2;
const LEN = 3;
const KEEP = 4;
const LAST_AT = 5;
const META = 6;

/** The first capacity of a ring keeping `keepMs` of samples arriving every `intervalMs`. */
export function initialCapacity(keepMs: number, intervalMs: number): number {
  return Math.min(MAX_INITIAL_CAPACITY, Math.ceil(keepMs / Math.max(1, intervalMs)) + 2);
}

/** One host's rings. A ring is named by its index; indexes are never reused while the slab lives. */
export class Slab {
  buf = new Float64Array(0);
  meta = new Float64Array(META * 4);
  rings = 0;
  /** Doubles of `buf` handed out so far. */
  used = 0;
  /** Doubles in regions rings left when they grew: reclaimed by compact() once they are half of what is live. */
  waste = 0;

  /** A new ring of `capacity` samples keeping `keepMs` behind its newest; its index. */
  add(capacity: number, keepMs: number, lastAt: number): number {
    const r = this.rings++;
    if (this.rings * META > this.meta.length) {
      const meta = new Float64Array(this.meta.length * 2);
      meta.set(this.meta);
      this.meta = meta;
    }
    const cap = Math.max(1, capacity);
    const m = r * META;
    this.meta[m + OFF] = this.take(2 * cap);
    this.meta[m + CAP] = cap;
    this.meta[m + KEEP] = keepMs;
    this.meta[m + LAST_AT] = lastAt;
    return r;
  }

  len(r: number): number {
    return this.meta[r * META + LEN]!;
  }

  cap(r: number): number {
    return this.meta[r * META + CAP]!;
  }

  /** Where in `buf` the i-th sample of ring r (oldest first) starts: its timestamp, then its value. */
  at(r: number, i: number): number {
    const m = r * META;
    const cap = this.meta[m + CAP]!;
    const p = this.meta[m + START]! + i;
    return this.meta[m + OFF]! + 2 * (p >= cap ? p - cap : p);
  }

  tsAt(r: number, i: number): number {
    return this.buf[this.at(r, i)]!;
  }

  valueAt(r: number, i: number): number {
    return this.buf[this.at(r, i) + 1]!;
  }

  keepMs(r: number): number {
    return this.meta[r * META + KEEP]!;
  }

  setKeepMs(r: number, ms: number): void {
    this.meta[r * META + KEEP] = ms;
  }

  /** Server time the newest sample of ring r arrived (for staleness). */
  lastAt(r: number): number {
    return this.meta[r * META + LAST_AT]!;
  }

  /**
   * Adds a sample to ring r if it is newer than its newest, first dropping
   * those more than its range before it, and notes `now` as when it arrived;
   * false (and nothing kept) for a sample not newer.
   */
  append(r: number, ts: number, v: number, now: number): boolean {
    const meta = this.meta;
    const m = r * META;
    let len = meta[m + LEN]!;
    if (len > 0) {
      if (ts <= this.buf[this.at(r, len - 1)]!) return false;
      const keepFrom = ts - meta[m + KEEP]!;
      const cap = meta[m + CAP]!;
      const off = meta[m + OFF]!;
      let start = meta[m + START]!;
      while (len > 0 && this.buf[off + 2 * start]! < keepFrom) {
        start = start + 1 === cap ? 0 : start + 1;
        len--;
      }
      meta[m + START] = start;
      meta[m + LEN] = len;
      if (len === cap) this.grow(r);
    }
    const p = this.at(r, len);
    this.buf[p] = ts;
    this.buf[p + 1] = v;
    meta[m + LEN] = len + 1;
    meta[m + LAST_AT] = now;
    return true;
  }

  /** `n` doubles at the end of `buf`, grown in steps. */
  private take(n: number): number {
    if (this.used + n > this.buf.length) {
      const next = new Float64Array(Math.ceil((this.used + n) / SLAB_STEP) * SLAB_STEP);
      next.set(this.buf.subarray(0, this.used));
      this.buf = next;
    }
    const off = this.used;
    this.used += n;
    return off;
  }

  /** Doubles ring r's capacity: a new region at the end, the old one counted as waste. */
  private grow(r: number): void {
    const cap = this.cap(r);
    const region = this.take(4 * cap);
    this.waste += 2 * cap;
    this.move(r, this.buf, region, 2 * cap);
    if (this.waste * 3 >= this.used) this.compact(); // waste ≥ half the live rings: at most a third of the slab
  }

  /** Moves every ring into a fresh array without the regions left behind by growth. */
  private compact(): void {
    let size = 0;
    for (let r = 0; r < this.rings; r++) size += 2 * this.cap(r);
    const old = this.buf;
    this.buf = new Float64Array(Math.ceil(size / SLAB_STEP) * SLAB_STEP);
    this.used = 0;
    this.waste = 0;
    for (let r = 0; r < this.rings; r++) this.move(r, old, this.take(2 * this.cap(r)), this.cap(r));
  }

  /** Copies ring r's samples oldest first from `from` (where its region is now) to `off` in `buf`, with capacity `cap`. */
  private move(r: number, from: Float64Array, off: number, cap: number): void {
    const m = r * META;
    const len = this.meta[m + LEN]!;
    for (let i = 0; i < len; i++) {
      const p = this.at(r, i);
      this.buf[off + 2 * i] = from[p]!;
      this.buf[off + 2 * i + 1] = from[p + 1]!;
    }
    this.meta[m + OFF] = off;
    this.meta[m + CAP] = cap;
    this.meta[m + START] = 0;
  }
}
