/**
 * Sample storage for the alert engine's windows: per host one slab, two
 * Float64Arrays holding every ring of that host's windows, so that feeding a
 * batch touches a few contiguous cache lines instead of an object, two arrays
 * and a boxed number per series. `idx` and `times` hold each ring's
 * bookkeeping (where it lives, its capacity, oldest sample, length; range
 * kept, when its newest known sample arrived); `buf` the samples, each as a (timestamp, value) pair,
 * oldest first around the ring. A ring is sized from the rule's range and the
 * host's sampling interval and doubles when a faster cadence needs more room,
 * never dropping a sample still inside the range. A ring may carry running
 * aggregates (running.ts), which it keeps current as samples come and go.
 */
import type { RunningWindow } from './running.js';

/** Room taken at once when a slab's samples have to grow, in doubles (4 KiB). */
const SLAB_STEP = 512;
/** A ring's first capacity never exceeds this; it grows on demand past it. */
const MAX_INITIAL_CAPACITY = 4096;

/** A ring's bookkeeping: in `idx` (int32s, for index arithmetic without conversions) where it lives … */
export const OFF = 0;
export const CAP = 1;
export const START = 2;
const LEN = 3;
export const IDX = 4;
/** … and in `times` (doubles) how far back it keeps, when its newest sample arrived and how many it was given. */
const KEEP = 0;
const LAST_AT = 1;
const TOTAL = 2;
const TIMES = 3;

/** The first capacity of a ring keeping `keepMs` of samples arriving every `intervalMs`. */
export function initialCapacity(keepMs: number, intervalMs: number): number {
  return Math.min(MAX_INITIAL_CAPACITY, Math.ceil(keepMs / Math.max(1, intervalMs)) + 2);
}

/** One host's rings. A ring is named by its index; indexes are never reused while the slab lives. */
export class Slab {
  buf = new Float64Array(0);
  idx = new Int32Array(IDX * 4);
  times = new Float64Array(TIMES * 4);
  rings = 0;
  /** Doubles of `buf` handed out so far. */
  used = 0;
  /** Doubles in regions rings left when they grew: reclaimed by compact() once they are half of what is live. */
  waste = 0;
  /** Per ring, its running aggregates (running.ts), or null. */
  readonly running: (RunningWindow[] | null)[] = [];

  /** A new ring of `capacity` samples keeping `keepMs` behind its newest; its index. */
  add(capacity: number, keepMs: number, lastAt: number): number {
    const r = this.rings++;
    if (this.rings * IDX > this.idx.length) {
      const idx = new Int32Array(this.idx.length * 2);
      idx.set(this.idx);
      this.idx = idx;
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    const cap = Math.max(1, capacity);
    this.idx[r * IDX + OFF] = this.take(2 * cap);
    this.idx[r * IDX + CAP] = cap;
    this.times[r * TIMES + KEEP] = keepMs;
    this.times[r * TIMES + LAST_AT] = lastAt;
    this.running.push(null);
    return r;
  }

  len(r: number): number {
    return this.idx[r * IDX + LEN]!;
  }

  cap(r: number): number {
    return this.idx[r * IDX + CAP]!;
  }

  /** Where in `buf` the i-th sample of ring r (oldest first) starts: its timestamp, then its value. */
  at(r: number, i: number): number {
    const m = r * IDX;
    const cap = this.idx[m + CAP]!;
    const p = this.idx[m + START]! + i;
    return this.idx[m + OFF]! + 2 * (p >= cap ? p - cap : p);
  }

  tsAt(r: number, i: number): number {
    return this.buf[this.at(r, i)]!;
  }

  valueAt(r: number, i: number): number {
    return this.buf[this.at(r, i) + 1]!;
  }

  keepMs(r: number): number {
    return this.times[r * TIMES + KEEP]!;
  }

  setKeepMs(r: number, ms: number): void {
    this.times[r * TIMES + KEEP] = ms;
  }

  /** How many samples ring r was given: the sequence number of the next (the oldest it holds is total − len). */
  total(r: number): number {
    return this.times[r * TIMES + TOTAL]!;
  }

  /** Ring r's running aggregate over `overMs`, if it keeps one. */
  runningFor(r: number, overMs: number): RunningWindow | undefined {
    const run = this.running[r];
    if (run) for (const a of run) if (a.overMs === overMs) return a;
    return undefined;
  }

  /** Server time the newest known (non-null) sample of ring r arrived, or r was made (for staleness). */
  lastAt(r: number): number {
    return this.times[r * TIMES + LAST_AT]!;
  }

  /**
   * Adds a sample to ring r if it is newer than its newest, first dropping
   * those more than its range before it, and notes `now` as when it arrived
   * if it is known (not NaN);
   * false (and nothing kept) for a sample not newer. Its running aggregates
   * let go of the samples leaving their ranges first, while the ring still
   * holds them, and then take the new one.
   */
  append(r: number, ts: number, v: number, now: number): boolean {
    const idx = this.idx;
    const m = r * IDX;
    let len = idx[m + LEN]!;
    const run = this.running[r]!;
    let off = idx[m + OFF]!;
    let cap = idx[m + CAP]!;
    let start = idx[m + START]!;
    if (len > 0) {
      const buf = this.buf;
      const newest = start + len - 1;
      if (ts <= buf[off + 2 * (newest >= cap ? newest - cap : newest)]!) return false;
      if (run !== null) for (let k = 0; k < run.length; k++) run[k]!.evict(ts);
      const keepFrom = ts - this.times[r * TIMES + KEEP]!;
      while (len > 0 && buf[off + 2 * start]! < keepFrom) {
        start = start + 1 === cap ? 0 : start + 1;
        len--;
      }
      idx[m + START] = start;
      idx[m + LEN] = len;
      if (len === cap) {
        this.grow(r);
        off = idx[m + OFF]!;
        cap = idx[m + CAP]!;
        start = idx[m + START]!;
      }
    }
    const i = start + len;
    const p = off + 2 * (i >= cap ? i - cap : i);
    const buf = this.buf;
    buf[p] = ts;
    buf[p + 1] = v;
    idx[m + LEN] = len + 1;
    const t = r * TIMES;
    const times = this.times;
    if (v === v) times[t + LAST_AT] = now; // a null (NaN) is no news: staleness counts from the newest known value
    times[t + TOTAL] = times[t + TOTAL]! + 1;
    if (run !== null) for (let k = 0; k < run.length; k++) run[k]!.push(ts, v);
    return true;
  }

  /** Makes room for exactly `n` more doubles: a plan's new rings are sized together, so the slab wastes nothing. */
  reserve(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const next = new Float64Array(this.used + n);
    next.set(this.buf.subarray(0, this.used));
    this.buf = next;
  }

  /** `n` doubles at the end of `buf`; when it must grow for a ring outside a plan's reservation, by a step. */
  private take(n: number): number {
    if (this.used + n > this.buf.length) this.reserve(Math.max(n, SLAB_STEP));
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
    this.buf = new Float64Array(size);
    this.used = 0;
    this.waste = 0;
    for (let r = 0; r < this.rings; r++) this.move(r, old, this.take(2 * this.cap(r)), this.cap(r));
  }

  /** Copies ring r's samples oldest first from `from` (where its region is now) to `off` in `buf`, with capacity `cap`. */
  private move(r: number, from: Float64Array, off: number, cap: number): void {
    const m = r * IDX;
    const len = this.idx[m + LEN]!;
    for (let i = 0; i < len; i++) {
      const p = this.at(r, i);
      this.buf[off + 2 * i] = from[p]!;
      this.buf[off + 2 * i + 1] = from[p + 1]!;
    }
    this.idx[m + OFF] = off;
    this.idx[m + CAP] = cap;
    this.idx[m + START] = 0;
  }
}
