/**
 * Time to full from a linear fit, like Prometheus' predict_linear: least
 * squares over the recent history of available bytes, extrapolated to zero.
 */

export interface Point {
  /** ms */
  t: number;
  v: number;
}

/** The forecast's horizon cap: "not filling", or not within a year, both read as a year. */
export const NOT_FILLING_SECONDS = 365 * 24 * 3600;

/**
 * The last `windowMs` of a series in at most `maxPoints` points: when full,
 * every other point goes, so a long window keeps its span at a coarser step
 * (the fit needs the span more than the density).
 */
export class History {
  readonly points: Point[] = [];
  /** How many of the last points have the latest value: all of them means a flat series. */
  private sameRun = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxPoints = 720,
  ) {}

  add(t: number, v: number): void {
    const last = this.points.at(-1);
    this.sameRun = last && last.v === v ? this.sameRun + 1 : 1;
    this.points.push({ t, v });
    while (this.points.length > 0 && this.points[0]!.t < t - this.windowMs) this.points.shift();
    if (this.points.length > this.maxPoints) {
      const kept = this.points.filter((_p, i) => i % 2 === 0 || i === this.points.length - 1);
      this.points.splice(0, this.points.length, ...kept);
      let run = 0;
      while (run < kept.length && kept[kept.length - 1 - run]!.v === v) run++;
      this.sameRun = run;
    }
    this.sameRun = Math.min(this.sameRun, this.points.length);
  }

  /**
   * Every point has the same value: the fit's slope is 0, so the forecast is
   * NOT_FILLING_SECONDS without fitting (most file systems, most of the time).
   */
  get flat(): boolean {
    return this.points.length > 0 && this.sameRun === this.points.length;
  }
}

/** Least-squares slope (per ms) and the fitted value at `at`; null with fewer than two distinct times. */
export function linearFit(points: readonly Point[], at: number): { slope: number; valueAt: number } | null {
  const n = points.length;
  if (n < 2) return null;
  // centred on the mean time so float64 keeps its precision with epoch-ms timestamps
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.t - mt) ** 2;
    sxy += (p.t - mt) * (p.v - mv);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, valueAt: mv + slope * (at - mt) };
}

/**
 * Seconds until the fitted line reaches zero, from `now`. A shrinking or flat
 * series, or too little history, reads as NOT_FILLING_SECONDS; an already
 * empty one as 0.
 */
export function timeToFullSeconds(points: readonly Point[], now: number, minPoints: number): number {
  if (points.length < minPoints) return NOT_FILLING_SECONDS;
  const fit = linearFit(points, now);
  if (!fit || fit.slope >= 0) return NOT_FILLING_SECONDS;
  const seconds = fit.valueAt / -fit.slope / 1000;
  return Math.min(NOT_FILLING_SECONDS, Math.max(0, seconds));
}
