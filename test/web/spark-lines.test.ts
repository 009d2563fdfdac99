import { describe, expect, it } from 'vitest';
import { SPARK_BUCKET_MS, SPARK_POINTS } from '../../shared/overview.js';
import { SparkLines } from '../../web/src/spark-lines.js';

// A bucket boundary, so the ends below are whole buckets apart.
const START = Math.ceil(1_700_000_000_000 / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;

describe('the overview’s sparklines in one typed array', () => {
  /** A line holding [10, 20] that ends at START. */
  const start = () => {
    const lines = new SparkLines();
    const line = lines.add();
    lines.set(line, [10, 20], START);
    return { lines, line };
  };

  it('appends a push’s points once, a skipped bucket as a gap, and keeps SPARK_POINTS at most', () => {
    // The same rules as appendSpark on a tile (test/server/overview-push.test.ts), worked by hand.
    let { lines, line } = start();
    expect(lines.append(line, [30], START, 0, 1)).toBe(false);
    expect(lines.points(line)).toEqual([10, 20]);
    expect(lines.append(line, [30], START + SPARK_BUCKET_MS, 0, 1)).toBe(true);
    expect([lines.points(line), lines.end(line)]).toEqual([[10, 20, 30], START + SPARK_BUCKET_MS]);
    // Three buckets later with one point: the two buckets between are gaps.
    ({ lines, line } = start());
    lines.append(line, [40], START + 3 * SPARK_BUCKET_MS, 0, 1);
    expect(lines.points(line)).toEqual([10, 20, null, null, 40]);
    expect(lines.newest(line)).toBe(40);
    // Points the line already has (the first two of three end at or before its end) are skipped.
    ({ lines, line } = start());
    lines.append(line, [20, 30, 40], START + 2 * SPARK_BUCKET_MS, 0, 3);
    expect(lines.points(line)).toEqual([10, 20, 30, 40]);
    // A full line drops its oldest point for each new one.
    ({ lines, line } = start());
    lines.set(
      line,
      Array.from({ length: SPARK_POINTS }, (_, i) => i),
      START,
    );
    lines.append(line, [99, null], START + 2 * SPARK_BUCKET_MS, 0, 2);
    const full = lines.points(line);
    expect(full).toHaveLength(SPARK_POINTS);
    expect([full[0], full.at(-2), full.at(-1)]).toEqual([2, 99, null]);
    // Its newest point that is not a gap.
    expect(lines.newest(line)).toBe(99);
    // A line with no point yet takes the points as sent; a whole tile's line longer than the window keeps its newest.
    const fresh = lines.add();
    expect(lines.newest(fresh)).toBeUndefined();
    lines.append(fresh, [1, 2, 3, 4], START, 1, 2);
    expect(lines.points(fresh)).toEqual([2, 3]);
    lines.set(
      fresh,
      Array.from({ length: SPARK_POINTS + 5 }, (_, i) => i),
      START,
    );
    expect(lines.points(fresh)[0]).toBe(5);
  });

  it('keeps each host’s line apart as lines are added and released past the first allocation', () => {
    const lines = new SparkLines();
    const ids = Array.from({ length: 200 }, () => lines.add());
    ids.forEach((line, i) => lines.set(line, [i, i + 1], START));
    expect(lines.points(ids[0]!)).toEqual([0, 1]);
    expect(lines.points(ids[199]!)).toEqual([199, 200]);
    lines.release(ids[7]!);
    const again = lines.add();
    expect(again).toBe(ids[7]);
    // A line given out again starts empty.
    expect([lines.points(again), lines.end(again)]).toEqual([[], 0]);
    expect(lines.points(ids[8]!)).toEqual([8, 9]);
  });
});
