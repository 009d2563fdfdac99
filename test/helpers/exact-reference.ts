/**
 * Exact arithmetic on doubles for tests, independent of the code under test:
 * every finite double is an integer multiple of 2^-1074, so a sum of doubles
 * is an exact BigInt of such units, rounded back to the nearest double (ties
 * to even) by hand.
 */

const UNITS = 1074n; // 2^-1074, the smallest subnormal
const view = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double in units of 2^-1074. */
export function toUnits(x: number): bigint {
  if (!Number.isFinite(x)) throw new Error(`not finite: ${x}`);
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = (bits >> 52n) & 0x7ffn;
  const fraction = bits & ((1n << 52n) - 1n);
  // Normal: (2^52 + fraction) · 2^(biased − 1075); subnormal: fraction · 2^-1074.
  const units = biased === 0n ? fraction : (fraction | (1n << 52n)) << (biased - 1n);
  return negative ? -units : units;
}

/** The double nearest `units` · 2^-1074, ties to even (finite results only). */
export function fromUnits(units: bigint): number {
  if (units === 0n) return 0;
  const negative = units < 0n;
  let a = negative ? -units : units;
  let shift = 0n;
  const length = BigInt(a.toString(2).length);
  if (length > 53n) {
    shift = length - 53n;
    const kept = a >> shift;
    const rest = a - (kept << shift);
    const half = 1n << (shift - 1n);
    a = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
  }
  // a < 2^54 is exact as a Number; the power of two is split so neither factor leaves the double range.
  const exponent = Number(shift - UNITS);
  const value = Number(a) * 2 ** Math.max(exponent, -1022) * 2 ** Math.min(0, exponent + 1022);
  return negative ? -value : value;
}

/** The double nearest the exact sum of `xs`. */
export function exactSum(xs: readonly number[]): number {
  let units = 0n;
  for (const x of xs) units += toUnits(x);
  return fromUnits(units);
}
