/**
 * The last good extras of a session's binary batches (protocol 3), kept by
 * their bytes. An agent sends its collector statuses, and the states of its
 * log-path checks, md arrays and mongod, with every batch. From one second to
 * the next they are mostly the very same bytes: such extras were already
 * parsed and checked once, so they are not parsed and checked again — the
 * batch takes what those bytes decoded to. On a host with a live mongod they
 * never repeat (its gauges change every second), but what changes lies within
 * one or a few elements of `states`: the memo keeps where each element lies
 * (extras-spans.ts), and extras that differ from the kept ones only inside
 * some elements have just those parsed and checked; the others keep what
 * they decoded to. And when those elements differ only in their numbers (a
 * live mongod's gauges), they are not even parsed: extras-numbers.ts walks the
 * old and new bytes in lockstep and renews just the numbers. Anything else goes the full way (decodeExtras), which also
 * words every refusal. Extras with definitions are never kept (what they mean
 * depends on the session's table).
 */
import type { CheckedState, DecodedBatch } from '../shared/protocol.js';
import { MAX_STATES } from '../shared/protocol.js';
import { stateByHand } from './extras-check.js';
import { renumbered } from './extras-numbers.js';
import { elementSpans, isSpace, statesSpans, type Spans } from './extras-spans.js';

/** Extras longer than this are parsed every time: a copy of them per session would cost more than it saves. */
export const MAX_REMEMBERED_EXTRAS_BYTES = 16 * 1024;

/** Room kept past the extras' size, so that a gauge gaining a digit does not need new memory. */
const SLACK_BYTES = 64;

/** What extras decode to, besides definitions. */
export type DecodedExtras = Pick<DecodedBatch, 'collectors' | 'stateKinds' | 'states'>;

/** Extras decoded element-wise, with their elements' spans, until the frame is known to be good. */
interface Pending {
  decoded: DecodedExtras;
  spans: Spans;
}

export class ExtrasMemo {
  /** Kept memory: the extras are its first `length` bytes. */
  private bytes: Buffer | null = null;
  private length = 0;
  private decoded: DecodedExtras | null = null;
  /** Where the elements of `states` lie in `bytes`; null when the scanner could not tell. */
  private spans: Spans | null = null;
  private pending: Pending | null = null;
  /** How the last extras were recalled (for tests): the same bytes, numbers anew, some elements anew, or not at all. */
  lastRecall: 'same bytes' | 'numbers' | 'elements' | 'none' = 'none';

  /**
   * What `frame[start, end)` decodes to, when that follows from the last good
   * extras: the same bytes, or bytes that differ only inside elements of
   * `states` in their numbers, or whose new text parses and keeps the rules.
   * Null: decode them in full (that also finds every refusal).
   */
  recall(frame: Uint8Array, start: number, end: number): DecodedExtras | null {
    const known = this.bytes;
    const n = end - start;
    this.lastRecall = 'none';
    if (known === null || this.decoded === null || n > MAX_REMEMBERED_EXTRAS_BYTES) return null;
    const m = this.length;
    if (n === m && known.compare(frame, start, end, 0, m) === 0) {
      this.lastRecall = 'same bytes';
      return this.decoded;
    }
    if (this.spans === null || this.decoded.states === undefined) return null;
    this.pending = this.byElements(frame, start, n);
    return this.pending?.decoded ?? null;
  }

  /**
   * The extras `frame[start, start + n)` decoded from the kept ones: the
   * elements before `first` and after `last` are the same bytes, so only
   * those between are renewed: by their numbers when nothing else changed,
   * else by a parse and a check of their new text.
   */
  private byElements(frame: Uint8Array, start: number, n: number): Pending | null {
    const { starts, ends } = this.spans!;
    const k = starts.length;
    const delta = n - this.length;
    const first = sameUpTo(this.bytes!, starts, frame, start, n);
    const last = first < 0 ? -1 : sameAfter(this.bytes!, this.length, this.spans!, first, frame, start, n);
    if (last < 0) return null;
    const numbers = this.byNumbers(frame, start, first, last, delta);
    if (numbers) return numbers;
    const from = start + starts[first]!;
    const to = start + ends[last]! + delta;
    const fresh = parseElements(frame, from, to);
    if (fresh === null || fresh.length === 0 || k - (last - first + 1) + fresh.length > MAX_STATES) return null;
    const checked = new Array<CheckedState>(fresh.length);
    for (let x = 0; x < fresh.length; x++) {
      const s = stateByHand(fresh[x]);
      if (s === null) return null;
      checked[x] = s;
    }
    const freshSpans = fresh.length === 1 ? soleSpan(frame, from, to, start) : elementSpans(frame, from, to, start);
    if (freshSpans === null || freshSpans.starts.length !== fresh.length) return null;
    const spans: Spans = {
      starts: spliced(starts, first, last, freshSpans.starts, delta),
      ends: spliced(ends, first, last, freshSpans.ends, delta),
    };
    this.lastRecall = 'elements';
    return { decoded: this.withStates(spliced(this.decoded!.states!, first, last, checked, 0)), spans };
  }

  /**
   * The extras whose elements `first` to `last` differ from the kept ones only
   * in number tokens, renewed without a parse or a check (extras-numbers.ts
   * says why they need none); null when they differ otherwise.
   */
  private byNumbers(frame: Uint8Array, start: number, first: number, last: number, delta: number): Pending | null {
    const { starts, ends } = this.spans!;
    const states = this.decoded!.states!;
    const walked = renumbered(this.bytes!, this.spans!, first, last, states, frame, start, delta);
    if (walked === null) return null;
    this.lastRecall = 'numbers';
    const moved = walked.spans;
    const spans: Spans =
      moved === null // nothing changed length: the elements lie where they lay
        ? this.spans!
        : {
            starts: spliced(starts, first, last, moved.starts, delta),
            ends: spliced(ends, first, last, moved.ends, delta),
          };
    return { decoded: this.withStates(spliced(states, first, last, walked.states, 0)), spans };
  }

  /** The kept extras with `states` in place of theirs. */
  private withStates(states: CheckedState[]): DecodedExtras {
    const { collectors, stateKinds } = this.decoded!;
    const decoded: DecodedExtras = {}; // keys in decodeExtras' order
    if (collectors) decoded.collectors = collectors;
    if (stateKinds) decoded.stateKinds = stateKinds;
    decoded.states = states;
    return decoded;
  }

  /**
   * Keeps good extras `frame[start, end)` (without definitions): `known` is
   * what recall gave for them (null: decoded in full, as `batch` holds).
   */
  remember(frame: Uint8Array, start: number, end: number, batch: DecodedBatch, known: DecodedExtras | null): void {
    const n = end - start;
    if (n > MAX_REMEMBERED_EXTRAS_BYTES || (known !== null && known === this.decoded)) return;
    this.keepBytes(frame, start, end);
    const pending = this.pending;
    this.pending = null;
    if (known !== null && pending !== null && known === pending.decoded) {
      this.decoded = known;
      this.spans = pending.spans;
      return;
    }
    this.decoded = {
      ...(batch.collectors ? { collectors: batch.collectors } : {}),
      ...(batch.stateKinds ? { stateKinds: batch.stateKinds } : {}),
      ...(batch.states ? { states: batch.states } : {}),
    };
    this.spans = batch.states ? statesSpans(this.bytes!, n) : null;
  }

  /** A copy of the extras (the frame is a socket read) into the memory kept, grown only when they outgrow it. */
  private keepBytes(frame: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.bytes === null || this.bytes.length < n)
      this.bytes = Buffer.allocUnsafeSlow(Math.min(MAX_REMEMBERED_EXTRAS_BYTES, n + SLACK_BYTES));
    if (Buffer.isBuffer(frame)) frame.copy(this.bytes, 0, start, end);
    else this.bytes.set(frame.subarray(start, end));
    this.length = n;
  }

  /** The size of the extras kept (0: none), for tests of the bound. */
  get rememberedBytes(): number {
    return this.length;
  }

  /** The size of the memory kept for them, for tests of its reuse. */
  get keptCapacity(): number {
    return this.bytes?.length ?? 0;
  }
}

/** Remembered (or hand-checked) extras into a batch, in the order decodeExtras sets them. */
export function applyRemembered(known: DecodedExtras, batch: DecodedBatch): void {
  if (known.collectors) batch.collectors = known.collectors;
  if (known.stateKinds) batch.stateKinds = known.stateKinds;
  if (known.states) batch.states = known.states;
}

/**
 * The last element `i` with `known[0, starts[i])` the same bytes as
 * `frame[start, start + starts[i])` (-1: none), found by a native compare per
 * element, from the first on.
 */
function sameUpTo(known: Buffer, starts: number[], frame: Uint8Array, start: number, n: number): number {
  let from = 0;
  for (let i = 0; i < starts.length; i++) {
    const to = starts[i]!;
    if (to > n || known.compare(frame, start + from, start + to, from, to) !== 0) return i - 1;
    from = to;
  }
  return starts.length - 1;
}

/**
 * The first element `j` from `first` on with `known[ends[j], m)` the same
 * bytes as the last `m - ends[j]` of the frame's extras `frame[start, start + n)`,
 * clear of the frame's bytes before element `first`; -1: none. A native
 * compare per element, from the last on.
 */
function sameAfter(known: Buffer, m: number, spans: Spans, first: number, frame: Uint8Array, start: number, n: number) {
  const { starts, ends } = spans;
  const delta = n - m;
  let to = m;
  let j = ends.length;
  while (j > first) {
    const from = ends[j - 1]!;
    // The bytes kept must not reach into the frame's bytes before element `first`, which the prefix covers.
    if (from + delta < starts[first]!) break;
    if (known.compare(frame, start + from + delta, start + to + delta, from, to) !== 0) break;
    to = from;
    j--;
  }
  return j === ends.length ? -1 : j; // -1: the bytes after the last element changed
}

/** The values listed in `frame[from, to)`, or null when they are not JSON. */
function parseElements(frame: Uint8Array, from: number, to: number): unknown[] | null {
  const text = Buffer.isBuffer(frame)
    ? frame.toString('utf8', from, to)
    : Buffer.from(frame.buffer, frame.byteOffset + from, to - from).toString('utf8');
  try {
    return JSON.parse('[' + text + ']') as unknown[];
  } catch {
    return null;
  }
}

/** The span of the one value in `frame[from, to)` (JSON.parse found just one there): its bytes less whitespace. */
function soleSpan(frame: Uint8Array, from: number, to: number, base: number): Spans {
  while (isSpace(frame[from])) from++;
  while (isSpace(frame[to - 1])) to--;
  return { starts: [from - base], ends: [to - base] };
}

/** `items` with those from `first` to `last` replaced by `fresh`, and those after them moved by `delta` (numbers only). */
function spliced<T>(items: T[], first: number, last: number, fresh: T[], delta: T extends number ? number : 0): T[] {
  const out = new Array<T>(items.length - (last - first + 1) + fresh.length);
  let o = 0;
  for (let x = 0; x < first; x++) out[o++] = items[x]!;
  for (let x = 0; x < fresh.length; x++) out[o++] = fresh[x]!;
  if (delta === 0) for (let x = last + 1; x < items.length; x++) out[o++] = items[x]!;
  else for (let x = last + 1; x < items.length; x++) out[o++] = ((items[x] as number) + delta) as T;
  return out;
}
