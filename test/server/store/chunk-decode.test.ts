import { describe, expect, it } from 'vitest';
import { ChunkEncoder, decodeChunk, decodeChunkInto } from '../../../server/store/chunk-codec.js';

describe('decoding a chunk into arrays', () => {
  it('gives every timestamp and value, NaN where no value was, and leaves the rest of the arrays alone', () => {
    const samples: [number, number | null][] = [
      [1_000, 1.5],
      [2_000, null],
      [3_500, -0.25],
      [3_501, -0.25],
      [60_000, 1e-300],
    ];
    const enc = new ChunkEncoder();
    for (const [t, v] of samples) enc.push(t, v);
    const ts = new Float64Array(7).fill(-1);
    const values = new Float64Array(7).fill(-1);
    decodeChunkInto(enc.bytes(), enc.firstTs, enc.count, ts, values);
    expect([...ts]).toEqual([1_000, 2_000, 3_500, 3_501, 60_000, -1, -1]);
    expect([...values]).toEqual([1.5, NaN, -0.25, -0.25, 1e-300, -1, -1]);
  });

  it('rejects a damaged chunk before giving any of it', () => {
    const enc = new ChunkEncoder();
    for (let i = 0; i < 10; i++) enc.push(1000 * i, i * 1.1);
    const cut = enc.bytes().subarray(0, enc.byteLength - 3);
    const seen: number[] = [];
    expect(() => decodeChunk(cut, 0, 10, (t) => seen.push(t))).toThrow(/chunk truncated/);
    expect(seen).toEqual([]);
    // A control byte claiming 9 meaningful bytes after 0 leading ones (0x09) cannot be.
    expect(() => decodeChunkInto(new Uint8Array([0, 0x09]), 0, 1, new Float64Array(1), new Float64Array(1))).toThrow(
      /bad control byte 0x9/,
    );
  });
});
