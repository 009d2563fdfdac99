import { describe, expect, it } from 'vitest';
import { samplesOf, type DecodedBatch, type WireSample } from '../../shared/protocol.js';
import { SessionSeries, decodeAgentFrame } from '../../server/agent-frames.js';
import { BatchEncoder, binaryToJsonBatch } from '../../agent/batch-encoder.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';

/** Encodes each list of samples as the next frame and decodes it as the server does. */
function roundTrip(frames: WireSample[][]) {
  const enc = new BatchEncoder();
  const table = new SessionSeries();
  return frames.map((samples, n) => {
    const frame = enc.encode({ type: 'batch', seq: n + 1, ts: 1000 * (n + 1), samples });
    const d = decodeAgentFrame(frame, table);
    if (!d.ok) throw new Error(d.message);
    return {
      json: JSON.parse(frame) as { defs?: unknown[]; i?: number[] },
      samples: samplesOf(d.value as DecodedBatch),
    };
  });
}

describe('batch encoder: series found by position from the previous frame', () => {
  it('names each series once and decodes the same samples, frame after frame', () => {
    const tick = (v: number): WireSample[] => [
      { m: 'cpu_iowait_percent', v },
      { m: 'disk_util_percent', l: { device: 'sda' }, v: v + 1 },
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: v + 2 },
    ];
    const out = roundTrip([tick(1), tick(2), tick(3)]);
    expect(out[0]!.json.defs).toHaveLength(3);
    expect(out[1]!.json.defs).toBeUndefined();
    expect(out[2]!.json.defs).toBeUndefined();
    expect(out.map((o) => o.samples)).toEqual([tick(1), tick(2), tick(3)]);
  });

  it('finds the right series when the order changes or a label value differs at the same position', () => {
    const a: WireSample[] = [
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 1 },
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: 2 },
    ];
    const swapped: WireSample[] = [a[1]!, a[0]!].map((s) => ({ ...s, v: s.v! * 10 }));
    const other: WireSample[] = [{ m: 'disk_util_percent', l: { device: 'sdc' }, v: 5 }, a[1]!];
    const extraLabel: WireSample[] = [{ m: 'disk_util_percent', l: { device: 'sda', array: 'md0' }, v: 6 }];
    const out = roundTrip([a, swapped, other, extraLabel]);
    expect(out[1]!.json.i).toEqual([1, 0]);
    expect(out[1]!.samples).toEqual(swapped);
    expect(out[2]!.json.defs).toEqual([[2, 'disk_util_percent', { device: 'sdc' }]]);
    expect(out[2]!.samples).toEqual(other);
    expect(out[3]!.json.defs).toEqual([[3, 'disk_util_percent', { device: 'sda', array: 'md0' }]]);
    expect(out[3]!.samples).toEqual(extraLabel);
  });

  it('is not fooled by a collector that reuses and changes one label object', () => {
    const l = { device: 'sda' };
    const first: WireSample[] = [{ m: 'disk_util_percent', l, v: 1 }];
    const enc = new BatchEncoder();
    const table = new SessionSeries();
    const decode = (f: string) => {
      const d = decodeAgentFrame(f, table);
      if (!d.ok) throw new Error(d.message);
      return samplesOf(d.value as DecodedBatch);
    };
    expect(decode(enc.encode({ type: 'batch', seq: 1, ts: 1, samples: first }))).toEqual([
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 1 },
    ]);
    l.device = 'sdb';
    expect(
      decode(enc.encode({ type: 'batch', seq: 2, ts: 2, samples: [{ m: 'disk_util_percent', l, v: 2 }] })),
    ).toEqual([{ m: 'disk_util_percent', l: { device: 'sdb' }, v: 2 }]);
  });
});

describe('batch encoder: protocol-3 binary frames', () => {
  const ticks: WireSample[][] = [
    [
      { m: 'cpu_iowait_percent', v: 1.5 },
      { m: 'disk_util_percent', l: { device: 'sda' }, v: null },
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: -0 },
    ],
    [
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: 2 },
      { m: 'cpu_iowait_percent', v: 3 },
      { m: 'disk_util_percent', l: { device: 'sdc' }, v: 4 },
    ],
    [
      { m: 'cpu_iowait_percent', v: 5 },
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 6 },
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: 7 },
    ],
  ];

  it('decode to the samples sent, and are laid out as documented', () => {
    const enc = new BatchEncoder();
    const table = new SessionSeries();
    const frames = ticks.map((samples, n) =>
      enc.encodeBinary({ type: 'batch', seq: n + 1, ts: 1000 * (n + 1), samples }),
    );
    const decoded = frames.map((f) => {
      const d = decodeBinaryFrame(f, table);
      if (!d.ok) throw new Error(d.message);
      return samplesOf(d.value as DecodedBatch);
    });
    expect(decoded).toEqual(ticks);
    expect(Object.is(decoded[0]![2]!.v, -0)).toBe(true);
    // The third tick is in table order and defines nothing: a 32-byte header and 3 float64s, no indexes, no extras.
    expect(frames[2]!.length).toBe(32 + 3 * 8);
    expect(frames[2]![1]).toBe(0); // flags: no indexes
    expect(frames[1]![1]).toBe(1); // out of order: indexes follow the values
    expect(frames[1]!.readUInt16LE(32 + 3 * 8)).toBe(2); // sdb is the third series named
  });

  it('turn into the protocol-2 frame of the same batch, for a server that speaks only 2', () => {
    const binary = new BatchEncoder();
    const json = new BatchEncoder();
    const states = { stateKinds: ['raid_array'], states: [{ kind: 'raid_array', key: 'md0', value: { degraded: 1 } }] };
    ticks.forEach((samples, n) => {
      const batch = { type: 'batch' as const, seq: n + 1, ts: 1000 * (n + 1), samples, ...(n === 1 ? states : {}) };
      expect(binaryToJsonBatch(binary.encodeBinary(batch))).toBe(json.encode(batch));
    });
  });
});
