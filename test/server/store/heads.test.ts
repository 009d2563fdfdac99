import { describe, expect, it } from 'vitest';
import { decodeChunk } from '../../../server/store/chunk-codec.js';
import { HeadTable } from '../../../server/store/heads.js';

const decode = (t: HeadTable, id: number): [number, number | null][] => {
  const out: [number, number | null][] = [];
  decodeChunk(t.bytes(id), t.firstTs[id]!, t.count[id]!, (ts, v) => out.push([ts, v]));
  return out;
};

describe('head table (every series’ head in typed arrays and shared pages)', () => {
  it('keeps thousands of interleaved heads apart while they grow, move and are released', () => {
    const series = 3000;
    const t = new HeadTable(0, 16); // small first blocks: every head outgrows a few
    t.ensure(series);
    const expected: [number, number | null][][] = Array.from({ length: series }, () => []);
    const t0 = 1_700_000_000_000;
    for (let round = 0; round < 200; round++) {
      for (let id = 0; id < series; id++) {
        // Every seventh series is released now and then, so pages empty out and get reused.
        if (id % 7 === 0 && round % 50 === 49) {
          expect(decode(t, id)).toEqual(expected[id]);
          t.release(id);
          expected[id] = [];
          continue;
        }
        const ts = t0 + round * 1000 + (id % 3); // jitter: deltas of delta are not all 0
        const v = round % 11 === 0 ? null : id % 5 === 0 ? 42 : Math.sin(id + round) * 1e3;
        t.push(id, ts, v);
        expected[id]!.push([ts, v]);
      }
    }
    for (let id = 0; id < series; id++) expect(decode(t, id), `series ${id}`).toEqual(expected[id]);
    // 3000 heads of ~200 samples at 2–10 bytes: a few MiB of pages, reused rather than piling up.
    expect(t.pageBytes).toBeLessThan(16 * 2 ** 20);
  });

  it('reuses a page once all its blocks are released', () => {
    const t = new HeadTable(4000, 200);
    const fill = () => {
      for (let id = 0; id < 4000; id++) for (let i = 0; i < 10; i++) t.push(id, 1000 * (i + 1), i * 1.5);
    };
    fill(); // 4000 blocks of 200 bytes: about a page
    const after = t.pageBytes;
    for (let round = 0; round < 20; round++) {
      for (let id = 0; id < 4000; id++) t.release(id);
      fill();
    }
    expect(t.pageBytes).toBeLessThanOrEqual(after + 2 ** 20);
    expect(decode(t, 1234)).toEqual(Array.from({ length: 10 }, (_, i) => [1000 * (i + 1), i * 1.5]));
  });

  it('sizes a series’ next head after its last one', () => {
    const t = new HeadTable(1, 16);
    for (let i = 0; i < 300; i++) t.push(0, i * 1000, i * 0.1);
    const bytes = t.byteLength(0);
    t.release(0);
    expect(t.byteLength(0)).toBe(0);
    t.push(0, 1_000_000, 1);
    // The new head's block holds the old head's bytes without moving: its view stays where it starts.
    const first = t.bytes(0).byteOffset;
    for (let i = 1; i < 300; i++) t.push(0, 1_000_000 + i * 1000, i * 0.1);
    expect(t.byteLength(0)).toBeLessThanOrEqual(bytes + 32);
    expect(t.bytes(0).byteOffset).toBe(first);
  });

  it('takes heads larger than a page', () => {
    const t = new HeadTable(1, 16);
    const samples: [number, number][] = [];
    // Random doubles cost ~10 bytes a sample: 150 000 of them pass 1 MiB.
    let x = 1;
    for (let i = 0; i < 150_000; i++) {
      x = (x * 16807) % 2147483647;
      samples.push([i * 1000, x / 7]);
      t.push(0, i * 1000, x / 7);
    }
    expect(t.byteLength(0)).toBeGreaterThan(2 ** 20);
    expect(decode(t, 0)).toEqual(samples);
  });
});
