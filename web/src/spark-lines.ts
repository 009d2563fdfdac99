/**
 * Every host's sparkline in one typed array, outside the JS heap: 5 000
 * lines of 30 points as 5 000 arrays were 150 000 slots for the garbage
 * collector to mark and move, and every 10 s each array grew a new backing
 * store (appending to a full array) and left the old one as garbage in the
 * old generation, which is what the tab's major collections were made of.
 * A line is a fixed window of SPARK_POINTS slots; NaN is a gap (null).
 */
import { freshPoints, SPARK_POINTS } from '../../shared/overview.js';

export class SparkLines {
  private values = new Float64Array(0);
  private lengths = new Uint8Array(0);
  private ends = new Float64Array(0);
  private readonly free: number[] = [];
  private used = 0;

  /** A new empty line; its number stays the host's until released. */
  add(): number {
    const line = this.free.pop() ?? this.used++;
    if (line >= this.lengths.length) this.grow(Math.max(64, this.lengths.length * 2));
    this.lengths[line] = 0;
    this.ends[line] = 0;
    return line;
  }

  release(line: number): void {
    this.free.push(line);
  }

  private grow(lines: number): void {
    const values = new Float64Array(lines * SPARK_POINTS);
    values.set(this.values);
    const lengths = new Uint8Array(lines);
    lengths.set(this.lengths);
    const ends = new Float64Array(lines);
    ends.set(this.ends);
    [this.values, this.lengths, this.ends] = [values, lengths, ends];
  }

  /** Epoch ms at which the line's newest point's bucket ended (0: no point yet). */
  end(line: number): number {
    return this.ends[line]!;
  }

  /** A whole line as a tile carries it (a full frame, or a tile that travelled whole). */
  set(line: number, points: readonly (number | null)[], end: number): void {
    this.lengths[line] = 0;
    const from = Math.max(0, points.length - SPARK_POINTS);
    for (let i = from; i < points.length; i++) this.push(line, points[i]!);
    this.ends[line] = end;
  }

  /**
   * Appends a push's points (`count` of them in `values`, from `from`), by
   * the same rules as `appendSpark` (shared/overview.ts): only points after
   * the line's end, a skipped bucket as a gap. Returns whether it changed.
   */
  append(line: number, values: readonly (number | null)[], end: number, from: number, count: number): boolean {
    const was = this.ends[line]!;
    if (end <= was) return false;
    const fresh = freshPoints(was, end, count);
    for (let gap = fresh - count; gap > 0; gap--) this.push(line, null);
    for (let i = Math.max(0, count - fresh); i < count; i++) this.push(line, values[from + i]!);
    this.ends[line] = end;
    return true;
  }

  private push(line: number, v: number | null): void {
    const base = line * SPARK_POINTS;
    const length = this.lengths[line]!;
    const value = v === null ? NaN : v;
    if (length < SPARK_POINTS) {
      this.values[base + length] = value;
      this.lengths[line] = length + 1;
      return;
    }
    this.values.copyWithin(base, base + 1, base + SPARK_POINTS);
    this.values[base + SPARK_POINTS - 1] = value;
  }

  /** The line's points, oldest first (for drawing the few tiles in view). */
  points(line: number): (number | null)[] {
    const base = line * SPARK_POINTS;
    const out: (number | null)[] = [];
    for (let i = 0; i < this.lengths[line]!; i++) {
      const v = this.values[base + i]!;
      out.push(Number.isNaN(v) ? null : v);
    }
    return out;
  }

  /** The newest point that is not a gap. */
  newest(line: number): number | undefined {
    const base = line * SPARK_POINTS;
    for (let i = this.lengths[line]! - 1; i >= 0; i--) {
      const v = this.values[base + i]!;
      if (!Number.isNaN(v)) return v;
    }
    return undefined;
  }
}
