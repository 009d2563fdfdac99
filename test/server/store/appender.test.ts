import { describe, expect, it } from 'vitest';
import { Appender } from '../../../server/store/appender.js';
import { decodeChunk } from '../../../server/store/chunk-codec.js';
import { CHUNK_FIELDS, WAL_FIELDS } from '../../../server/store/history-writer.js';

/** A log row read by hand, as documented on WalRows: per sample a zigzag varint id delta, then a little-endian float64. */
function readRow(bytes: Uint8Array): [number, number][] {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: [number, number][] = [];
  let pos = 0;
  let id = 0;
  while (pos < bytes.length) {
    let z = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = bytes[pos++]!;
      z += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    id += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    out.push([id, data.getFloat64(pos, true)]);
    pos += 8;
  }
  return out;
}

/** The series ids of the chunks the appender sealed since the last take, in id order. */
function sealedBy(a: Appender): number[] {
  const { chunks } = a.take();
  return Array.from({ length: chunks.length / CHUNK_FIELDS }, (_, i) => chunks[i * CHUNK_FIELDS]!).sort(
    (x, y) => x - y,
  );
}

describe('appender (heads and write-ahead log rows)', () => {
  const known = new Set([3, 5, 200, 201]);
  const appender = () => {
    const a = new Appender(0, {
      now: () => 0,
      chunkAgeMs: 60_000,
      commitSamples: 1000,
      isSeries: (id) => known.has(id),
      onPending: () => {},
    });
    a.ensure(202);
    return a;
  };

  it('logs every kept sample exactly: id deltas of one and two bytes, either sign, nulls as NaN', () => {
    const a = appender();
    const values = [1.5, null, 0.1 + 0.2, -1e-300];
    a.appendValues(1000, [5, 3, 200, 201], values);
    // The same second again (a replay) is dropped; a later one is kept, only for the series it names.
    a.appendValues(1000, [5], [9]);
    a.appendValues(2000, [201], [Number.MAX_VALUE]);
    const parts = a.take();
    expect(parts.samples).toBe(5);
    expect(parts.wal.length).toBe(2 * WAL_FIELDS);
    const [id1, ts1, n1, start1, end1, id2, ts2, n2, start2, end2] = parts.wal;
    expect([id1, ts1, n1, id2, ts2, n2]).toEqual([1, 1000, 4, 2, 2000, 1]);
    // Deltas 5, -2, 197, 1 → zigzag 10, 3, 394 (two bytes: 0x8a 0x03), 2; each then 8 value bytes.
    expect(end1! - start1!).toBe(1 + 8 + 1 + 8 + 2 + 8 + 1 + 8);
    expect([...parts.walBytes.subarray(start1, start1! + 1)]).toEqual([10]);
    expect([...parts.walBytes.subarray(start1! + 18, start1! + 20)]).toEqual([0x8a, 0x03]);
    expect(readRow(parts.walBytes.subarray(start1, end1))).toEqual([
      [5, 1.5],
      [3, NaN],
      [200, 0.30000000000000004],
      [201, -1e-300],
    ]);
    expect(readRow(parts.walBytes.subarray(start2, end2))).toEqual([[201, Number.MAX_VALUE]]);
  });

  it("gives each commit its own log rows: none of the last commit's, and all of its own past the first thousand", () => {
    const a = appender();
    // 1500 rows of one sample each (id 3, delta 3 → zigzag 6: one byte, then 8 value bytes: 9 bytes a row).
    for (let i = 1; i <= 1500; i++) a.appendValues(1000 * i, [3], [i]);
    const first = a.take().wal;
    expect(first.length).toBe(1500 * WAL_FIELDS);
    expect(Array.from(first.subarray(0, WAL_FIELDS))).toEqual([1, 1000, 1, 0, 9]);
    expect(Array.from(first.subarray(1499 * WAL_FIELDS))).toEqual([1500, 1_500_000, 1, 1499 * 9, 1500 * 9]);
    // The next commit: its one row only, its bytes from the start of its own arena (deltas 5 and 195 → zigzag
    // 10, one byte, and 390, two; each then 8 value bytes).
    a.appendValues(1_501_000, [5, 200], [1, 2]);
    const next = a.take();
    expect(Array.from(next.wal)).toEqual([1501, 1_501_000, 2, 0, 1 + 8 + 2 + 8]);
    expect(readRow(next.walBytes.subarray(next.wal[3], next.wal[4]))).toEqual([
      [5, 1],
      [200, 2],
    ]);
    // The first commit's rows are its own: the next commit's row, written where its first was, changed none of them.
    expect(Array.from(first.subarray(0, WAL_FIELDS))).toEqual([1, 1000, 1, 0, 9]);
    expect(a.take().wal.length).toBe(0);
  });

  it('seals heads into chunks that decode to the exact values appended', () => {
    const a = appender();
    const expected: [number, number | null][] = [];
    let x = 11;
    let ts = 0;
    // 120 samples at most 5 s apart: one chunk, within its 10-minute span.
    for (let i = 1; i <= 120; i++) {
      x = (x * 48271) % 2147483647;
      // Irregular steps (large deltas of delta) and random doubles: samples of every size, split at every offset.
      ts += 1000 + (x % 5) * 997;
      const v = i % 9 === 0 ? null : x / 3;
      a.appendValues(ts, [200], [v]);
      expected.push([ts, v]);
    }
    a.sealAll();
    const { chunks, chunkBytes } = a.take();
    expect(chunks.length).toBe(CHUNK_FIELDS);
    const [id, firstTs, , count, start, end] = chunks;
    expect([id, firstTs, count]).toEqual([200, expected[0]![0], 120]);
    const got: [number, number | null][] = [];
    decodeChunk(chunkBytes.subarray(start, end), firstTs!, count!, (t, v) => got.push([t, v]));
    expect(got).toEqual(expected);
  });

  it('refuses an unknown series id and still logs what went into the heads before it', () => {
    const a = appender();
    expect(() => a.appendValues(1000, [3, 4, 5], [1, 2, 3])).toThrow('unknown series id 4');
    const parts = a.take();
    expect(parts.samples).toBe(1);
    expect(readRow(parts.walBytes.subarray(parts.wal[3], parts.wal[4]))).toEqual([[3, 1]]);
  });

  it('seals heads due in one second at the commits of their tenths of it, not all at its first', () => {
    let now = 1000;
    const a = new Appender(0, {
      now: () => now,
      chunkAgeMs: 60_000,
      commitSamples: 1000,
      isSeries: (id) => id === 0 || id === 60,
      onPending: () => {},
    });
    a.ensure(61);
    // Ids 0 and 60 share the stagger (id % 60 = 0): due 60 s after their heads began, at 61 000 and 61 500.
    a.appendValues(1000, [0], [1]);
    now = 1500;
    a.appendValues(1500, [60], [2]);
    a.settleAll();
    a.take();
    const sealedIds = () => sealedBy(a);
    a.sealDue((now = 60_999));
    expect(sealedIds()).toEqual([]);
    // 61 050: the slot of 61 000 has come, the slot of 61 500 not yet (by the second, both went now).
    a.sealDue((now = 61_050));
    expect(sealedIds()).toEqual([0]);
    a.sealDue((now = 61_450));
    expect(sealedIds()).toEqual([]);
    a.sealDue((now = 61_520));
    expect(sealedIds()).toEqual([60]);
  });

  it('after the clock jumps a month ahead, seals every head due, and later heads at their own time', () => {
    let now = 1000;
    const a = new Appender(0, {
      now: () => now,
      chunkAgeMs: 60_000,
      commitSamples: 1000,
      isSeries: (id) => id === 1 || id === 2,
      onPending: () => {},
    });
    a.ensure(3);
    // Id 1 is due 60 s + 1 s (its stagger) after it began, id 2 60 s + 2 s.
    a.appendValues(1000, [1, 2], [1, 2]);
    a.settleAll();
    a.take();
    const sealedIds = () => sealedBy(a);
    const month = 30 * 86_400_000;
    a.sealDue((now = month));
    expect(sealedIds()).toEqual([1, 2]);
    // A head begun after the jump is due a minute and more later, not at once.
    a.appendValues(month + 1000, [1], [3]);
    a.settleAll();
    a.sealDue((now = month + 1000));
    expect(sealedIds()).toEqual([]);
    a.sealDue((now = month + 1000 + 60_000 + 1000));
    expect(sealedIds()).toEqual([1]);
  });
});
