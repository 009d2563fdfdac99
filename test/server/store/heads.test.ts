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
    const t = new HeadTable(0);
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
    // Every segment but a head's last is full: a head holds its bytes rounded up to 64.
    const held = Array.from({ length: series }, (_, id) => Math.ceil(t.byteLength(id) / 64) * 64);
    expect(t.heldBytes).toBe(held.reduce((a, b) => a + b, 0));
  });

  it('gives a released head’s segments to the next heads instead of new pages', () => {
    const t = new HeadTable(4000);
    const fill = () => {
      for (let id = 0; id < 4000; id++) for (let i = 0; i < 10; i++) t.push(id, 1000 * (i + 1), i * 1.5);
    };
    fill();
    const pages = t.pageBytes;
    const held = t.heldBytes;
    for (let round = 0; round < 20; round++) {
      for (let id = 0; id < 4000; id++) t.release(id);
      expect(t.heldBytes).toBe(0);
      fill();
    }
    expect(t.pageBytes).toBe(pages);
    expect(t.heldBytes).toBe(held);
    expect(decode(t, 1234)).toEqual(Array.from({ length: 10 }, (_, i) => [1000 * (i + 1), i * 1.5]));
  });

  it('holds a head in its bytes rounded up to whole 64-byte segments, whatever the size of its samples', () => {
    const t = new HeadTable(1);
    const samples: [number, number | null][] = [];
    let x = 7;
    for (let i = 0; i < 600; i++) {
      // Samples of 2 bytes (unchanged, null) to 10 (a new random double): splits land at every offset of a segment.
      x = (x * 16807) % 2147483647;
      const v = i % 5 === 0 ? null : i % 3 === 0 ? (samples[i - 1]?.[1] ?? 1) : x / 7;
      t.push(0, i * 1000, v);
      samples.push([i * 1000, v]);
      expect(t.heldBytes).toBe(Math.ceil(t.byteLength(0) / 64) * 64);
    }
    expect(decode(t, 0)).toEqual(samples);
    t.release(0);
    expect([t.byteLength(0), t.heldBytes, t.bytes(0).length]).toEqual([0, 0, 0]);
  });

  it('copies a head of many segments out whole, with steps of every size near segment ends', () => {
    const t = new HeadTable(2);
    const samples: [number, number | null][] = [];
    let x = 3;
    let ts = 0;
    for (let i = 0; i < 400; i++) {
      x = (x * 16807) % 2147483647;
      // Steps of 1 s, then jumps whose delta of delta needs 1 to 4 varint bytes, so the split path sees both kinds.
      ts += i % 4 === 0 ? 1000 + (x % 200_000) : 1000;
      const v = i % 7 === 0 ? null : x / 13;
      t.push(1, ts, v);
      samples.push([ts, v]);
    }
    expect(decode(t, 1)).toEqual(samples);
    const out = new Uint8Array(t.byteLength(1) + 5).fill(0xee);
    expect(t.copyTo(1, out, 5)).toBe(out.length);
    expect(out.subarray(5)).toEqual(t.bytes(1));
    expect([...out.subarray(0, 5)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    expect(t.copyTo(0, out, 3)).toBe(3);
  });

  it('takes heads larger than a page', () => {
    const t = new HeadTable(1);
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
