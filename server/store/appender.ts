import { ByteWriter, writeVarint } from './bytes.js';
import { HeadTable, grown } from './heads.js';
import { WAL_FIELDS, type CommitBatch } from './history-writer.js';
import { MAX_CHUNK_SAMPLES, MAX_CHUNK_SPAN_MS } from './schema.js';
import { StagedRows, STAGED_ROWS, type Block } from './staged-rows.js';

/**
 * Heads due in the same slot are sealed by the same commit, and staged blocks go into the heads as slots pass.
 * A tenth of a second: by the second, a fleet's seals and staged rows went in at each second's first commit,
 * one synchronous stretch a second that every frame arriving meanwhile waited behind.
 */
const DUE_SLOT_MS = 100;

/** Per-series numbers, indexed by series id: no object (and no boxed double) per series for the garbage collector to trace. */
class SeriesColumns {
  /** The newest sample's time and value (NaN for null), whatever its chunk. */
  lastTs = new Float64Array(0);
  lastValue = new Float64Array(0);
  /** The open head's samples are in the write-ahead log from this row on. */
  walFrom = new Float64Array(0);
  /** When the open head is due to become a chunk. */
  dueAt = new Float64Array(0);

  ensure(n: number): void {
    if (n <= this.lastTs.length) return;
    const cap = Math.max(n, 2 * this.lastTs.length, 1024);
    this.lastTs = grown(this.lastTs, cap, -Infinity);
    this.lastValue = grown(this.lastValue, cap, NaN);
    this.walFrom = grown(this.walFrom, cap);
    this.dueAt = grown(this.dueAt, cap);
  }
}

/**
 * One sample of a log row written in place at `pos` (WalRows' format): the series id as a zigzag varint delta
 * from the previous one (one byte inline, the common case), then the value; the position after it.
 */
function writeLogSample(buf: Uint8Array, data: DataView, pos: number, idDelta: number, value: number): number {
  const z = idDelta >= 0 ? idDelta * 2 : -idDelta * 2 - 1;
  if (z < 0x80) buf[pos++] = z;
  else pos = writeVarint(buf, pos, z);
  data.setFloat64(pos, value, true);
  return pos + 8;
}

/**
 * The log rows waiting for the next commit, WAL_FIELDS numbers each as the commit carries them (CommitBatch.wal):
 * id, ts, sample count, and the start and end of their bytes in the commit's arena (per sample, the series id as a
 * zigzag varint delta from the previous one, then the value as a float64, NaN for null). Numbers in one growing
 * array, reused commit after commit: no object per batch.
 */
class WalRows {
  private fields = new Float64Array(1024 * WAL_FIELDS);
  private used = 0;

  get length(): number {
    return this.used / WAL_FIELDS;
  }

  push(id: number, ts: number, n: number, start: number, end: number): void {
    const at = this.used;
    if (at + WAL_FIELDS > this.fields.length) this.fields = grown(this.fields, 2 * this.fields.length);
    const f = this.fields;
    f[at] = id;
    f[at + 1] = ts;
    f[at + 2] = n;
    f[at + 3] = start;
    f[at + 4] = end;
    this.used = at + WAL_FIELDS;
  }

  /** The rows for a commit (its own copy); the list starts afresh. */
  take(): Float64Array {
    const rows = this.fields.slice(0, this.used);
    this.used = 0;
    return rows;
  }
}

/** What the appender hands to a commit. */
export type AppendedParts = Pick<
  CommitBatch,
  'wal' | 'walBytes' | 'chunks' | 'chunkBytes' | 'trimWalBelow' | 'samples'
>;

export interface AppenderOptions {
  now: () => number;
  /** A head becomes a chunk after about this long (plus up to as much again, staggered per series). */
  chunkAgeMs: number;
  /** Log samples waiting at which a commit is asked for at once rather than soon. */
  commitSamples: number;
  /** Whether a series id is known (appending to an unknown one is a caller's bug). */
  isSeries: (id: number) => boolean;
  /** Something waits for a commit: `now` when enough does that it should go at once. */
  onPending: (now: boolean) => void;
}

/**
 * The append side of the SQLite store (as Prometheus' head appender): each
 * sample goes into its series' head and into the next commit's write-ahead
 * log rows; heads that reach their age or size are sealed into the next
 * commit's chunks.
 */
export class Appender {
  readonly heads = new HeadTable();
  readonly cols = new SeriesColumns();
  /** Batches of steady shapes, waiting to go into the heads a block at a time (staged-rows.ts). */
  private readonly staged: StagedRows;
  private readonly wal = new WalRows();
  /** Bytes of the log rows waiting for the next commit; reused, since each commit takes a copy. */
  private readonly walBytes = new ByteWriter(1 << 20);
  private walSamples = 0;
  private nextWalId: number;
  /** Chunks sealed for the next commit: CHUNK_FIELDS numbers each (as in CommitBatch), their bytes in sealedBytes. */
  private sealed: number[] = [];
  private readonly sealedBytes = new ByteWriter(1 << 20);
  /** Heads due to be sealed, by the slot (DUE_SLOT_MS) they are due in. */
  private readonly due = new Map<number, number[]>();
  private dueCursor: number;
  /** Log rows below this hold only samples already in chunks (recomputed every few seconds; a stale value only trims less). */
  private trimWalBelow = 0;

  constructor(
    maxStoredWalId: number,
    private readonly o: AppenderOptions,
  ) {
    this.nextWalId = maxStoredWalId + 1;
    this.dueCursor = Math.floor(o.now() / DUE_SLOT_MS);
    // Staged rows go into the heads well before their heads are due, so no head starts after its due slot.
    this.staged = new StagedRows((id, b, c, from) => this.pushRows(id, b, c, from), o.chunkAgeMs / 3);
  }

  /** Room for series ids below n. */
  ensure(n: number): void {
    this.cols.ensure(n);
    this.heads.ensure(n);
    this.staged.ensure(n);
  }

  appendValues(ts: number, ids: ArrayLike<number>, values: ArrayLike<number | null>): void {
    const block = this.staged.blockFor(ids, ts, this.cols.lastTs, this.o.isSeries);
    if (block) this.stage(block, ts, values);
    else this.appendDirect(ts, ids, values);
    this.o.onPending(this.walSamples >= this.o.commitSamples);
  }

  /**
   * A batch of a staged shape (every sample known to be kept): its log row
   * and newest values now, its samples a row of the block, into the heads
   * when the block is full.
   */
  private stage(block: Block, ts: number, values: ArrayLike<number | null>): void {
    const walId = this.nextWalId++;
    const ids = block.ids;
    const n = ids.length;
    const out = this.walBytes;
    const start = out.len;
    out.reserve(n * 18);
    const buf = out.buf;
    const data = out.data;
    const { lastTs, lastValue } = this.cols;
    const row = block.rows;
    const staged = block.values;
    let at = row * n;
    let pos = start;
    let prevId = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const v = values[i] ?? NaN;
      lastTs[id] = ts;
      lastValue[id] = v;
      staged[at++] = v;
      pos = writeLogSample(buf, data, pos, id - prevId, v);
      prevId = id;
    }
    out.len = pos;
    this.wal.push(walId, ts, n, start, pos);
    this.walSamples += n;
    block.ts[row] = ts;
    block.walId[row] = walId;
    const now = (block.now[row] = this.o.now());
    block.lastUse = now;
    // Full, or at this block's turn: blocks of sessions that started together take turns by their index, so
    // a fleet's blocks do not all go into the heads in the same second (a spike in delivery every 8 s).
    const turn = (++block.appended + block.index) % STAGED_ROWS === 0;
    if (++block.rows === STAGED_ROWS || turn) this.staged.flush(block);
  }

  private appendDirect(ts: number, ids: ArrayLike<number>, values: ArrayLike<number | null>): void {
    const walId = this.nextWalId;
    const out = this.walBytes;
    const start = out.len;
    out.reserve(ids.length * 18);
    // The log row written in place (the format is WalRows'): no call per byte, one-byte ids deltas inline.
    const buf = out.buf;
    const data = out.data;
    const isSeries = this.o.isSeries;
    let pos = start;
    let kept = 0;
    let prevId = 0;
    try {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (!isSeries(id)) throw new Error(`unknown series id ${id}`);
        const v = values[i] ?? NaN;
        if (!this.push(id, ts, v, walId)) continue;
        pos = writeLogSample(buf, data, pos, id - prevId, v);
        prevId = id;
        kept++;
      }
    } finally {
      // Whatever went into the heads goes into the log too, even if a bad id stopped the loop.
      out.len = pos;
      if (kept) {
        this.nextWalId++;
        this.wal.push(walId, ts, kept, start, pos);
        this.walSamples += kept;
      }
    }
  }

  /**
   * Adds a sample to a series' head. A sample at or before the series' newest
   * is a replay (or a clock step back) and is dropped, so it can neither be
   * stored twice nor count twice in a rollup.
   */
  push(id: number, ts: number, value: number, walId: number): boolean {
    const c = this.cols;
    if (ts <= c.lastTs[id]!) return false;
    c.lastTs[id] = ts;
    c.lastValue[id] = value;
    // Whatever is staged for the series goes first.
    if (this.staged.owner[id] !== -1) this.staged.settle(id);
    this.pushHead(id, ts, value, walId, this.o.now());
    return true;
  }

  /** A kept sample into its series' head, starting one (due `now` plus the chunk age) if it has none. */
  private pushHead(id: number, ts: number, value: number, walId: number, now: number): void {
    const h = this.heads;
    if (h.count[id] === 0) this.startHead(id, walId, now);
    h.push(id, ts, value);
    if (h.count[id]! >= MAX_CHUNK_SAMPLES || ts - h.firstTs[id]! >= MAX_CHUNK_SPAN_MS) this.seal(id);
  }

  /**
   * A series' staged samples of rows [from, b.rows) into its head (column c of block b): what pushHead does
   * row by row, a run at a time. A run ends at the sample that fills the head or spans its longest, as a
   * push would: the head is sealed there and the next row starts a new one.
   */
  private pushRows(id: number, b: Block, c: number, from: number): void {
    const h = this.heads;
    const n = b.ids.length;
    const rows = b.rows;
    for (let r = from; r < rows;) {
      const fresh = h.count[id] === 0;
      if (fresh) this.startHead(id, b.walId[r]!, b.now[r]!);
      const firstTs = fresh ? b.ts[r]! : h.firstTs[id]!;
      let end = Math.min(rows, r + MAX_CHUNK_SAMPLES - h.count[id]!);
      for (let k = r; k < end; k++) if (b.ts[k]! - firstTs >= MAX_CHUNK_SPAN_MS) end = k + 1;
      h.pushRun(id, b.ts, r, end, b.values, r * n + c, n);
      if (h.count[id]! >= MAX_CHUNK_SAMPLES || b.ts[end - 1]! - firstTs >= MAX_CHUNK_SPAN_MS) this.seal(id);
      r = end;
    }
  }

  /** A head begins: its log row, and its due slot (the chunk age from `now`, staggered per series). */
  private startHead(id: number, walId: number, now: number): void {
    const c = this.cols;
    c.walFrom[id] = walId;
    // Stagger the sealing over a second chunk age so a fleet's heads are not all written in the same second.
    const dueAt = (c.dueAt[id] = now + this.o.chunkAgeMs + (id % 60) * (this.o.chunkAgeMs / 60));
    // (A head started from rows staged past its due slot is sealed at the next sweep, not never.)
    const slot = Math.max(Math.floor(dueAt / DUE_SLOT_MS), this.dueCursor);
    const list = this.due.get(slot);
    if (list) list.push(id);
    else this.due.set(slot, [id]);
  }

  /** A series' head with every sample appended so far in it (history-reader.ts reads it). */
  settled(id: number): HeadTable {
    this.staged.settle(id);
    return this.heads;
  }

  /** Copies a head into the next commit's chunks and frees it. */
  private seal(id: number): void {
    const h = this.heads;
    if (h.count[id] === 0) return;
    const out = this.sealedBytes;
    const start = out.len;
    // Straight from the head's segments into the commit's bytes: one copy, not a join and a copy.
    out.reserve(h.byteLength(id));
    out.len = h.copyTo(id, out.buf, start);
    this.sealed.push(id, h.firstTs[id]!, h.lastTs[id]!, h.count[id]!, start, out.len);
    h.release(id);
    this.o.onPending(false);
  }

  /** Seals the heads that have reached their age. */
  sealDue(now: number): void {
    const until = Math.floor(now / DUE_SLOT_MS);
    if (this.dueCursor > until) return;
    this.staged.sweep(now);
    // After a jump of the clock (a host that booted in 1970, then synced) the slots passed outnumber the slots
    // with heads due: those are visited, in order, instead of every tenth of a second in between.
    if (until - this.dueCursor > this.due.size) {
      const slots = [...this.due.keys()].filter((slot) => slot <= until).sort((a, b) => a - b);
      for (const slot of slots) this.sealSlot((this.dueCursor = Math.max(slot, this.dueCursor)));
    } else for (; this.dueCursor < until; this.dueCursor++) this.sealSlot(this.dueCursor);
    this.sealSlot((this.dueCursor = until));
    this.dueCursor = until + 1;
  }

  /** Seals the heads due in `slot` (the cursor's). */
  private sealSlot(slot: number): void {
    const ids = this.due.get(slot);
    if (!ids) return;
    this.due.delete(slot);
    for (const id of ids) {
      this.staged.settle(id);
      // A head sealed early and started again has a later due time of its own.
      if (this.heads.count[id]! > 0 && Math.floor(this.cols.dueAt[id]! / DUE_SLOT_MS) <= slot) this.seal(id);
    }
  }

  /** Every staged sample into its head. */
  settleAll(): void {
    this.staged.flushAll();
  }

  /** Seals every open head. */
  sealAll(): void {
    this.staged.flushAll();
    const n = this.heads.count.length;
    for (let id = 0; id < n; id++) this.seal(id);
  }

  /** Before a clean stop: every head becomes a chunk, so the last commit leaves no log row behind. */
  sealForClose(): void {
    this.sealAll();
    this.trimWalBelow = this.nextWalId;
  }

  /** Works out again which log rows the next commit may delete: those before every open head's first. */
  refreshTrim(): void {
    // A staged sample may start a head from its row: no row from the oldest staged one on is trimmed.
    let keepFrom = Math.min(this.nextWalId, this.staged.oldestWalId());
    const h = this.heads.count;
    const walFrom = this.cols.walFrom;
    for (let id = 0; id < h.length; id++) if (h[id]! > 0 && walFrom[id]! < keepFrom) keepFrom = walFrom[id]!;
    this.trimWalBelow = keepFrom;
  }

  get hasPending(): boolean {
    return this.wal.length > 0 || this.sealed.length > 0;
  }

  /** Log rows and chunks for the next commit; the appender starts afresh. */
  take(): AppendedParts {
    const parts: AppendedParts = {
      wal: this.wal.take(),
      walBytes: this.walBytes.copy(),
      chunks: Float64Array.from(this.sealed),
      chunkBytes: this.sealedBytes.copy(),
      trimWalBelow: this.trimWalBelow,
      samples: this.walSamples,
    };
    this.walBytes.len = 0;
    this.walSamples = 0;
    this.sealed = [];
    this.sealedBytes.len = 0;
    return parts;
  }

  /** Chunks sealed but not yet taken by a commit (CHUNK_FIELDS numbers each, bytes in `bytes`). */
  sealedChunks(): { fields: ArrayLike<number>; bytes: Uint8Array } {
    return { fields: this.sealed, bytes: this.sealedBytes.view() };
  }
}
