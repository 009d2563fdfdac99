/**
 * Where the elements of a batch's `states` array lie in the extras' bytes,
 * for the element-wise memo (extras-memo.ts). A small JSON-aware scanner: it
 * skips strings (and their escapes) and counts brackets, nothing more, so it
 * only runs over bytes JSON.parse has accepted. Anything it does not expect
 * (a key written with escapes, two `states` keys, the array missing) makes
 * it answer null: the caller then keeps to the full path.
 *
 * An element's span is [start, end): from its first byte to one past its
 * last, whitespace around it excluded; so the bytes before a span end in `[`
 * or `,` (and whitespace), and those after it start (after whitespace) with
 * `,` or `]`.
 */

/** JSON's punctuation, as bytes (extras-numbers.ts reads them too). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
const STATES_KEY = Buffer.from('states');

export interface Spans {
  starts: number[];
  ends: number[];
}

/** JSON's whitespace. */
export const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(b[i])) i++;
  return i;
}

/** One past the closing quote of the string whose opening quote is at `at`, or -1. */
export function stringEnd(b: Uint8Array, at: number, end: number): number {
  for (let i = at + 1; i < end; i++) {
    const c = b[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** One past the value starting at `at` (not whitespace), or -1. Scalars end before `,` `]` `}` or whitespace. */
function valueEnd(b: Uint8Array, at: number, end: number): number {
  const first = b[at];
  if (first === QUOTE) return stringEnd(b, at, end);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    let i = at;
    while (i < end && !isSpace(b[i]) && b[i] !== COMMA && b[i] !== CLOSE_ARRAY && b[i] !== CLOSE_OBJECT) i++;
    return i > at ? i : -1;
  }
  let depth = 0;
  for (let i = at; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) {
      const e = stringEnd(b, i, end);
      if (e < 0) return -1;
      i = e - 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * The spans of the elements listed in `b[from, to)` — an array's content
 * between its brackets — offset by `-base`; null when it is not a list of
 * values separated by commas.
 */
export function elementSpans(b: Uint8Array, from: number, to: number, base: number): Spans | null {
  const starts: number[] = [];
  const ends: number[] = [];
  let i = skipSpace(b, from, to);
  if (i === to) return { starts, ends };
  for (;;) {
    const e = valueEnd(b, i, to);
    if (e < 0) return null;
    starts.push(i - base);
    ends.push(e - base);
    i = skipSpace(b, e, to);
    if (i === to) return { starts, ends };
    if (b[i] !== COMMA) return null;
    i = skipSpace(b, i + 1, to);
    if (i === to) return null;
  }
}

/** True when the key whose quotes are at `at` and `end - 1` is `states`, written without escapes. */
function isStatesKey(b: Uint8Array, at: number, end: number): boolean {
  if (end - at !== STATES_KEY.length + 2) return false;
  for (let k = 0; k < STATES_KEY.length; k++) if (b[at + 1 + k] !== STATES_KEY[k]) return false;
  return true;
}

/** True when the key's bytes `b[at, end)` hold an escape: its name could be `states` written otherwise. */
function hasEscape(b: Uint8Array, at: number, end: number): boolean {
  for (let k = at; k < end; k++) if (b[k] === BACKSLASH) return true;
  return false;
}

/**
 * The spans of the `states` elements in the extras `b[0, length)` (a JSON
 * object JSON.parse accepted), relative to its start; null when the scanner
 * cannot be sure of them.
 */
export function statesSpans(b: Uint8Array, length: number): Spans | null {
  // Nothing past `length` is read: in the memo's buffer the bytes beyond are another frame's.
  const byte = (at: number) => (at < length ? b[at] : -1);
  let i = skipSpace(b, 0, length);
  if (byte(i) !== OPEN_OBJECT) return null;
  let found: Spans | null = null;
  i = skipSpace(b, i + 1, length);
  if (byte(i) === CLOSE_OBJECT) return null;
  for (;;) {
    if (byte(i) !== QUOTE) return null;
    const keyEnd = stringEnd(b, i, length);
    if (keyEnd < 0 || hasEscape(b, i, keyEnd)) return null;
    const states = isStatesKey(b, i, keyEnd);
    i = skipSpace(b, keyEnd, length);
    if (byte(i) !== COLON) return null;
    i = skipSpace(b, i + 1, length);
    const e = valueEnd(b, i, length);
    if (e < 0) return null;
    if (states) {
      if (found || byte(i) !== OPEN_ARRAY) return null;
      found = elementSpans(b, i + 1, e - 1, 0);
      if (!found) return null;
    }
    i = skipSpace(b, e, length);
    if (byte(i) === CLOSE_OBJECT) return found;
    if (byte(i) !== COMMA) return null;
    i = skipSpace(b, i + 1, length);
  }
}
