/**
 * Every series' head — its newest samples, encoded as they arrive (see
 * chunk-codec.ts for the encoding) — in a handful of typed arrays indexed by
 * series number, with the bytes in large shared pages.
 *
 * A fleet's server holds hundreds of thousands of heads. As one object and one
 * buffer each, with their timestamps boxed, they were millions of small
 * objects for the garbage collector to trace again and again, and most of the
 * ingestion thread's time went on that. Here a head is a few array slots and a
 * block in a 1 MiB page: blocks are handed out from the current page, a head
 * that outgrows its block moves to one twice the size, and a page whose blocks
 * are all released is reused.
 */

import { MAX_SAMPLE_BYTES, encodeSample } from './chunk-codec.js';

const PAGE_BYTES = 1 << 20;

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
  /** Where each head's bytes are: page, offset, block size, bytes used; and the block size its next head starts with. */
  private page = new Int32Array(0);
  private offset = new Int32Array(0);
  private size = new Int32Array(0);
  private used = new Int32Array(0);
  private nextSize = new Int32Array(0);

  private readonly pages: Uint8Array[] = [];
  /** Live blocks per page; a page at 0 (other than the current one) is free. */
  private readonly liveBlocks: number[] = [];
  private readonly freePages: number[] = [];
  private current = -1;
  private bump = PAGE_BYTES;

  constructor(
    series = 0,
    private readonly firstBlockBytes = 64,
  ) {
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
    this.page = grown(this.page, cap);
    this.offset = grown(this.offset, cap);
    this.size = grown(this.size, cap);
    this.used = grown(this.used, cap);
    this.nextSize = grown(this.nextSize, cap, this.firstBlockBytes);
  }

  /** Bytes of the pages, for the benchmarks and /healthz-style accounting. */
  get pageBytes(): number {
    return this.pages.reduce((n, p) => n + p.length, 0);
  }

  /** Appends a sample (null or NaN: no value) to a series' head, starting one if it has none. `ts` must be later than the head's last. */
  push(id: number, ts: number, value: number | null): void {
    const n = this.count[id]!;
    if (n === 0) this.allocate(id, this.nextSize[id]!);
    else if (this.used[id]! + MAX_SAMPLE_BYTES > this.size[id]!) this.regrow(id);
    const buf = this.pages[this.page[id]!]!;
    let dod = 0;
    if (n === 0) {
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
    const pos = encodeSample(buf, this.offset[id]! + this.used[id]!, dod, value, this.prevBits, 2 * id);
    this.used[id] = pos - this.offset[id]!;
  }

  /** A head's bytes, without copying: valid until the next push to or release of that head. */
  bytes(id: number): Uint8Array {
    const start = this.offset[id]!;
    return this.pages[this.page[id]!]!.subarray(start, start + this.used[id]!);
  }

  byteLength(id: number): number {
    return this.count[id]! > 0 ? this.used[id]! : 0;
  }

  /** Ends a head (after its bytes were copied out as a chunk); the series' next head starts with a block sized after this one. */
  release(id: number): void {
    if (this.count[id] === 0) return;
    this.nextSize[id] = this.used[id]! + 32;
    this.freeBlock(this.page[id]!);
    this.count[id] = 0;
  }

  private regrow(id: number): void {
    const oldPage = this.page[id]!;
    const start = this.offset[id]!;
    const used = this.used[id]!;
    const from = this.pages[oldPage]!;
    this.allocate(id, Math.max(2 * this.size[id]!, used + MAX_SAMPLE_BYTES));
    this.pages[this.page[id]!]!.set(from.subarray(start, start + used), this.offset[id]);
    this.used[id] = used;
    this.freeBlock(oldPage);
  }

  private allocate(id: number, bytes: number): void {
    const n = Math.max(bytes, MAX_SAMPLE_BYTES + 1);
    if (this.bump + n > (this.pages[this.current]?.length ?? 0)) this.newPage(n);
    this.page[id] = this.current;
    this.offset[id] = this.bump;
    this.size[id] = n;
    this.used[id] = 0;
    this.bump += n;
    this.liveBlocks[this.current]!++;
  }

  private newPage(atLeast: number): void {
    const old = this.current;
    if (old >= 0 && this.liveBlocks[old] === 0) this.freePages.push(old);
    const free = atLeast <= PAGE_BYTES ? this.freePages.pop() : undefined;
    if (free !== undefined) this.current = free;
    else {
      this.pages.push(new Uint8Array(Math.max(PAGE_BYTES, atLeast)));
      this.liveBlocks.push(0);
      this.current = this.pages.length - 1;
    }
    this.bump = 0;
  }

  private freeBlock(page: number): void {
    if (--this.liveBlocks[page]! === 0 && page !== this.current) this.freePages.push(page);
  }
}
