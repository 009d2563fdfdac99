/**
 * Elements of `states` whose bytes differ from the kept ones only in number
 * tokens, decoded without JSON.parse (extras-memo.ts). A live mongod's status
 * state changes every second, but only in its numbers (uptime, queue counts,
 * tickets, connections): a small tokenizer walks the kept bytes and the new
 * ones in lockstep beside the kept decoded state, and builds the new state as
 * an immutable update of it — fresh (shallow-copied) objects and arrays only
 * on the paths to the numbers that changed, everything else shared. The kept
 * values are never written to: the host registry, the dashboard and alert
 * facts may hold them, and a frame can still be refused after its extras
 * were decoded.
 *
 * The walker accepts only what it is sure of: every byte but a number token's
 * the same in both, a new number token that is a JSON number, an object's keys
 * (plain ASCII, no escapes) the kept object's own keys in their order — so an
 * object with a key twice, whose parsed value has fewer keys than its text,
 * or with integer-like keys JSON.parse reorders, is not walked. Anything else
 * answers null and the caller keeps to the element path (parse and check).
 *
 * Why a changed element is not checked again: a number-for-number change
 * never changes the verdict of stateByHand (extras-check.ts). It judges an
 * element by its structure, its keys, its strings and the type of its leaves
 * (withinLimits counts nodes, depth, keys, items and string lengths; a number
 * passes whatever its value, Infinity included), and bytes that differ only in
 * numbers parse to the same structure, keys, strings and leaf types. So the
 * new element is as good as the kept one it came from; and its kind's shape
 * (shared/state-shapes.ts, types not values) is the kept one's too, so a
 * state set aside for its shape stays set aside, with the same `problem`.
 * test/server/extras-numbers.test.ts holds stateByHand to this.
 */
import type { CheckedState, WireState } from '../shared/protocol.js';
import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
  isSpace,
  type Spans,
} from './extras-spans.js';

const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** The walk could not be sure: keep to the element path. */
const FAIL: unique symbol = Symbol('not numbers only');
/** A walked value, or FAIL. */
type Walked = unknown;

const isDigit = (c: number) => c >= ZERO && c <= NINE;
/** A byte that may be part of a number token (a run of them is one token: JSON puts none next to a number). */
const inNumber = (c: number) => isDigit(c) || c === MINUS || c === PLUS || c === DOT || c === LOWER_E || c === UPPER_E;

/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POWERS = Array.from({ length: 23 }, (_, e) => 10 ** e);

const EMPTY: Uint8Array = Buffer.alloc(0); // a Buffer, as the bytes walked are: one kind of array at each read
/** Where the two walks are: `a` the kept bytes, `b` the new ones; positions past their ends read as -1. */
let a: Uint8Array = EMPTY;
let aEnd = 0;
let i = 0;
let b: Uint8Array = a;
let bEnd = 0;
let j = 0;
/** Whether a number token took a different length (the elements after it moved). */
let moved = false;

const atA = (at: number) => (at < aEnd ? a[at]! : -1);
const atB = (at: number) => (at < bEnd ? b[at]! : -1);

/** The new states of the elements walked, and where they lie in the new extras (relative to their start). */
export interface Renumbered {
  states: CheckedState[];
  /** Null when every element lies where it lay (no number token changed its length). */
  spans: Spans | null;
}

/**
 * The elements `first` to `last` of the kept `states` (whose bytes lie at
 * `spans` in `known`) renewed from the extras at `frame[start…]`, whose
 * elements `first` to `last` end `delta` bytes later than the kept ones (the
 * bytes before and after them are the same, the caller found), when their
 * bytes differ from the kept ones only in number tokens; null when they do
 * not, or the walk is not sure.
 */
export function renumbered(
  known: Uint8Array,
  spans: Spans,
  first: number,
  last: number,
  kept: readonly CheckedState[],
  frame: Uint8Array,
  start: number,
  delta: number,
): Renumbered | null {
  const { starts, ends } = spans;
  a = known;
  i = starts[first]!;
  aEnd = ends[last]!;
  b = frame;
  j = start + i;
  bEnd = Math.min(frame.length, start + aEnd + delta);
  moved = false;
  const states = new Array<CheckedState>(last - first + 1);
  const newStarts = walkedStarts;
  const newEnds = walkedEnds;
  let ok = true;
  for (let x = first; ok && x <= last; x++) {
    if (x > first) ok = space() && punct(COMMA) && space() && i === starts[x];
    newStarts[x - first] = j - start;
    const s: CheckedState | typeof FAIL = ok ? state(kept[x]!) : FAIL;
    ok = s !== FAIL && i === ends[x];
    states[x - first] = s as CheckedState;
    newEnds[x - first] = j - start;
  }
  ok &&= i === aEnd && j === bEnd;
  const shifted = moved;
  a = b = EMPTY; // the frame is a socket read: not kept alive from here
  if (!ok) return null;
  if (!shifted) return { states, spans: null };
  return { states, spans: { starts: newStarts.slice(0, states.length), ends: newEnds.slice(0, states.length) } };
}

/** Where the walked elements lie in the new extras: kept from walk to walk, copied out only when they moved. */
const walkedStarts: number[] = [];
const walkedEnds: number[] = [];

/** Whitespace, the same in both; true (a difference is found by what follows). */
function space(): boolean {
  while (isSpace(atA(i)) && atB(j) === atA(i)) {
    i++;
    j++;
  }
  return true;
}

/** The byte `c` in both. */
function punct(c: number): boolean {
  if (atA(i) !== c || atB(j) !== c) return false;
  i++;
  j++;
  return true;
}

/** A state element: an object of `kind`, `key` and `value`, each once (the kept state has just these). */
function state(was: CheckedState): CheckedState | typeof FAIL {
  if (!punct(OPEN_OBJECT)) return FAIL;
  let seen = 0;
  let value: Walked = was.value;
  for (let n = 0; n < 3; n++) {
    if (n > 0 && !punct(COMMA)) return FAIL;
    space();
    const which = key('kind') ? 1 : key('key') ? 2 : key('value') ? 4 : 0;
    if (which === 0 || (seen & which) !== 0) return FAIL;
    seen |= which;
    if (!(space() && punct(COLON) && space())) return FAIL;
    const now = which === 4 ? walk(was.value) : walk(which === 1 ? was.kind : was.key);
    if (now === FAIL) return FAIL;
    if (which === 4) value = now;
    space();
  }
  if (!punct(CLOSE_OBJECT)) return FAIL;
  if (value === was.value) return was;
  const renewed: CheckedState = { kind: was.kind, key: was.key, value: value as WireState['value'] };
  // Its shape is the kept one's (shared/state-shapes.ts judges no number's value): so is its verdict.
  if (was.problem !== undefined) renewed.problem = was.problem;
  return renewed;
}

/** The value at the walks' positions, given what the same bytes (but numbers) decoded to. */
function walk(was: unknown): Walked {
  const c = atA(i);
  // Most of a state's objects and arrays did not change: one tight scan finds that, and walks past them.
  if ((c === OPEN_OBJECT || c === OPEN_ARRAY) && unchanged()) return was;
  if (c === OPEN_OBJECT) return object(was);
  if (c === OPEN_ARRAY) return array(was);
  if (c === QUOTE) return string(was);
  if (c === MINUS || isDigit(c)) return number(was);
  return literal(was);
}

/**
 * True, past it in both, when the object or array at the walks' positions is
 * the same bytes in both (so what they decoded to is the same); false, the
 * positions as they were, when it is not.
 */
function unchanged(): boolean {
  const old = a;
  const now = b;
  const shift = j - i;
  const end = Math.min(aEnd, bEnd - shift);
  let depth = 0;
  let inString = false;
  for (let x = i; x < end; x++) {
    const c = old[x]!;
    if (c !== now[x + shift]) return false;
    if (inString) {
      if (c === BACKSLASH) {
        x++;
        if (x >= end || old[x] !== now[x + shift]) return false;
      } else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) {
      i = x + 1;
      j = i + shift;
      return true;
    }
  }
  return false;
}

/** The key `k` (plain ASCII, no escapes) in both, quotes included. */
function key(k: string): boolean {
  const len = k.length;
  if (atA(i) !== QUOTE || atB(j) !== QUOTE || atA(i + len + 1) !== QUOTE || atB(j + len + 1) !== QUOTE) return false;
  const old = a;
  const now = b;
  const p = i + 1;
  const q = j + 1;
  for (let x = 0; x < len; x++) {
    const ch = k.charCodeAt(x);
    if (ch >= 0x80 || ch < 0x20 || ch === QUOTE || ch === BACKSLASH) return false;
    if (old[p + x] !== ch || now[q + x] !== ch) return false;
  }
  i = p + len + 1;
  j = q + len + 1;
  return true;
}

function object(was: unknown): Walked {
  if (was === null || typeof was !== 'object' || Array.isArray(was)) return FAIL;
  const old = was as Record<string, unknown>;
  if (!(punct(OPEN_OBJECT) && space())) return FAIL;
  let copy: Record<string, unknown> | null = null;
  let n = 0;
  for (const k in old) {
    if (n++ > 0 && !(punct(COMMA) && space())) return FAIL;
    if (!key(k) || !(space() && punct(COLON) && space())) return FAIL;
    const before = old[k];
    const now = walk(before);
    if (now === FAIL) return FAIL;
    if (!Object.is(now, before)) {
      if (k === '__proto__') return FAIL; // never kept (a forbidden key): an assignment would set the prototype
      copy ??= { ...old };
      copy[k] = now;
    }
    space();
  }
  // A key more in the bytes than in the object (a key twice: JSON.parse kept the last) fails here.
  return punct(CLOSE_OBJECT) ? (copy ?? old) : FAIL;
}

function array(was: unknown): Walked {
  if (!Array.isArray(was)) return FAIL;
  const old = was as unknown[];
  if (!(punct(OPEN_ARRAY) && space())) return FAIL;
  let copy: unknown[] | null = null;
  for (let x = 0; x < old.length; x++) {
    if (x > 0 && !(punct(COMMA) && space())) return FAIL;
    const before = old[x];
    const now = walk(before);
    if (now === FAIL) return FAIL;
    if (!Object.is(now, before)) {
      copy ??= old.slice();
      copy[x] = now;
    }
    space();
  }
  return punct(CLOSE_ARRAY) ? (copy ?? old) : FAIL;
}

/** A string, the same bytes in both (escapes included): what it decoded to. */
function string(was: unknown): Walked {
  if (typeof was !== 'string' || atB(j) !== QUOTE) return FAIL;
  const old = a;
  const now = b;
  // Within both ends: the same bytes up to the closing quote, escapes skipped.
  const shift = j - i;
  const end = Math.min(aEnd, bEnd - shift);
  for (let x = i + 1; x < end; x++) {
    const c = old[x]!;
    if (c !== now[x + shift]) return FAIL;
    if (c === BACKSLASH) {
      x++;
      if (x >= end || old[x] !== now[x + shift]) return FAIL;
    } else if (c === QUOTE) {
      i = x + 1;
      j = x + 1 + shift;
      return was;
    }
  }
  return FAIL;
}

/** `true`, `false` or `null`, the same in both. */
function literal(was: unknown): Walked {
  if (was !== null && typeof was !== 'boolean') return FAIL;
  const len = was === null || was ? 4 : 5;
  for (let x = 0; x < len; x++) if (atA(i + x) < 0 || atA(i + x) !== atB(j + x)) return FAIL;
  i += len;
  j += len;
  return was;
}

/** A number token in both: the kept value when its text is the same, else the new token's value as JSON.parse reads it. */
function number(was: unknown): Walked {
  if (typeof was !== 'number') return FAIL;
  let x = i;
  while (inNumber(atA(x))) x++;
  let y = j;
  while (inNumber(atB(y))) y++;
  const oldLength = x - i;
  const newLength = y - j;
  let same = oldLength === newLength;
  for (let k = 0; same && k < oldLength; k++) same = a[i + k] === b[j + k];
  const from = j;
  i = x;
  j = y;
  if (same) return was;
  const now = jsonNumber(b, from, y);
  if (now === null) return FAIL;
  if (oldLength !== newLength) moved = true;
  return Object.is(now, was) ? was : now;
}

/**
 * The value of the JSON number `t[from, to)` as JSON.parse reads it, or null
 * when it is not one (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`). Up to 15
 * digits and a power of ten up to 22 away, the digits as an integer times or
 * over an exact power of ten: one rounding of exact operands, so the correctly
 * rounded value, as parsing gives (Clinger's fast path). Otherwise Number() of
 * the text, which reads a JSON number as JSON.parse does.
 */
export function jsonNumber(t: Uint8Array, from: number, to: number): number | null {
  let k = from;
  const negative = t[k] === MINUS;
  if (negative) k++;
  if (k >= to || !isDigit(t[k]!)) return null;
  let digits = 0;
  let mantissa = 0;
  if (t[k] === ZERO) k++;
  else for (; k < to && isDigit(t[k]!); k++, digits++) mantissa = mantissa * 10 + (t[k]! - ZERO);
  let fraction = 0;
  if (k < to && t[k] === DOT) {
    k++;
    if (k >= to || !isDigit(t[k]!)) return null;
    for (; k < to && isDigit(t[k]!); k++, fraction++) {
      mantissa = mantissa * 10 + (t[k]! - ZERO);
      if (mantissa !== 0) digits++;
    }
  }
  let exponent = 0;
  if (k < to && (t[k] === LOWER_E || t[k] === UPPER_E)) {
    k++;
    const down = t[k] === MINUS;
    if (down || t[k] === PLUS) k++;
    if (k >= to || !isDigit(t[k]!)) return null;
    for (; k < to && isDigit(t[k]!); k++) exponent = Math.min(exponent * 10 + (t[k]! - ZERO), 1e6);
    if (down) exponent = -exponent;
  }
  if (k !== to) return null;
  const scale = exponent - fraction;
  if (digits > 15 || scale < -22 || scale > 22) return Number(latin1(t, from, to));
  const v = scale < 0 ? mantissa / POWERS[-scale]! : mantissa * POWERS[scale]!;
  return negative ? -v : v; // -0 for "-0", as JSON.parse
}

function latin1(t: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let k = from; k < to; k++) s += String.fromCharCode(t[k]!);
  return s;
}
