import { describe, expect, it } from 'vitest';
import { Appender } from '../../../server/store/appender.js';
import { decodeChunk } from '../../../server/store/chunk-codec.js';
import { HeadTable } from '../../../server/store/heads.js';
import { CHUNK_FIELDS, WAL_FIELDS } from '../../../server/store/history-writer.js';

// HeadTable.pushRun (a staged block's rows for one series in one call) must leave a head exactly as a push per
// sample does: the same bytes, counts and times, and the same state for the samples after it.

/** A deterministic generator (Park–Miller), so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 16807) % 2147483647) / 2147483647;
}

/** Everything a head shows, as one string: its numbers and its bytes (through bytes() and copyTo). */
function headOf(t: HeadTable, id: number): string {
  const out = new Uint8Array(t.byteLength(id) + 3);
  const end = t.copyTo(id, out, 3);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return `${t.count[id]} ${t.firstTs[id]} ${t.lastTs[id]} ${hex(t.bytes(id))} ${hex(out.subarray(3, end))}`;
}

describe('a run of samples pushed into a head at once', () => {
  it('writes the bytes the chunk format documents for a hand-made run', () => {
    const t = new HeadTable(2);
    // Row-major like a staged block of 2 series: series 1 is column 1, so its values sit at 1, 3, 5.
    const values = new Float64Array([9, 1, 9, 1, 9, NaN]);
    t.pushRun(1, new Float64Array([1000, 2000, 3000]), 0, 3, values, 1, 2);
    // 1000: delta of delta 0 → varint 00; 1.0 is 0x3FF0000000000000, XOR 0: no zero byte on top, 6 below, 2
    //   meaningful (control 0x02), then 0xF0, 0x3F lowest first.
    // 2000: delta 1000, delta of delta 1000 → zigzag 2000 = 0x7D0 → varint D0 0F; same value → 00.
    // 3000: delta of delta 0 → 00; NaN (no value) → FF.
    expect([...t.bytes(1)]).toEqual([0x00, 0x02, 0xf0, 0x3f, 0xd0, 0x0f, 0x00, 0x00, 0xff]);
    expect([t.count[1], t.firstTs[1], t.lastTs[1]]).toEqual([3, 1000, 3000]);
    // The next sample continues from the run's state: delta 1000 again (dod 0), and 1.0 is still the XOR
    // reference after the NaN, so an unchanged 1.0 is one byte 00.
    t.push(1, 4000, 1);
    expect([...t.bytes(1)].slice(9)).toEqual([0x00, 0x00]);
    const got: [number, number | null][] = [];
    decodeChunk(t.bytes(1), t.firstTs[1]!, t.count[1]!, (ts, v) => got.push([ts, v]));
    expect(got).toEqual([
      [1000, 1],
      [2000, 1],
      [3000, null],
      [4000, 1],
    ]);
  });

  it('leaves every head as a push per sample does, over random runs, segment ends and releases', () => {
    const series = 40;
    const runs = new HeadTable(series);
    const single = new HeadTable(series);
    const rnd = lcg(20_261_130);
    const lastTs = new Float64Array(series);
    const prev = new Float64Array(series);
    const stride = 5;
    for (let round = 0; round < 3000; round++) {
      const id = Math.floor(rnd() * series);
      const len = 1 + Math.floor(rnd() * 12);
      const ts = new Float64Array(len + 2);
      const values = new Float64Array((len + 2) * stride).fill(-1);
      const from = Math.floor(rnd() * 3);
      const to = Math.min(len + 2, from + len);
      const column = Math.floor(rnd() * stride);
      let t = lastTs[id]!;
      for (let r = from; r < to; r++) {
        const kind = rnd();
        // Steady steps mostly; jumps whose delta of delta needs 2 to 5 varint bytes now and then.
        t +=
          kind < 0.6
            ? 1000
            : kind < 0.8
              ? 1 + Math.floor(rnd() * 3000)
              : 1 + Math.floor(rnd() * 2 ** (14 + rnd() * 20));
        ts[r] = t;
        const pick = rnd();
        const v =
          pick < 0.2
            ? NaN
            : pick < 0.45
              ? prev[id]!
              : pick < 0.5
                ? -0
                : pick < 0.55
                  ? 1e300
                  : (rnd() - 0.5) * 10 ** (rnd() * 12);
        if (v === v) prev[id] = v;
        values[column + (r - from) * stride] = v;
        single.push(id, t, v);
      }
      lastTs[id] = t;
      runs.pushRun(id, ts, from, to, values, column, stride);
      expect(headOf(runs, id), `round ${round}, series ${id}`).toBe(headOf(single, id));
      if (rnd() < 0.02) {
        runs.release(id);
        single.release(id);
      }
    }
    for (let id = 0; id < series; id++) expect(headOf(runs, id)).toBe(headOf(single, id));
    expect(runs.heldBytes).toBe(single.heldBytes);
  });

  it('does nothing for an empty run', () => {
    const t = new HeadTable(1);
    t.pushRun(0, new Float64Array([5]), 1, 1, new Float64Array([7]), 0, 1);
    expect([t.count[0], t.byteLength(0), t.heldBytes]).toEqual([0, 0, 0]);
  });
});

describe('a head copied out (copyTo)', () => {
  it('copies into any buffer at any offset, one after another, as bytes() joins it', () => {
    const t = new HeadTable(3);
    const rnd = lcg(99);
    for (let i = 0; i < 200; i++) {
      t.push(0, 1000 * (i + 1), rnd());
      if (i < 20) t.push(1, 1000 * (i + 1), i % 2);
    }
    t.push(2, 5, 1); // one sample: 4 bytes, less than a word of the page past it
    // Buffers whose byte offsets are odd (a view into a larger buffer), used in turn, so no cached view is stale.
    const big = new Uint8Array(4096).fill(0xaa);
    const outs = [big.subarray(1, 2001), new Uint8Array(3000), big.subarray(2003, 4090)];
    for (let k = 0; k < 6; k++) {
      const out = outs[k % 3]!;
      for (const id of [0, 1, 2]) {
        const at = 7 + k;
        const end = t.copyTo(id, out, at);
        expect(end - at).toBe(t.byteLength(id));
        expect([...out.subarray(at, end)], `copy ${k}, series ${id}`).toEqual([...t.bytes(id)]);
      }
    }
    // Nothing written outside the copies: the byte before the first view and between the views is untouched.
    expect([big[0], big[2001], big[2002], big[4095]]).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
  });
});

describe('a staged block going into the heads a run per series', () => {
  /** Every chunk sealed and every log row, over all takes, as strings (chunks by series and first time). */
  function drain(a: Appender, into: { chunks: string[]; wal: string[] }): void {
    const p = a.take();
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    for (let i = 0; i < p.chunks.length; i += CHUNK_FIELDS) {
      const [id, first, last, count, start, end] = p.chunks.subarray(i, i + CHUNK_FIELDS);
      into.chunks.push(`${id} ${first} ${last} ${count} ${hex(p.chunkBytes.subarray(start, end))}`);
    }
    for (let i = 0; i < p.wal.length; i += WAL_FIELDS) {
      const [id, ts, n, start, end] = p.wal.subarray(i, i + WAL_FIELDS);
      into.wal.push(`${id} ${ts} ${n} ${hex(p.walBytes.subarray(start, end))}`);
    }
  }

  it('seals the same chunks as pushing every sample at its append, where a head fills or spans its longest', () => {
    const clock = { now: 1_700_000_000_000 };
    const make = () =>
      new Appender(0, {
        now: () => clock.now,
        chunkAgeMs: 4 * 3_600_000, // no head is due by age here: only the sample count and span seal
        commitSamples: 1000,
        isSeries: (id) => id >= 1 && id <= 3,
        onPending: () => {},
      });
    const staged = make();
    const direct = make();
    staged.ensure(4);
    direct.ensure(4);
    const ids = [1, 2, 3]; // one array, as a session's: staged from its second batch
    const got = { chunks: [] as string[], wal: [] as string[] };
    const want = { chunks: [] as string[], wal: [] as string[] };
    const rnd = lcg(7);
    let ts = clock.now;
    for (let b = 0; b < 1400; b++) {
      // 650 batches a second apart, then steps of 1–4 s, so heads end on the span at any row of a block.
      ts += b < 650 ? 1000 : 1000 * (1 + Math.floor(rnd() * 4));
      clock.now = ts;
      const values = ids.map((id) => (rnd() < 0.1 ? null : id === 2 ? b % 3 : Math.round(rnd() * 1e4) / 100));
      staged.appendValues(ts, ids, values);
      direct.appendValues(ts, [...ids], values); // a new array every batch: never staged
      if (b % 50 === 0) {
        drain(staged, got);
        drain(direct, want);
      }
    }
    staged.sealAll();
    direct.sealAll();
    drain(staged, got);
    drain(direct, want);
    expect(got.wal).toEqual(want.wal);
    expect(got.chunks.sort()).toEqual(want.chunks.sort());
    // By hand: the first head of each series starts with batch 0 and holds 600 samples (599 s < 10 min):
    // the 600th sample fills it. The next head spans batches 600.. and ends by count or span later.
    const t0 = 1_700_000_000_000 + 1000;
    const first = (id: number) => got.chunks.find((c) => c.startsWith(`${id} `))!.split(' ');
    for (const id of ids) expect(first(id).slice(1, 4).map(Number)).toEqual([t0, t0 + 599_000, 600]);
  });
});
