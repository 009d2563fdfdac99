import { describe, expect, it } from 'vitest';
import type { AgentMessage, Checked, DecodedBatch } from '../../shared/protocol.js';
import { SessionSeries, decodeAgentFrame } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { MAX_REMEMBERED_EXTRAS_BYTES } from '../../server/extras-memo.js';
import { Gen, SessionModel, frameText, someFrame } from '../helpers/batch-frames.js';
import { binaryBatch, reading, referenceRead, toBinary } from '../helpers/binary-frames.js';

const frame = binaryBatch;

function session(): SessionSeries {
  const t = new SessionSeries();
  t.reset([['mongod_up'], ['disk_util_percent', { device: 'sda' }]]);
  return t;
}

const outcome = (r: Checked<AgentMessage>) => (r.ok ? r.value : `${r.code}: ${r.message}`);

// Kinds this build does not know travel untyped: these tests are about the memo, not a kind's shape
// (shared/state-shapes.ts). Their names are as long as raid_array and mongod, so sizes stay as they were.
// A collector status with a key the schema does not know (zod's objects leave such keys out), a state kind, a state.
const EXTRAS =
  '{"collectors":[{"name":"cpu","state":"ok","x":1}],"stateKinds":["md_example"],' +
  '"states":[{"kind":"md_example","key":"md0","value":{"level":"raid10"}}]}';

describe("a session's last good binary extras", () => {
  it('decode the same when their bytes come again, and are kept once the whole frame is good', () => {
    const t = session();
    const expected = (seq: number) => ({
      type: 'batch',
      seq,
      ts: 1_700_000_000_000 + seq * 1000,
      series: [{ m: 'mongod_up', key: 'mongod_up' }, expect.objectContaining({ m: 'disk_util_percent' })],
      values: new Float64Array([1, 42.5]),
      slots: [0, 1],
      collectors: [{ name: 'cpu', state: 'ok' }],
      stateKinds: ['md_example'],
      states: [{ kind: 'md_example', key: 'md0', value: { level: 'raid10' } }],
      tableVersion: t.version,
    });
    expect(outcome(decodeBinaryFrame(frame(7, [1, 42.5], EXTRAS), t))).toEqual(expected(7));
    expect(t.extras.rememberedBytes).toBe(Buffer.byteLength(EXTRAS));
    expect(outcome(decodeBinaryFrame(frame(8, [1, 42.5], EXTRAS), t))).toEqual(expected(8));
    // Extras of the same length with one byte changed are read afresh.
    const changed = EXTRAS.replace('"cpu"', '"cpx"');
    const r = outcome(decodeBinaryFrame(frame(9, [1, 42.5], changed), t)) as DecodedBatch;
    expect(r.collectors).toEqual([{ name: 'cpx', state: 'ok' }]);
    expect(r.states).toEqual([{ kind: 'md_example', key: 'md0', value: { level: 'raid10' } }]);
  });

  it('are not kept when the frame is refused, for its extras or for its values', () => {
    const t = session();
    const forbidden = '{"states":[{"kind":"md_example","key":"__proto__","value":{}}]}';
    for (const seq of [1, 2])
      expect(outcome(decodeBinaryFrame(frame(seq, [1, 2], forbidden), t))).toBe(
        'bad_frame: states.0.key: "__proto__" is not allowed',
      );
    expect(t.extras.rememberedBytes).toBe(0);
    expect(outcome(decodeBinaryFrame(frame(3, [Infinity, 2], EXTRAS), t))).toBe(
      'bad_frame: values.0: value must be a finite number or NaN for null',
    );
    expect(t.extras.rememberedBytes).toBe(0);
    // Good extras kept, then a frame with the same extras but an infinite value is still refused.
    expect(outcome(decodeBinaryFrame(frame(4, [1, 2], EXTRAS), t))).toMatchObject({ seq: 4 });
    expect(outcome(decodeBinaryFrame(frame(5, [1, -Infinity], EXTRAS), t))).toBe(
      'bad_frame: values.1: value must be a finite number or NaN for null',
    );
  });

  it('are not kept when they carry definitions: those depend on the table', () => {
    const t = session();
    const defs = '{"defs":[[2,"mongod_up"]],"collectors":[{"name":"cpu","state":"ok"}]}';
    const r = outcome(decodeBinaryFrame(frame(1, [1, 2, 3], defs), t)) as DecodedBatch;
    expect(r.series.map((s) => s.m)).toEqual(['mongod_up', 'disk_util_percent', 'mongod_up']);
    expect(t.extras.rememberedBytes).toBe(0);
    // The same definitions again are checked again: index 1 already names another series.
    const clash = '{"defs":[[1,"mongod_up"]],"collectors":[{"name":"cpu","state":"ok"}]}';
    expect(outcome(decodeBinaryFrame(frame(2, [1, 2, 3], clash), t))).toBe(
      'bad_frame: defs.0: index 1 already names disk_util_percent{device="sda"}',
    );
  });

  it(`are kept up to ${MAX_REMEMBERED_EXTRAS_BYTES} bytes, not one byte more`, () => {
    // JSON allows whitespace after the object: the same extras padded to the length wanted.
    const padded = (bytes: number) => EXTRAS + ' '.repeat(bytes - Buffer.byteLength(EXTRAS));
    const t = session();
    expect(decodeBinaryFrame(frame(1, [1, 2], padded(MAX_REMEMBERED_EXTRAS_BYTES)), t).ok).toBe(true);
    expect(t.extras.rememberedBytes).toBe(MAX_REMEMBERED_EXTRAS_BYTES);
    const u = session();
    const r = outcome(decodeBinaryFrame(frame(1, [1, 2], padded(MAX_REMEMBERED_EXTRAS_BYTES + 1)), u));
    expect(r).toMatchObject({ collectors: [{ name: 'cpu', state: 'ok' }] });
    expect(u.extras.rememberedBytes).toBe(0);
  });

  it('give what the JSON decoder gives when generated frames send their extras again, whole or with a byte changed', () => {
    const g = new Gen(3011);
    let echoes = 0;
    let remembered = 0;
    const problems: string[] = [];
    const compare = (bytes: Buffer, json: SessionSeries, binary: SessionSeries) => {
      const ref = referenceRead(bytes);
      const b = decodeBinaryFrame(bytes, binary);
      if ('malformed' in ref) {
        if (b.ok) problems.push(`${ref.malformed}: accepted`);
        return;
      }
      const j = decodeAgentFrame(JSON.stringify(ref.frame), json);
      if (reading(j) !== reading(b)) problems.push(`${JSON.stringify(ref.frame).slice(0, 300)}\n ${reading(b)}`);
    };
    for (let s = 0; echoes < 10_000; s++) {
      const json = new SessionSeries();
      const binary = new SessionSeries();
      const model = new SessionModel();
      for (let seq = 1; seq <= 25; seq++) {
        const named = model.named.length;
        const text = frameText(someFrame(g, 2 * seq, model));
        const first = toBinary(JSON.parse(text));
        const j = decodeAgentFrame(text, json);
        if (!j.ok) model.named.length = Math.min(model.named.length, named); // the agent would define them again
        if (!first) {
          if (j.ok) decodeAgentFrame(text, binary); // a frame only JSON can say: the binary session keeps up
          continue;
        }
        const b = decodeBinaryFrame(first, binary);
        if (reading(j) !== reading(b)) problems.push(`first: ${text.slice(0, 300)}\n ${reading(b)}`);
        const extrasBytes = first.readUInt32LE(24);
        if (!extrasBytes) continue;
        // The same extras on a frame of no values, once as they were and once with one bit changed.
        const echo = frame(2 * seq + 1, [], first.subarray(first.length - extrasBytes));
        echoes++;
        if (binary.extras.rememberedBytes === extrasBytes) remembered++;
        compare(echo, json, binary);
        const changed = Buffer.from(echo);
        changed[32 + g.int(extrasBytes)]! ^= 1 << g.int(7);
        compare(changed, json, binary);
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
    expect(remembered).toBeGreaterThan(1_000);
  }, 300_000);
});
