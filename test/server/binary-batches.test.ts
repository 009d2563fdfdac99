import { describe, expect, it } from 'vitest';
import { SessionSeries, decodeAgentFrame } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { MAX_BATCH_SAMPLES } from '../../shared/wire-limits.js';
import type { DecodedBatch } from '../../shared/protocol.js';
import { Gen, SessionModel, frameText, someFrame, validBatch } from '../helpers/batch-frames.js';
import { mutateBinary, reading, referenceRead, toBinary } from '../helpers/binary-frames.js';

const tableOf = (t: SessionSeries) => JSON.stringify(t.entries.map((e) => e?.key ?? null));

describe('binary batch frames (protocol 3) against JSON batch frames (protocol 2)', () => {
  it('the two decoders accept the same generated frames and read the same batches from them', () => {
    const g = new Gen(20261130);
    let compared = 0;
    let accepted = 0;
    const disagreements: string[] = [];
    for (let session = 0; compared < 100_000; session++) {
      const json = new SessionSeries();
      const binary = new SessionSeries();
      const model = new SessionModel();
      for (let seq = 1; seq <= 25; seq++) {
        const named = model.named.length;
        const text = frameText(someFrame(g, seq, model));
        const bytes = toBinary(JSON.parse(text));
        const j = decodeAgentFrame(text, json);
        if (!bytes) {
          // A frame only JSON can say (protocol 1, malformed base64, wrong types): the binary session must not fall behind.
          if (j.ok) decodeAgentFrame(text, binary);
          else model.named.length = Math.min(model.named.length, named);
          continue;
        }
        compared++;
        const b = decodeBinaryFrame(bytes, binary);
        if (j.ok) accepted++;
        else model.named.length = Math.min(model.named.length, named); // the agent would define them again
        if (reading(j) !== reading(b) || tableOf(json) !== tableOf(binary))
          disagreements.push(`${text.slice(0, 300)}\n json: ${reading(j)}\n binary: ${reading(b)}`);
      }
    }
    expect(disagreements.slice(0, 3)).toEqual([]);
    // Both kinds in numbers: about two in five generated frames are valid.
    expect(accepted).toBeGreaterThan(30_000);
    expect(compared - accepted).toBeGreaterThan(20_000);
  }, 600_000);

  it('rejects 100 000 truncated and mutated binary frames cleanly, and decodes the rest as their JSON equivalents do', () => {
    const g = new Gen(424242);
    let frames = 0;
    let malformed = 0;
    let stillValid = 0;
    const problems: string[] = [];
    while (frames < 100_000) {
      const json = new SessionSeries();
      const binary = new SessionSeries();
      const model = new SessionModel();
      for (let seq = 1; seq <= 25; seq++) {
        const named = model.named.length;
        const good = toBinary(JSON.parse(frameText(validBatch(g, seq, model))));
        if (!good) {
          model.named.length = named; // protocol 1: not sent this way
          continue;
        }
        frames++;
        const bytes = mutateBinary(g, good);
        const before = tableOf(binary);
        const b = decodeBinaryFrame(bytes, binary);
        const ref = referenceRead(bytes);
        if ('malformed' in ref) {
          malformed++;
          if (b.ok || b.code !== 'bad_frame' || !b.message)
            problems.push(`${ref.malformed}: ${JSON.stringify(b).slice(0, 200)}`);
          if (tableOf(binary) !== before) problems.push(`${ref.malformed}: the rejected frame changed the table`);
          model.named.length = named;
          continue;
        }
        const j = decodeAgentFrame(JSON.stringify(ref.frame), json);
        if (j.ok) stillValid++;
        else model.named.length = named;
        if (!b.ok && (b.code !== 'bad_frame' || !b.message)) problems.push(`unclear rejection ${JSON.stringify(b)}`);
        if (reading(j) !== reading(b) || tableOf(json) !== tableOf(binary))
          problems.push(`${JSON.stringify(ref.frame).slice(0, 300)}\n json: ${reading(j)}\n binary: ${reading(b)}`);
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
    expect(malformed).toBeGreaterThan(30_000);
    expect(frames - malformed - stillValid).toBeGreaterThan(10_000); // well formed, wrong inside (index, value, extras)
  }, 600_000);

  it('reads each frame afresh: nothing of the last frame decoded carries into the next', () => {
    // Laid out by hand: header 32 bytes (kind, flags, count, seq, ts, extras length), n float64s, n u16 indexes, extras.
    const frame = (seq: number, values: number[], indexes: number[] | null, extras: string) => {
      const n = values.length;
      const json = Buffer.from(extras);
      const b = Buffer.alloc(32 + 8 * n + (indexes ? 2 * n : 0) + json.length);
      b[0] = 1;
      b[1] = indexes ? 1 : 0;
      b.writeUInt32LE(n, 4);
      b.writeDoubleLE(seq, 8);
      b.writeDoubleLE(1_700_000_000_000 + seq * 1000, 16);
      b.writeUInt32LE(json.length, 24);
      values.forEach((v, j) => b.writeDoubleLE(v, 32 + 8 * j));
      indexes?.forEach((i, j) => b.writeUInt16LE(i, 32 + 8 * n + 2 * j));
      json.copy(b, b.length - json.length);
      return b;
    };
    const table = new SessionSeries();
    table.reset([['mongod_up'], ['disk_util_percent', { device: 'sda' }]]);
    const withAll = frame(7, [40.5, 1, 2], [1, 0, 2], '{"defs":[[2,"cpu_idle_percent"]]}');
    const plain = frame(8, [0, 12.25], null, '');
    expect(reading(decodeBinaryFrame(withAll, table))).toContain('"seq":7');
    // Batch 8: no indexes, no extras, two values in table order, as a session that saw nothing before reads it.
    const fresh = new SessionSeries();
    fresh.reset([['mongod_up'], ['disk_util_percent', { device: 'sda' }], ['cpu_idle_percent']]);
    const expected: DecodedBatch = {
      type: 'batch',
      seq: 8,
      ts: 1_700_000_008_000,
      series: [{ m: 'mongod_up' }, { m: 'disk_util_percent', l: { device: 'sda' } }],
      values: Float64Array.of(0, 12.25),
      slots: [0, 1],
    };
    expect(reading(decodeBinaryFrame(plain, table))).toBe(reading({ ok: true, value: expected }));
    expect(reading(decodeBinaryFrame(plain, fresh))).toBe(reading({ ok: true, value: expected }));
  });

  it('says what is wrong with a frame, case by case', () => {
    // Laid out by hand from the documented layout: header 32 bytes, then n float64s, n u16 indexes, extras.
    const frame = (n: number, opts: { flags?: number; extras?: string; count?: number; kind?: number } = {}) => {
      const extras = Buffer.from(opts.extras ?? '');
      const b = Buffer.alloc(32 + 8 * n + ((opts.flags ?? 0) & 1 ? 2 * n : 0) + extras.length);
      b[0] = opts.kind ?? 1;
      b[1] = opts.flags ?? 0;
      b.writeUInt32LE(opts.count ?? n, 4);
      b.writeDoubleLE(7, 8);
      b.writeDoubleLE(1_700_000_000_000, 16);
      b.writeUInt32LE(extras.length, 24);
      for (let j = 0; j < n; j++) b.writeDoubleLE(j + 0.5, 32 + 8 * j);
      extras.copy(b, b.length - extras.length);
      return b;
    };
    const table = () => {
      const t = new SessionSeries();
      t.reset([['mongod_up'], ['disk_util_percent', { device: 'sda' }]]);
      return t;
    };
    const message = (b: Buffer) => {
      const r = decodeBinaryFrame(b, table());
      return r.ok ? 'ok' : `${r.code}: ${r.message}`;
    };
    expect(message(frame(2))).toBe('ok');
    expect(message(frame(2).subarray(0, 20))).toBe(
      'bad_frame: frame: a binary frame starts with a 32-byte header; this one is 20 bytes',
    );
    expect(message(frame(2).subarray(0, 40))).toBe(
      'bad_frame: frame: the header makes the frame 48 bytes long; it is 40 bytes',
    );
    expect(message(frame(2, { kind: 9 }))).toBe('bad_frame: kind: unknown binary frame kind 9 (1 is a batch)');
    expect(message(frame(2, { flags: 4 }))).toBe('bad_frame: flags: unknown flags 0x4');
    expect(message(frame(0, { count: MAX_BATCH_SAMPLES + 1 }))).toBe(
      `bad_frame: count: at most ${MAX_BATCH_SAMPLES} values; the header says ${MAX_BATCH_SAMPLES + 1}`,
    );
    expect(message(frame(3))).toBe('bad_frame: values.2: series index 2 was never defined in this session');
    expect(message(frame(3, { extras: '{"defs":[[2,"cpu_idle_percent",{"cpu":"all"}]]}' }))).toBe('ok');
    expect(message(frame(1, { extras: '{"defs":[[0,"cpu_idle_percent"]]}' }))).toBe(
      'bad_frame: defs.0: index 0 already names mongod_up',
    );
    expect(message(frame(1, { extras: '{"defs":' }))).toMatch(/^bad_frame: extras: not JSON: /);
    expect(message(frame(1, { extras: '[1]' }))).toBe('bad_frame: extras: must be a JSON object');
    const infinite = frame(1);
    infinite.writeDoubleLE(-Infinity, 32);
    expect(message(infinite)).toBe('bad_frame: values.0: value must be a finite number or NaN for null');
    const indexed = frame(1, { flags: 1 });
    indexed.writeUInt16LE(10_000, 40);
    expect(message(indexed)).toBe('bad_frame: indexes.0: series index 10000 was never defined in this session');
    const seq0 = frame(1);
    seq0.writeDoubleLE(0, 8);
    expect(message(seq0)).toBe('bad_frame: seq: must be a whole number ≥ 1');
  });
});
