import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { helloSchema } from '../../shared/protocol.js';
import { SessionSeries } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { decodeWriteRequest } from '../helpers/remote-write-receiver.js';

type SeriesDef = [string, Record<string, string>?];
interface Fleet {
  values: Float64Array;
  perHost: number;
  step(i: number): void;
  bytesOf(i: number): Buffer;
}
/** The bench module is JavaScript without types: the calls this test makes. */
interface FramesModule {
  hostShape(): { table: SeriesDef[]; levels: Float64Array; extras: Record<string, unknown> };
  hostId(i: number): string;
  FleetValues: new (hosts: number, levels: Float64Array) => Fleet;
  helloFrame(id: string, session: string, table: SeriesDef[], protocol?: number): string;
  BinaryBatch: new (
    perHost: number,
    extras: Record<string, unknown>,
  ) => { patch(seq: number, ts: number, valueBytes: Buffer): Buffer };
  batchFrame(seq: number, ts: number, valueBytes: Buffer, extrasJson: string): string;
  RemoteWriteGroup: new (hosts: number[], table: SeriesDef[]) => { body: Buffer; patch(f: Fleet, ts: number): void };
  sendGroups(hosts: number, groups: number): number[][];
}
const frames = (await import(
  pathToFileURL(path.join(import.meta.dirname, '../../bench/ingest-frames.mjs')).href
)) as FramesModule;

// The simulator's steady host, counted from its documented shape: cpu 5, four disks × 12, md array 9,
// I/O pressure some/full × 4, mongod 14 + 6 opcounters, agent 3.
const PER_HOST = 5 + 4 * 12 + 9 + 2 * 4 + 14 + 6 + 3;

/** The uptime in a batch's mongod status state (what changes in a live mongod host's extras every second). */
const mongodUptime = (states: unknown) =>
  (states as { kind: string; value: { gauges: { uptimeMs: number } } }[]).find((st) => st.kind === 'mongod')?.value
    .gauges.uptimeMs;

describe('bench/ingest-frames.mjs: the load generator feeds both targets the same samples', () => {
  const { table, levels, extras } = frames.hostShape();

  it('has the simulator host shape of 93 series', () => {
    expect(PER_HOST).toBe(93);
    expect(table).toHaveLength(PER_HOST);
    expect(levels).toHaveLength(PER_HOST);
  });

  it('steps the same values for the same host in two fleets, and keeps whole-number series constant', () => {
    const a = new frames.FleetValues(50, levels);
    const b = new frames.FleetValues(50, levels);
    for (let s = 0; s < 5; s++)
      for (const i of [3, 49]) {
        a.step(i);
        b.step(i);
      }
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    const host3 = a.values.subarray(3 * PER_HOST, 4 * PER_HOST);
    levels.forEach((level, j) => {
      if (Number.isInteger(level)) expect(host3[j]).toBe(level);
      expect(host3[j]).toBeGreaterThanOrEqual(0);
    });
    // A host that was not stepped still has the levels.
    expect(Array.from(a.values.subarray(0, PER_HOST))).toEqual(Array.from(levels));
    // The walk moved at least the rates and percentages.
    expect(host3.some((v, j) => v !== levels[j])).toBe(true);
  });

  it('sends Tidemark a valid protocol-2 hello and a batch whose values decode to the fleet values', () => {
    const fleet = new frames.FleetValues(10, levels);
    fleet.step(7);
    const hello = helloSchema.safeParse(JSON.parse(frames.helloFrame(frames.hostId(7), 'abcdef0123456789', table, 2)));
    expect(hello.success).toBe(true);
    expect(hello.data?.protocol).toBe(2);
    expect(hello.data?.agentId).toBe('sim-00007');
    expect(hello.data?.series).toHaveLength(PER_HOST);

    const batch = JSON.parse(
      frames.batchFrame(12, 1_790_000_000_250, fleet.bytesOf(7), JSON.stringify(extras)),
    ) as Record<string, unknown>;
    expect(batch).toMatchObject({ type: 'batch', seq: 12, ts: 1_790_000_000_250, collectors: extras.collectors });
    // A live mongod's uptime, a second more with every batch (1 000 000 000 ms at sequence 0).
    expect(mongodUptime(batch.states)).toBe(1_000_000_000 + 12 * 1000);
    expect(batch.i).toBeUndefined(); // the table's series in order
    const bytes = Buffer.from(batch.v as string, 'base64');
    expect(bytes.length).toBe(PER_HOST * 8);
    const values = Array.from({ length: PER_HOST }, (_, j) => bytes.readDoubleLE(j * 8));
    expect(values).toEqual(Array.from(fleet.values.subarray(7 * PER_HOST, 8 * PER_HOST)));
  });

  it('sends Tidemark a protocol-3 hello and binary batches that read back as the fleet values, frame reused', () => {
    const fleet = new frames.FleetValues(10, levels);
    const hello = helloSchema.safeParse(JSON.parse(frames.helloFrame(frames.hostId(4), 'abcdef0123456789', table)));
    expect(hello.data?.protocol).toBe(3);
    const batch = new frames.BinaryBatch(PER_HOST, extras);
    const extrasBytes = Buffer.byteLength(JSON.stringify(extras));
    for (const [seq, host, ts] of [
      [5, 4, 1_790_000_000_000],
      [6, 9, 1_790_000_001_010],
    ] as const) {
      fleet.step(host);
      const frame = batch.patch(seq, ts, fleet.bytesOf(host));
      // The layout documented in shared/wire-binary.ts, read by hand: 32-byte header, n little-endian f64s, the
      // extras' JSON (their length at offset 24).
      expect(frame.length).toBe(32 + 8 * PER_HOST + extrasBytes);
      expect([frame[0], frame[1], frame.readUInt16LE(2), frame.readUInt32LE(4)]).toEqual([1, 0, 0, PER_HOST]);
      expect([frame.readDoubleLE(8), frame.readDoubleLE(16)]).toEqual([seq, ts]);
      expect([frame.readUInt32LE(24), frame.readUInt32LE(28)]).toEqual([extrasBytes, 0]);
      const sent = JSON.parse(frame.subarray(32 + 8 * PER_HOST).toString('utf8')) as Record<string, unknown>;
      expect({ ...sent, states: undefined }).toEqual({ ...extras, states: undefined });
      expect(mongodUptime(sent.states)).toBe(1_000_000_000 + seq * 1000);
      const values = Array.from({ length: PER_HOST }, (_, j) => frame.readDoubleLE(32 + 8 * j));
      expect(values).toEqual(Array.from(fleet.values.subarray(host * PER_HOST, (host + 1) * PER_HOST)));
      // The server takes it as an agent's batch, with the statuses and states an agent sends every second.
      const session = new SessionSeries();
      session.reset(table);
      const decoded = decodeBinaryFrame(frame, session);
      expect(decoded.ok && decoded.value.type === 'batch' && Array.from(decoded.value.values)).toEqual(values);
      expect(decoded.ok && decoded.value.type === 'batch' && decoded.value.collectors?.map((c) => c.name)).toEqual([
        'cpu',
        'disks',
        'raid',
        'pressure',
        'mongod',
      ]);
    }
  });

  it('sends VictoriaMetrics a remote-write request with the same series, values and timestamp, patched in place', () => {
    const fleet = new frames.FleetValues(10, levels);
    const group = new frames.RemoteWriteGroup([2, 5], table);
    for (const ts of [1_790_000_000_000, 1_790_000_001_010]) {
      fleet.step(2);
      fleet.step(5);
      group.patch(fleet, ts);
      const got = decodeWriteRequest(group.body);
      expect(got).toHaveLength(2 * PER_HOST);
      got.forEach((s, k) => {
        const host = k < PER_HOST ? 2 : 5;
        const j = k % PER_HOST;
        const [metric, labels] = table[j]!;
        expect(s.ts).toBe(ts);
        expect(s.value).toBe(fleet.values[host * PER_HOST + j]);
        expect(Object.fromEntries(s.labels)).toEqual({
          __name__: `tidemark_${metric}`,
          host: frames.hostId(host),
          ...labels,
        });
      });
    }
  });

  it('puts every host in exactly one send group, in order', () => {
    for (const [hosts, slots] of [
      [7, 100],
      [1000, 100],
      [10_001, 100],
    ] as const) {
      const groups = frames.sendGroups(hosts, slots);
      expect(groups).toHaveLength(Math.min(hosts, slots));
      expect(groups.flat()).toEqual(Array.from({ length: hosts }, (_, i) => i));
      const sizes = groups.map((g) => g.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});
