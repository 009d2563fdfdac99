import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkEncoder, decodeChunk, decodeChunkInto } from '../../../server/store/chunk-codec.js';
import { HistoryWriter } from '../../../server/store/history-writer.js';
import { SCHEMA, openHistoryDb } from '../../../server/store/schema.js';
import { tempDir } from '../../helpers/process.js';

const HOUR = 3_600_000;

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

describe('timestamps of one byte and of more, and the XOR reference between chunks', () => {
  // By hand: [10 000, 1.5] is 0x00, control 0x02 and 1.5's top bytes 0xF8 0x3F. [11 000, null]: the delta of
  // delta 1000 zigzags to 2000 = 0xD0 0x0F, then 0xFF. [11 936, 1.5]: dod -64 zigzags to 127 = 0x7F, the largest
  // one-byte varint, then 0x00 (unchanged from the last value). [12 936, 1.5]: dod +64 zigzags to 128 = 0x80 0x01,
  // the smallest two-byte one. [13 935, -2]: dod -1 zigzags to 1 = 0x01; -2 is 0xC000…, XOR 1.5's 0x3FF8… =
  // 0xFFF8…: control 0x02, then 0xF8 0xFF.
  const bytes = new Uint8Array([
    0x00, 0x02, 0xf8, 0x3f, 0xd0, 0x0f, 0xff, 0x7f, 0x00, 0x80, 0x01, 0x00, 0x01, 0x02, 0xf8, 0xff,
  ]);

  it('is what the encoder writes, and decodes to the samples', () => {
    const enc = new ChunkEncoder();
    for (const [t, v] of [
      [10_000, 1.5],
      [11_000, null],
      [11_936, 1.5],
      [12_936, 1.5],
      [13_935, -2],
    ] as const)
      enc.push(t, v);
    expect([...enc.bytes()]).toEqual([...bytes]);
    const ts = new Float64Array(5);
    const values = new Float64Array(5);
    decodeChunkInto(bytes, 10_000, 5, ts, values);
    expect([...ts]).toEqual([10_000, 11_000, 11_936, 12_936, 13_935]);
    expect([...values]).toEqual([1.5, NaN, 1.5, 1.5, -2]);
  });

  it("starts each chunk's values from zero bits, whatever the chunk decoded before it ended on", () => {
    decodeChunkInto(bytes, 10_000, 5, new Float64Array(5), new Float64Array(5));
    const values = new Float64Array(1);
    decodeChunkInto(new Uint8Array([0x00, 0x02, 0xf8, 0x3f]), 5, 1, new Float64Array(1), values);
    expect(values[0]).toBe(1.5);
  });

  it('refuses a varint cut short after its first byte', () => {
    expect(() => decodeChunkInto(new Uint8Array([0x80, 0x80]), 0, 1, new Float64Array(1), new Float64Array(1))).toThrow(
      'chunk truncated at byte 2 of 2',
    );
  });
});

describe("a chunk's stored sample count", () => {
  // Two samples by hand: [1000, 1.5] is a varint 0 for its time, control 0x02 (no leading zero bytes, two
  // meaningful) and 1.5's top bytes 0xF8 0x3F; [2000, 1.5] is zigzag(1000) = 2000 as the varint 0xD0 0x0F and
  // 0x00 (unchanged value): 7 bytes. A sample takes at least 2 bytes, so 7 bytes hold at most 3 samples.
  const bytes = new Uint8Array([0x00, 0x02, 0xf8, 0x3f, 0xd0, 0x0f, 0x00]);

  it('decodes the chunk as built by hand', () => {
    const seen: [number, number | null][] = [];
    decodeChunk(bytes, 1000, 2, (t, v) => seen.push([t, v]));
    expect(seen).toEqual([
      [1000, 1.5],
      [2000, 1.5],
    ]);
  });

  it('is refused, before anything is sized from it, when the bytes cannot hold it', () => {
    for (const count of [1e9, 4, -1, 0.5, NaN]) {
      expect(() => decodeChunk(bytes, 1000, count, () => {})).toThrow(`chunk counts ${count} samples in 7 bytes`);
      expect(() => decodeChunkInto(bytes, 1000, count, new Float64Array(4), new Float64Array(4))).toThrow(
        `chunk counts ${count} samples in 7 bytes`,
      );
    }
    // Three samples fit the bound; the bytes then end in the third one's timestamp.
    expect(() => decodeChunk(bytes, 1000, 3, () => {})).toThrow('chunk truncated at byte 7 of 7');
  });

  it('is refused by the history writer, which commits none of the batch', () => {
    const db = openHistoryDb(path.join(tempDir(), 'c.db'));
    db.exec(SCHEMA);
    const writer = new HistoryWriter(db, { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR });
    const batch = {
      seq: 1,
      series: [[7, 'h\u0000m', 'h', 'm', '{}']] as [number, string, string, string, string][],
      wal: new Float64Array(0),
      walBytes: new Uint8Array(0),
      chunks: new Float64Array([7, 1000, 2000, 1e9, 0, 7]),
      chunkBytes: bytes,
      seqs: [],
      trimWalBelow: 0,
      samples: 0,
    };
    expect(() => writer.commit(batch)).toThrow('chunk counts 1000000000 samples in 7 bytes');
    expect(db.prepare('SELECT count(*) AS n FROM series').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM chunks').get()).toEqual({ n: 0 });
    db.close();
  });
});
