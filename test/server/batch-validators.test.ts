import { describe, expect, it } from 'vitest';
import { batchFrameSchema, batchValues, type BatchFrame } from '../../shared/batch-schema.js';
import { seriesKey } from '../../shared/series-key.js';
import type { CheckedState, DecodedBatch, WireState } from '../../shared/protocol.js';
import { stateShapeProblem } from '../../shared/state-shapes.js';
import { SessionSeries, decodeAgentFrame } from '../../server/agent-frames.js';
import { Gen, SessionModel, frameText, packValues, someFrame } from '../helpers/batch-frames.js';

/** What a decoded batch says, in terms both validators can be compared on (series by their canonical key). */
interface Reading {
  seq: number;
  ts: number;
  series: string[];
  values: number[];
  slots?: number[];
  collectors?: unknown;
  stateKinds?: unknown;
  states?: unknown;
}

const optional = (b: { collectors?: unknown; stateKinds?: unknown; states?: readonly WireState[] }) => ({
  ...(b.collectors ? { collectors: b.collectors } : {}),
  ...(b.stateKinds ? { stateKinds: b.stateKinds } : {}),
  ...(b.states ? { states: b.states.map(shapeMarked) } : {}),
});

/** A state with what is wrong with its kind's shape, as the decoders mark it (not refused: shared/state-shapes.ts). */
function shapeMarked(s: CheckedState): CheckedState {
  if (s.problem !== undefined) return s; // the hand decoder's, marked already
  const problem = stateShapeProblem(s.kind, s.value);
  return problem === null ? s : { ...s, problem };
}

function handReading(b: DecodedBatch): Reading {
  return {
    seq: b.seq,
    ts: b.ts,
    series: b.series.map((s) => seriesKey(s.m, s.l)),
    values: Array.from(b.values),
    ...(b.slots ? { slots: b.slots } : {}),
    ...optional(b),
  };
}

/** The schema's frame read by the protocol's rules: samples as sent (null: NaN), or indexes into the session's table. */
function schemaReading(f: BatchFrame, table: Map<number, string>): Reading {
  if (f.samples)
    return {
      seq: f.seq,
      ts: f.ts,
      series: f.samples.map((s) => seriesKey(s.m, s.l)),
      values: f.samples.map((s) => s.v ?? NaN),
      ...optional(f),
    };
  const values = Array.from(batchValues(f.v));
  const slots = f.i ?? values.map((_, j) => j);
  return { seq: f.seq, ts: f.ts, series: slots.map((at) => table.get(at)!), values, slots, ...optional(f) };
}

/** The session table after an accepted protocol-2 frame: new indexes as defined, known ones unchanged. */
function define(table: Map<number, string>, f: BatchFrame): void {
  for (const [at, m, l] of ('defs' in f && f.defs) || []) if (!table.has(at)) table.set(at, seriesKey(m, l));
}

interface Disagreement {
  text: string;
  hand: string;
  schema: string;
}

/** Sends `sessions` sessions of `perSession` frames through both validators; returns where they differ. */
function compare(
  seed: number,
  sessions: number,
  perSession: number,
): { frames: number; accepted: number; disagreements: Disagreement[] } {
  const g = new Gen(seed);
  const disagreements: Disagreement[] = [];
  let frames = 0;
  let accepted = 0;
  // One schema for the run (building one costs more than checking a frame); it reads the current session's table.
  let table = new Map<number, string>();
  const schema = batchFrameSchema((at) => table.get(at));
  for (let s = 0; s < sessions; s++) {
    const hand = new SessionSeries();
    table = new Map<number, string>();
    const model = new SessionModel();
    for (let seq = 1; seq <= perSession; seq++) {
      const named = model.named.length;
      const text = frameText(someFrame(g, seq, model));
      frames++;
      const h = decodeAgentFrame(text, hand);
      const z = schema.safeParse(JSON.parse(text));
      const reason = z.success
        ? 'accepted'
        : `rejected: ${z.error.issues[0]?.path.join('.')} ${z.error.issues[0]?.message}`;
      if (h.ok !== z.success) {
        disagreements.push({
          text: text.slice(0, 400),
          hand: h.ok ? 'accepted' : `rejected: ${h.message}`,
          schema: reason,
        });
        continue;
      }
      if (!h.ok || !z.success) {
        model.named.length = Math.min(model.named.length, named); // the agent would send those definitions again
        continue;
      }
      accepted++;
      const want = schemaReading(z.data, new Map([...table, ...definedBy(z.data, table)]));
      define(table, z.data);
      const got = handReading(h.value as DecodedBatch);
      if (JSON.stringify(got) !== JSON.stringify(want) || !sameValues(got.values, want.values))
        disagreements.push({ text: text.slice(0, 400), hand: JSON.stringify(got), schema: JSON.stringify(want) });
    }
    // Both sides' tables name the same series at the same indexes.
    const handTable = new Map(hand.entries.flatMap((e, at) => (e ? [[at, e.key] as const] : [])));
    if (JSON.stringify([...handTable]) !== JSON.stringify([...table].sort((a, b) => a[0] - b[0])))
      disagreements.push({
        text: `session ${s}: tables`,
        hand: JSON.stringify([...handTable]),
        schema: JSON.stringify([...table]),
      });
  }
  return { frames, accepted, disagreements };
}

/** The series a frame defines that the table does not know yet. */
function definedBy(f: BatchFrame, table: Map<number, string>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [at, m, l] of ('defs' in f && f.defs) || [])
    if (!table.has(at) && !out.has(at)) out.set(at, seriesKey(m, l));
  return out;
}

/** Values bit for bit where it matters: NaN is NaN (null), and -0 is not 0. */
function sameValues(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

describe('the batch schema and the hand-written batch decoder', () => {
  it('accept and reject the same 100 000 generated frames and read the same values from them', () => {
    const { frames, accepted, disagreements } = compare(20261129, Number(process.env.SESSIONS ?? 4000), 25);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(frames).toBe(100_000);
    // Enough of each kind to mean something: the generator breaks about 60 % of the frames.
    expect(accepted).toBeGreaterThan(25_000);
    expect(frames - accepted).toBeGreaterThan(40_000);
  }, 1_200_000);

  it('agree on the cases the generator aims at, one by one', () => {
    // Spot checks with answers derived from the protocol's rules, so the comparison above is not two wrongs agreeing.
    const decide = (frame: object) => {
      const text = frameText(frame);
      const hand = decodeAgentFrame(text, new SessionSeries()).ok;
      const schema = batchFrameSchema().safeParse(JSON.parse(text)).success;
      return { hand, schema };
    };
    const both = (ok: boolean) => ({ hand: ok, schema: ok });
    const p2 = (v: string, extra = {}) => ({ type: 'batch', seq: 1, ts: 0, defs: [[0, 'mongod_up']], v, ...extra });
    expect(decide(p2(packValues([1])))).toEqual(both(true));
    expect(decide(p2(packValues([1]).replace(/=+$/, '')))).toEqual(both(false)); // no padding
    expect(decide(p2(Buffer.from(new Float64Array([1e-310]).buffer).toString('base64url')))).toEqual(both(false));
    expect(decide(p2(`${packValues([1]).slice(0, 4)}\n${packValues([1]).slice(4)}`))).toEqual(both(false));
    expect(decide(p2(packValues([Infinity])))).toEqual(both(false));
    expect(decide(p2(packValues([1, 2]), { i: [0] }))).toEqual(both(false)); // index 1 was never defined
    expect(decide({ type: 'batch', seq: 1, ts: 0, samples: [{ m: 'mongod_up', v: 1 }] })).toEqual(both(true));
    expect(decide({ type: 'batch', seq: 0, ts: 0, samples: [] })).toEqual(both(false));
    const proto = JSON.parse(
      '{"type":"batch","seq":1,"ts":0,"samples":[{"m":"mongod_up","l":{"__proto__":"x"},"v":1}]}',
    );
    expect(decide(proto)).toEqual(both(false));
  });
});
