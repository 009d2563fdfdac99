/**
 * An exact running sum of doubles that values can also leave: the sum is kept
 * as non-overlapping partials (Shewchuk's expansion, as Python's math.fsum
 * keeps it), so adding and taking away are both exact and the sum read out is
 * the double nearest the true sum of what is in it, whatever the order the
 * values came and went. A window's average over hours of sliding therefore
 * cannot drift, and equals a fresh recomputation bit for bit.
 *
 * Only finite values of magnitude below TAME_LIMIT may go in: then no partial
 * can overflow (2^63 such values sum below 2^1023). Callers count others apart.
 */

/** Values at or above this magnitude (and non-finite ones) are not summed here: 2^960, about 9.7e288. */
export const TAME_LIMIT = 2 ** 960;

/** Whether `v` may go into an ExactSum. */
export function tame(v: number): boolean {
  return Math.abs(v) < TAME_LIMIT;
}

export class ExactSum {
  /** The first `count` are non-zero, non-overlapping and increasing in magnitude; their exact sum is the sum. */
  private readonly partials: number[] = [0, 0, 0, 0]; // room for the usual few, without push's 17-slot first growth
  private count = 0;

  /** Adds `x` (tame) exactly. Take a value away by adding its negation. */
  add(x: number): void {
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < this.count; j++) {
      let y = p[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    // The array only grows (to at most ~40 partials, the exponent range over 53 bits); setting its length is a call.
    if (x !== 0) {
      if (i === p.length) p.push(x);
      else p[i] = x;
      i++;
    }
    this.count = i;
  }

  clear(): void {
    this.count = 0;
  }

  /** How many partials hold the sum (for tests: bounded by the exponent range, in practice 1–3). */
  get size(): number {
    return this.count;
  }

  /** The double nearest the exact sum (ties to even), as math.fsum rounds it. */
  value(): number {
    const p = this.partials;
    let n = this.count;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    // From the largest partial down, until adding the next one is inexact.
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // `lo` was rounded away (half to even); if the partials below push the same way, the true sum lies past
    // the halfway point, so round the other way.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
