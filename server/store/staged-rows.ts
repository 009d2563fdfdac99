/**
 * Batches of a steady shape, staged as rows before they go into the heads.
 *
 * A fleet's session sends the same series in the same order every second, and
 * each sample's head segment lies somewhere in tens of megabytes: pushed one
 * sample per series per second, nearly every push was a cache miss (half the
 * append's cost at 3 000 hosts, BENCHMARKS.md "Server main thread per
 * sample"). Here a batch whose ids array the appender has seen before is
 * copied as one row of a block (its timestamp, log row and clock, then its
 * values side by side); when the block is full, ages, or anything needs a
 * series' head, its rows go into the heads series by series, so each head is
 * touched several samples in a row while it is in cache.
 *
 * What a staged sample is, is decided when it is appended (the log row is
 * written then, and the newest value updated): the heads only catch up.
 */
import { grown } from './heads.js';

/** Rows a block holds before it goes into the heads. */
export const STAGED_ROWS = 8;
/** An empty block no batch has used for this long is let go (its session has likely ended). */
const IDLE_BLOCK_MS = 60_000;
const NO_BLOCK = -1;
/** A shape seen once (staged from its second batch on). */
const SEEN = 0;
/** A shape that repeats a series or names an unknown one: never staged. */
const NEVER = 1;

/**
 * Puts a series' staged samples of rows [from, b.rows) into its head (column c of the block), as they would
 * have gone at append time, one by one (each row's log row and clock with it).
 */
type PushRows = (id: number, b: Block, c: number, from: number) => void;

export class Block {
  rows = 0;
  readonly ts = new Float64Array(STAGED_ROWS);
  readonly walId = new Float64Array(STAGED_ROWS);
  readonly now = new Float64Array(STAGED_ROWS);
  /** Row r's values at r × ids.length, in the shape's order (NaN: null). */
  readonly values: Float64Array;
  /** Per column, the rows already in the heads (a column settled early for a seal or a query). */
  readonly settled: Uint8Array;
  lastUse = 0;
  /** Rows ever staged in this block: with its index, when it takes its turn to go into the heads. */
  appended = 0;

  constructor(
    readonly key: object,
    readonly ids: Int32Array,
    readonly index: number,
  ) {
    this.values = new Float64Array(STAGED_ROWS * ids.length);
    this.settled = new Uint8Array(ids.length);
  }
}

export class StagedRows {
  private readonly blocks: (Block | undefined)[] = [];
  private readonly freeIndexes: number[] = [];
  private readonly byShape = new WeakMap<object, Block | typeof SEEN | typeof NEVER>();
  /** Per series, the block its staged samples go to (NO_BLOCK: none) and its column there. */
  owner = new Int32Array(0);
  private column = new Int32Array(0);

  constructor(
    private readonly pushRows: PushRows,
    /** A block whose first row is this old goes into the heads at the next sweep. */
    private readonly maxAgeMs: number,
  ) {}

  ensure(n: number): void {
    if (n <= this.owner.length) return;
    const cap = Math.max(n, 2 * this.owner.length, 1024);
    this.owner = grown(this.owner, cap, NO_BLOCK);
    this.column = grown(this.column, cap);
  }

  /**
   * The block for a batch of these ids, if it can be staged: the same ids
   * object seen before with the same ids in it, none repeated, none staged by
   * another block since, and every sample later than its series' newest (a
   * replay, even in part, goes the direct way). A block that cannot take the
   * batch has gone into the heads first.
   */
  blockFor(ids: ArrayLike<number>, ts: number, lastTs: Float64Array, isSeries: (id: number) => boolean): Block | null {
    const known = this.byShape.get(ids);
    if (known === undefined) {
      this.byShape.set(ids, SEEN);
      return null;
    }
    if (known === NEVER) return null;
    const block = known === SEEN ? this.create(ids, isSeries) : known;
    if (!block) return null;
    const bids = block.ids;
    const owner = this.owner;
    let same = ids.length === bids.length;
    let later = true;
    for (let i = 0; same && i < bids.length; i++) {
      const id = ids[i]!;
      same = id === bids[i] && owner[id] === block.index;
      later &&= ts > lastTs[id]!;
    }
    if (same && later) return block;
    this.flush(block);
    // The ids object was changed in place or another shape took some of its series: staged afresh from the next batch.
    if (!same) this.retire(block);
    return null;
  }

  /** Samples staged for a series go into its head now (before its head is read or sealed, or a sample is pushed past the block). */
  settle(id: number): void {
    const b = this.blocks[this.owner[id]!];
    if (!b) return;
    const c = this.column[id]!;
    if (b.settled[c]! < b.rows) this.pushRows(id, b, c, b.settled[c]!);
    b.settled[c] = b.rows;
  }

  /** A block's rows go into the heads, series by series. */
  flush(b: Block): void {
    const n = b.ids.length;
    const rows = b.rows;
    for (let c = 0; c < n; c++) if (b.settled[c]! < rows) this.pushRows(b.ids[c]!, b, c, b.settled[c]!);
    b.rows = 0;
    b.settled.fill(0);
  }

  /** Every staged sample into the heads. */
  flushAll(): void {
    for (const b of this.blocks) if (b?.rows) this.flush(b);
  }

  /** Blocks that have waited long enough go into the heads; blocks idle for long are let go. */
  sweep(now: number): void {
    for (const b of this.blocks) {
      if (!b) continue;
      if (b.rows > 0 && now - b.now[0]! >= this.maxAgeMs) this.flush(b);
      if (b.rows === 0 && now - b.lastUse >= IDLE_BLOCK_MS) {
        this.retire(b);
        this.byShape.delete(b.key);
      }
    }
  }

  /** The oldest log row a staged sample came from (Infinity: none staged). */
  oldestWalId(): number {
    let oldest = Infinity;
    for (const b of this.blocks) if (b?.rows && b.walId[0]! < oldest) oldest = b.walId[0]!;
    return oldest;
  }

  /** A block for a shape seen twice, taking its series from any block that held them; null if it is empty or some id repeats or is unknown. */
  private create(ids: ArrayLike<number>, isSeries: (id: number) => boolean): Block | null {
    const own = Int32Array.from(ids);
    if (!own.length || !own.every(isSeries) || new Set(own).size !== own.length) {
      this.byShape.set(ids, NEVER);
      return null;
    }
    const index = this.freeIndexes.pop() ?? this.blocks.length;
    const block = new Block(ids, own, index);
    own.forEach((id, c) => {
      const previous = this.blocks[this.owner[id]!];
      if (previous?.rows) this.flush(previous);
      this.owner[id] = index;
      this.column[id] = c;
    });
    this.blocks[index] = block;
    this.byShape.set(ids, block);
    return block;
  }

  /** Lets a block go (it holds nothing staged): its series are staged by no block until a shape takes them. */
  private retire(b: Block): void {
    for (const id of b.ids) if (this.owner[id] === b.index) this.owner[id] = NO_BLOCK;
    this.blocks[b.index] = undefined;
    this.freeIndexes.push(b.index);
    this.byShape.set(b.key, SEEN);
  }
}
