import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkEncoder, decodeChunk } from '../../../server/store/chunk-codec.js';
import { PROCFS, samplesWith } from '../../helpers/fixtures.js';

function roundTrip(samples: [number, number | null][]): { back: [number, number | null][]; bytes: number } {
  const enc = new ChunkEncoder(4);
  for (const [t, v] of samples) enc.push(t, v);
  const back: [number, number | null][] = [];
  decodeChunk(enc.bytes(), enc.firstTs, enc.count, (t, v) => back.push([t, v]));
  return { back, bytes: enc.byteLength };
}

/** A small seeded generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('chunk codec', () => {
  it('a steady 1 s series of one value costs two bytes a sample once the interval is known', () => {
    const t0 = Date.UTC(2026, 10, 26, 12, 0, 0);
    const samples = Array.from({ length: 120 }, (_, i) => [t0 + i * 1000, 5] as [number, number]);
    const { back, bytes } = roundTrip(samples);
    expect(back).toEqual(samples);
    // 5.0 = 0x4014000000000000: two meaningful bytes at the top, so the first sample is
    // varint(0) + control + 2 bytes = 4; the second's delta of delta is the first delta,
    // 1000 → zigzag 2000 → a 2-byte varint, + "same" = 3; each later one is varint(0) + "same" = 2.
    expect(bytes).toBe(4 + 3 + 118 * 2);
  });

  it('round-trips exactly: irregular intervals, nulls, negatives, -0, extremes and big gaps', () => {
    const next = rng(42);
    const special = [0, -0, 1e-300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, -123.456, null];
    for (let trial = 0; trial < 200; trial++) {
      let t = 1_600_000_000_000 + Math.floor(next() * 1e9);
      const samples: [number, number | null][] = [];
      const n = 1 + Math.floor(next() * 300);
      for (let i = 0; i < n; i++) {
        const r = next();
        t += r < 0.7 ? 1000 : r < 0.9 ? 1 + Math.floor(next() * 5000) : Math.floor(next() * 2 ** 40); // gaps up to ~35 years
        const kind = next();
        const v =
          kind < 0.1
            ? special[Math.floor(next() * special.length)]!
            : kind < 0.4
              ? Math.round(next() * 100)
              : kind < 0.6 && samples.length
                ? samples[samples.length - 1]![1]
                : (next() - 0.5) * 10 ** Math.floor(next() * 12);
        samples.push([t, v]);
      }
      const { back } = roundTrip(samples);
      expect(back.length).toBe(samples.length);
      for (let i = 0; i < samples.length; i++) {
        expect(back[i]![0]).toBe(samples[i]![0]);
        expect(Object.is(back[i]![1], samples[i]![1])).toBe(true);
      }
    }
  });

  it('round-trips and compresses real counters from the recorded /proc/diskstats files', () => {
    // Each column of each recorded diskstats file, device after device, as one series at 1 s.
    const t0 = Date.UTC(2026, 0, 1);
    let total = 0;
    let n = 0;
    for (const root of samplesWith('proc/diskstats')) {
      const rows = readFileSync(path.join(PROCFS, root, 'proc/diskstats'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      for (let col = 3; col < 14; col++) {
        const series = rows.map((r, i) => [t0 + i * 1000, Number(r[col] ?? 0)] as [number, number]);
        const { back, bytes } = roundTrip(series);
        expect(back).toEqual(series);
        total += bytes;
        n += series.length;
      }
    }
    expect(n).toBeGreaterThan(100);
    expect(total / n).toBeLessThan(8); // half of a raw (timestamp, float64) pair
  });

  it('rejects a truncated chunk and a bad control byte instead of returning garbage', () => {
    const enc = new ChunkEncoder();
    enc.push(1000, 1.5);
    enc.push(2000, 2.75);
    const bytes = enc.bytes();
    expect(() => decodeChunk(bytes.subarray(0, bytes.length - 1), 1000, 2, () => {})).toThrow(/truncated/);
    const bad = bytes.slice();
    bad[1] = 0x09; // control: 0 leading zero bytes, 9 meaningful bytes — impossible
    expect(() => decodeChunk(bad, 1000, 2, () => {})).toThrow(/bad control byte/);
  });
});
