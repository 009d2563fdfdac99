import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../server/store/memory.js';

/** The memory store's per-series ring grows as points arrive and, once full, keeps the newest `pointsPerSeries`. */

function fill(store: MemoryStore, n: number): number {
  const id = store.seriesId('h', 'disk_util_percent', { device: 'sda' });
  for (let i = 1; i <= n; i++) store.appendValues(i * 1000, [id], [i % 7 === 0 ? null : i]);
  return id;
}

const all = (store: MemoryStore) =>
  store.query({ host: 'h', metric: 'disk_util_percent', from: 0, to: Number.MAX_SAFE_INTEGER })[0]!.points;

describe('memory store ring', () => {
  it('keeps every point while growing past its first arrays (8, 16, … up to the capacity)', () => {
    const store = new MemoryStore(100);
    fill(store, 37);
    const points = all(store);
    expect(points).toHaveLength(37);
    // Point i is at i s with value i, or null where i is a multiple of 7.
    points.forEach(([ts, v], k) => {
      const i = k + 1;
      expect(ts).toBe(i * 1000);
      expect(v).toBe(i % 7 === 0 ? null : i);
    });
  });

  it('once full, keeps the newest `pointsPerSeries` in order, across several wraps', () => {
    const store = new MemoryStore(100);
    fill(store, 1234);
    const points = all(store);
    expect(points).toHaveLength(100);
    expect(points[0]![0]).toBe(1135 * 1000); // 1234 - 100 + 1
    expect(points.at(-1)).toEqual([1234 * 1000, 1234]); // 1234 is not a multiple of 7
    const range = store.query({ host: 'h', metric: 'disk_util_percent', from: 1200_000, to: 1210_000 })[0]!.points;
    expect(range.map(([ts]) => ts / 1000)).toEqual([1200, 1201, 1202, 1203, 1204, 1205, 1206, 1207, 1208, 1209, 1210]);
  });

  it('a capacity below the first array size is still the bound', () => {
    const store = new MemoryStore(5);
    fill(store, 12);
    expect(all(store).map(([ts]) => ts / 1000)).toEqual([8, 9, 10, 11, 12]);
  });

  it('a flood of new series with a point each costs about its points, not a whole hour each', () => {
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const store = new MemoryStore(); // 4 000 points a series: allocated whole, 64 KB each, 320 MB for 5 000
    const before = used();
    for (let i = 0; i < 5000; i++)
      store.appendValues(1000, [store.seriesId('flood', 'disk_util_percent', { device: `d${i}` })], [i]);
    // 5 000 series with a few hundred bytes each (key, labels, arrays of 8 points) is a few MB; 40 MB leaves room
    // for garbage not yet collected and is still an eighth of the whole-hour allocation.
    expect(used() - before).toBeLessThan(40 * 1024 * 1024);
  });
});
