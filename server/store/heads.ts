/**
 * Every series' head — its newest samples, encoded as they arrive (see
 * chunk-codec.ts for the encoding) — in a handful of typed arrays indexed by
 * series number, with the bytes in large shared pages.
 *
 * A fleet's server holds hundreds of thousands of heads. As one object and one
 * buffer each, with their timestamps boxed, they were millions of small
 * objects for the garbage collector to trace again and again, and most of the
 * ingestion thread's time went on that. Here a head is a few array slots and a
 * chain of 64-byte segments cut from 1 MiB pages: a head takes a segment
 * whenever its last one is full (a sample that does not fit is split across
 * the two), and a sealed head's whole chain goes back on one free list that
 * every head takes from. So a head holds its bytes plus half a segment on
 * average, and a freed segment is reused at once by any head. (Blocks sized
 * for a whole head from its start, in pages reused only once every block in
 * them was free, held 2–3 times the bytes of the heads: BENCHMARKS.md,
 * "Memory per active series".)
 */

import { MAX_SAMPLE_BYTES, encodeSample } from './chunk-codec.js';

const SEGMENT_BYTES = 64;
const SEGMENTS_PER_PAGE_LOG2 = 14;
const SEGMENTS_PER_PAGE = 1 << SEGMENTS_PER_PAGE_LOG2;
const PAGE_BYTES = SEGMENT_BYTES * SEGMENTS_PER_PAGE;
const NONE = -1;
/** Bytes of a sample whose timestamp's delta of delta is within ±63: a one-byte varint, a control byte and 8 value bytes at most. */
const STEADY_SAMPLE_BYTES = 10;

/** A typed array of length n with a's elements first and `fill` after them. */
export function grown<T extends Float64Array | Int32Array>(a: T, n: number, fill = 0): T {
  const next = new (a.constructor as new (n: number) => T)(n);
  next.set(a);
  if (fill !== 0) next.fill(fill, a.length);
  return next;
}

export class HeadTable {
  /** Samples in each head; 0: no head. */
  count = new Int32Array(0);
  firstTs = new Float64Array(0);
  lastTs = new Float64Array(0);
  private prevDelta = new Float64Array(0);
  /** The previous non-null value's bits (the XOR reference): two 32-bit halves per series, at 2 × id. */
  private prevBits = new Int32Array(0);
  /** Each head's bytes and its first and last segments (every segment but the last is full). */
  private used = new Int32Array(0);
  private firstSegment = new Int32Array(0);
  private lastSegment = new Int32Array(0);

  private readonly pages: Uint8Array[] = [];
  /** Per segment, the next one in its head's chain or in the free list (NONE: the end). */
  private nextSegment = new Int32Array(0);
  private freeList = NONE;
  private freeSegments = 0;
  /** Segments handed out so far (beyond them the pages are untouched). */
  private carved = 0;
  /** Where a sample that may straddle two segments is encoded first. */
  private readonly scratch = new Uint8Array(MAX_SAMPLE_BYTES);
  /** pushRun's XOR reference during a run (encodeSample reads and updates it). */
  private readonly runBits = new Int32Array(2);
  /** Where bytes() joins a head of several segments. */
  private joined = new Uint8Array(1024);

  constructor(series = 0) {
    this.ensure(series);
  }

  /** Room for series numbers below n. */
  ensure(n: number): void {
    if (n <= this.count.length) return;
    const cap = Math.max(n, this.count.length * 2, 1024);
    this.count = grown(this.count, cap);
    this.firstTs = grown(this.firstTs, cap);
    this.lastTs = grown(this.lastTs, cap);
    this.prevDelta = grown(this.prevDelta, cap);
    this.prevBits = grown(this.prevBits, 2 * cap);
    this.used = grown(this.used, cap);
    this.firstSegment = grown(this.firstSegment, cap);
    this.lastSegment = grown(this.lastSegment, cap);
  }

  /** Bytes of the pages, for the benchmarks and tests. */
  get pageBytes(): number {
    return this.pages.length * PAGE_BYTES;
  }

  /** Bytes of the segments heads hold now. */
  get heldBytes(): number {
    return (this.carved - this.freeSegments) * SEGMENT_BYTES;
  }

  /** Appends a sample (null or NaN: no value) to a series' head, starting one if it has none. `ts` must be later than the head's last. */
  push(id: number, ts: number, value: number | null): void {
    const n = this.count[id]!;
    let dod = 0;
    if (n === 0) {
      const s = this.takeSegment();
      this.firstSegment[id] = s;
      this.lastSegment[id] = s;
      this.used[id] = 0;
      this.firstTs[id] = ts;
      this.prevDelta[id] = 0;
      this.prevBits[2 * id] = 0;
      this.prevBits[2 * id + 1] = 0;
    } else {
      const delta = ts - this.lastTs[id]!;
      dod = delta - this.prevDelta[id]!;
      this.prevDelta[id] = delta;
    }
    this.lastTs[id] = ts;
    this.count[id] = n + 1;
    const used = this.used[id]!;
    // Bytes in the last segment: 0 with used > 0 means it is full.
    const fill = used & (SEGMENT_BYTES - 1);
    if (fill === 0 && used > 0) this.extend(id);
    const room = SEGMENT_BYTES - fill;
    const s = this.lastSegment[id]!;
    const at = this.offsetOf(s) + fill;
    const page = this.pageOf(s);
    // A steady sample is at most STEADY_SAMPLE_BYTES: most go straight into the segment, few through the scratch.
    if (room >= (dod > -64 && dod < 64 ? STEADY_SAMPLE_BYTES : MAX_SAMPLE_BYTES)) {
      this.used[id] = used + encodeSample(page, at, dod, value, this.prevBits, 2 * id) - at;
      return;
    }
    // Near the end of a segment: encoded aside, then split over this segment and a new one.
    const len = encodeSample(this.scratch, 0, dod, value, this.prevBits, 2 * id);
    this.spill(id, page, at, room, len);
    this.used[id] = used + len;
  }

  /** The scratch's `len` bytes at `at` in a head's last segment, `room` of them there and the rest in a new one. */
  private spill(id: number, page: Uint8Array, at: number, room: number, len: number): void {
    const here = Math.min(len, room);
    for (let i = 0; i < here; i++) page[at + i] = this.scratch[i]!;
    if (len > here) {
      const next = this.extend(id);
      const nextPage = this.pageOf(next);
      const nextAt = this.offsetOf(next);
      for (let i = here; i < len; i++) nextPage[nextAt + i - here] = this.scratch[i]!;
    }
  }

  /**
   * Appends a run of samples to one series' head: `ts[r]` with `values[at + (r - from) × stride]` (NaN: no
   * value) for r in [from, to), each later than the one before. The same bytes and state as a push per sample,
   * but the head's numbers stay in locals across the run instead of going through the columns every sample
   * (a staged block's flush pushes a series' rows one after another).
   */
  pushRun(
    id: number,
    ts: Float64Array,
    from: number,
    to: number,
    values: Float64Array,
    at: number,
    stride: number,
  ): void {
    if (from >= to) return;
    if (this.count[id] === 0) {
      this.push(id, ts[from]!, values[at]!);
      from++;
      at += stride;
    }
    const bits = this.runBits;
    bits[0] = this.prevBits[2 * id]!;
    bits[1] = this.prevBits[2 * id + 1]!;
    let last = this.lastTs[id]!;
    let prevDelta = this.prevDelta[id]!;
    let used = this.used[id]!;
    let s = this.lastSegment[id]!;
    let page = this.pageOf(s);
    let base = this.offsetOf(s);
    for (let r = from; r < to; r++, at += stride) {
      const t = ts[r]!;
      const delta = t - last;
      const dod = delta - prevDelta;
      prevDelta = delta;
      last = t;
      let fill = used & (SEGMENT_BYTES - 1);
      if (fill === 0 && used > 0) {
        s = this.extend(id);
        page = this.pageOf(s);
        base = this.offsetOf(s);
        fill = 0;
      }
      const room = SEGMENT_BYTES - fill;
      if (room >= (dod > -64 && dod < 64 ? STEADY_SAMPLE_BYTES : MAX_SAMPLE_BYTES)) {
        used += encodeSample(page, base + fill, dod, values[at]!, bits, 0) - base - fill;
        continue;
      }
      const len = encodeSample(this.scratch, 0, dod, values[at]!, bits, 0);
      this.spill(id, page, base + fill, room, len);
      used += len;
      if (len > room) {
        s = this.lastSegment[id]!;
        page = this.pageOf(s);
        base = this.offsetOf(s);
      }
    }
    this.count[id] = this.count[id]! + to - from;
    this.lastTs[id] = last;
    this.prevDelta[id] = prevDelta;
    this.prevBits[2 * id] = bits[0]!;
    this.prevBits[2 * id + 1] = bits[1]!;
    this.used[id] = used;
  }

  /**
   * A head's bytes: a view of its segment, or of a copy joined from its
   * segments. Valid until the next call of bytes(), push() or release().
   */
  bytes(id: number): Uint8Array {
    const used = this.count[id]! > 0 ? this.used[id]! : 0;
    if (used === 0) return new Uint8Array(0);
    let s = this.firstSegment[id]!;
    if (used <= SEGMENT_BYTES) return this.pageOf(s).subarray(this.offsetOf(s), this.offsetOf(s) + used);
    if (this.joined.length < used) this.joined = new Uint8Array(Math.max(used, 2 * this.joined.length));
    const out = this.joined;
    for (let pos = 0; pos < used; pos += SEGMENT_BYTES, s = this.nextSegment[s]!) {
      const page = this.pageOf(s);
      const at = this.offsetOf(s);
      const n = Math.min(SEGMENT_BYTES, used - pos);
      for (let i = 0; i < n; i++) out[pos + i] = page[at + i]!;
    }
    return out.subarray(0, used);
  }

  /** Copies a head's bytes into `out` at `pos` (the caller made room for byteLength(id)) and returns the position after them. */
  copyTo(id: number, out: Uint8Array, pos: number): number {
    const used = this.count[id]! > 0 ? this.used[id]! : 0;
    let s = this.firstSegment[id]!;
    for (let done = 0; done < used; done += SEGMENT_BYTES, s = this.nextSegment[s]!) {
      const page = this.pageOf(s);
      const at = this.offsetOf(s);
      const n = Math.min(SEGMENT_BYTES, used - done);
      // One block copy per segment, not a loop per byte: a seal reads its head's segments cold, as a few cache lines.
      out.set(page.subarray(at, at + n), pos);
      pos += n;
    }
    return pos;
  }

  byteLength(id: number): number {
    return this.count[id]! > 0 ? this.used[id]! : 0;
  }

  /** Ends a head (after its bytes were copied out as a chunk): its segments go back on the free list, all at once. */
  release(id: number): void {
    if (this.count[id] === 0) return;
    this.nextSegment[this.lastSegment[id]!] = this.freeList;
    this.freeList = this.firstSegment[id]!;
    this.freeSegments += Math.max(1, Math.ceil(this.used[id]! / SEGMENT_BYTES));
    this.count[id] = 0;
  }

  /** A new last segment for a head. */
  private extend(id: number): number {
    const s = this.takeSegment();
    this.nextSegment[this.lastSegment[id]!] = s;
    this.lastSegment[id] = s;
    return s;
  }

  private takeSegment(): number {
    let s = this.freeList;
    if (s !== NONE) {
      this.freeList = this.nextSegment[s]!;
      this.freeSegments--;
    } else {
      s = this.carved++;
      if (s >= this.pages.length * SEGMENTS_PER_PAGE) this.pages.push(new Uint8Array(PAGE_BYTES));
      if (s >= this.nextSegment.length)
        this.nextSegment = grown(this.nextSegment, Math.max(1024, 2 * this.nextSegment.length), NONE);
    }
    this.nextSegment[s] = NONE;
    return s;
  }

  private pageOf(segment: number): Uint8Array {
    return this.pages[segment >>> SEGMENTS_PER_PAGE_LOG2]!;
  }

  private offsetOf(segment: number): number {
    return (segment & (SEGMENTS_PER_PAGE - 1)) * SEGMENT_BYTES;
  }
}
