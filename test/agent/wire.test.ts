import { describe, expect, it } from 'vitest';
import { MAX_AGENT_FRAME_BYTES, MAX_SERIES_TABLE_BYTES, decodeServerToAgent } from '../../shared/wire.js';
import { samplesOf, type DecodedBatch } from '../../shared/protocol.js';
import { SessionSeries, decodeAgentFrame } from '../../server/agent-frames.js';
import { BatchEncoder } from '../../agent/batch-encoder.js';
import { AgentTransport } from '../../agent/transport.js';
import type { Logger } from '../../shared/log.js';

describe('server → agent frames, checked by the agent without a schema library', () => {
  it('accepts the three messages', () => {
    expect(decodeServerToAgent('{"type":"welcome","protocol":1,"serverVersion":"0.1.0","lastSeq":7}')).toEqual({
      ok: true,
      value: { type: 'welcome', protocol: 1, serverVersion: '0.1.0', lastSeq: 7 },
    });
    expect(decodeServerToAgent('{"type":"ack","seq":12}')).toEqual({ ok: true, value: { type: 'ack', seq: 12 } });
    expect(decodeServerToAgent('{"type":"error","code":"rate_limited","message":"slow down"}')).toEqual({
      ok: true,
      value: { type: 'error', code: 'rate_limited', message: 'slow down' },
    });
  });

  it('rejects the rest with a reason', () => {
    expect(decodeServerToAgent('not json')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^frame is not JSON/),
    });
    expect(decodeServerToAgent('{"type":"ack","seq":-1}')).toEqual({ ok: false, message: 'ack needs a whole seq' });
    expect(decodeServerToAgent('{"type":"ack","seq":1.5}')).toEqual({ ok: false, message: 'ack needs a whole seq' });
    expect(decodeServerToAgent('{"type":"welcome","protocol":1,"lastSeq":0}')).toEqual({
      ok: false,
      message: 'welcome needs protocol, serverVersion and lastSeq',
    });
    expect(decodeServerToAgent('{"type":"error","code":"teapot","message":"x"}')).toEqual({
      ok: false,
      message: 'error needs a known code and a message',
    });
    expect(decodeServerToAgent('{"type":"reboot"}')).toEqual({ ok: false, message: 'unknown message type "reboot"' });
    expect(decodeServerToAgent('null')).toEqual({ ok: false, message: 'frame is not an object' });
  });
});

/** Values as protocol 2 sends them: little-endian float64s in base64, NaN for null. */
const b64 = (values: (number | null)[]) =>
  Buffer.from(new Float64Array(values.map((v) => v ?? NaN)).buffer).toString('base64');

describe('agent → server batches (protocol 2: series named once, then indexes and packed values)', () => {
  const samples = [
    { m: 'disk_util_percent', l: { device: 'sda' }, v: 12.5 },
    { m: 'disk_util_percent', l: { device: 'sdb' }, v: null },
    { m: 'mongod_up', v: 1 },
  ];

  it('round-trips through the encoder and the server decoder, naming each series only once', () => {
    const enc = new BatchEncoder();
    const table = new SessionSeries();
    const first = enc.encode({ type: 'batch', seq: 1, ts: 1000, samples, stateKinds: ['raid_array'], states: [] });
    expect(JSON.parse(first)).toEqual({
      type: 'batch',
      seq: 1,
      ts: 1000,
      defs: [
        [0, 'disk_util_percent', { device: 'sda' }],
        [1, 'disk_util_percent', { device: 'sdb' }],
        [2, 'mongod_up'],
      ],
      v: b64([12.5, null, 1]),
      stateKinds: ['raid_array'],
      states: [],
    }); // indexes 0, 1, 2: no "i"
    const d1 = decodeAgentFrame(first, table);
    expect(d1).toMatchObject({
      ok: true,
      value: {
        type: 'batch',
        seq: 1,
        ts: 1000,
        values: new Float64Array([12.5, NaN, 1]),
        slots: [0, 1, 2],
        stateKinds: ['raid_array'],
        states: [],
      },
    });
    expect(d1.ok && samplesOf(d1.value as DecodedBatch)).toEqual(samples);
    const second = enc.encode({
      type: 'batch',
      seq: 2,
      ts: 2000,
      samples: [samples[2]!, { m: 'disk_in_flight', l: { device: 'sda' }, v: 3 }],
    });
    expect(JSON.parse(second)).toEqual({
      type: 'batch',
      seq: 2,
      ts: 2000,
      defs: [[3, 'disk_in_flight', { device: 'sda' }]],
      i: [2, 3],
      v: b64([1, 3]),
    });
    const d2 = decodeAgentFrame(second, table);
    expect(d2).toMatchObject({ ok: true, value: { slots: [2, 3] } });
    expect(d2.ok && samplesOf(d2.value as DecodedBatch)).toEqual([
      { m: 'mongod_up', v: 1 },
      { m: 'disk_in_flight', l: { device: 'sda' }, v: 3 },
    ]);
    // A new connection learns the table from the hello and decodes a replayed frame that has no defs.
    const fresh = new SessionSeries();
    fresh.reset(enc.series());
    const d3 = decodeAgentFrame(enc.encodeValues(3, 3000, [0, 3], [7, 4]), fresh);
    expect(d3.ok && samplesOf(d3.value as DecodedBatch)).toEqual([
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 7 },
      { m: 'disk_in_flight', l: { device: 'sda' }, v: 4 },
    ]);
  });

  it('still decodes protocol 1 batches (name and labels on every sample)', () => {
    const frame = JSON.stringify({ type: 'batch', seq: 4, ts: 5, samples });
    const d = decodeAgentFrame(frame, new SessionSeries());
    expect(d).toEqual({
      ok: true,
      value: {
        type: 'batch',
        seq: 4,
        ts: 5,
        series: samples.map(({ m, l }) => (l ? { m, l } : { m })),
        values: new Float64Array([12.5, NaN, 1]),
      },
    });
    expect(d.ok && samplesOf(d.value as DecodedBatch)).toEqual(samples);
  });

  it('rejects bad batches with the place and the reason, and a rejected frame defines nothing', () => {
    const table = new SessionSeries();
    const bad = (frame: object) => decodeAgentFrame(JSON.stringify({ type: 'batch', seq: 1, ts: 1, ...frame }), table);
    expect(bad({ v: b64([1]) })).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'v.0: series index 0 was never defined in this session',
    });
    expect(bad({ defs: [[0, 'disk_util_percent']], i: [0, 5], v: b64([1, 2]) })).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'i.1: series index 5 was never defined in this session',
    });
    expect(table.entries).toHaveLength(0);
    expect(bad({ defs: [[0, 'disk_util_percent']], i: [0], v: b64([1, 2]) })).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'i: must be an array of 2 series indexes, one per value',
    });
    expect(bad({ defs: [[0, 'disk_util_percent']], v: 'AAAA' })).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'v: must be base64 of float64 values (8 bytes each); it holds 3 bytes',
    });
    expect(bad({ defs: [[0, 'disk_util_percent']], v: b64([Infinity]) })).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'v.0: value must be a finite number or NaN for null',
    });
    expect(bad({ defs: [[0, 'disk_util_percent']], v: [1] })).toMatchObject({
      message: expect.stringMatching(/^v: must be base64/),
    });
    expect(bad({ defs: [[0, 'bad name']], v: '' })).toMatchObject({
      message: expect.stringMatching(/^defs\.0\.1: must be letters, digits and _/),
    });
    expect(bad({ defs: [[0, 'disk_util_percent', { 'x-y': '1' }]], v: '' })).toMatchObject({
      message: expect.stringMatching(/^defs\.0\.2\.x-y: must be letters/),
    });
    expect(
      bad({
        defs: [
          [0, 'disk_util_percent'],
          [0, 'disk_aqu_sz'],
        ],
        v: '',
      }),
    ).toEqual({ ok: false, code: 'bad_frame', message: 'defs.1: index 0 already names disk_util_percent' });
    expect(bad({ defs: [[0, 'not_in_the_catalogue']], v: '' })).toMatchObject({
      message: expect.stringMatching(/^defs\.0\.1: unknown metric "not_in_the_catalogue"/),
    });
    expect(bad({ samples: [], v: '' })).toMatchObject({
      message: 'frame: a batch carries either samples (protocol 1) or v (protocol 2)',
    });
    expect(bad({ seq: 0, v: '' })).toMatchObject({ message: 'seq: must be a whole number ≥ 1' });
    expect(bad({ samples: [{ m: 'disk_util_percent', v: 1, l: { d: 5 } }] })).toMatchObject({
      message: 'samples.0.l.d: label values are strings of at most 256 characters',
    });
    expect(bad({ v: '', states: [{ kind: 'raid_array' }] })).toMatchObject({
      message: expect.stringMatching(/^states\.0\.key: /),
    });
    expect(decodeAgentFrame('[1,2]', table)).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'frame: must be an object',
    });
    expect(decodeAgentFrame('{"type":"reboot"}', table)).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'type: unknown message type "reboot"',
    });
    expect(table.entries).toHaveLength(0);
  });

  it('stops naming new series once the session table is full, and counts what it left out', () => {
    const enc = new BatchEncoder(2);
    const frame = JSON.parse(enc.encode({ type: 'batch', seq: 1, ts: 1, samples }));
    expect(frame.v).toEqual(b64([12.5, null]));
    expect(enc.overflow).toBe(1);
  });

  it('keeps the table small enough for a hello to fit in one frame, however long the labels', () => {
    const enc = new BatchEncoder();
    // 10 000 series with 16 labels of 256 characters each would be ~45 MB of table.
    const labels = (n: number) =>
      Object.fromEntries(Array.from({ length: 16 }, (_, k) => [`l${k}`, `${n}`.padEnd(256, 'é')]));
    const long = Array.from({ length: 10_000 }, (_, n) => ({ m: 'disk_util_percent', l: labels(n), v: n }));
    const first = enc.encode({ type: 'batch', seq: 1, ts: 1, samples: long });
    expect(Buffer.byteLength(first)).toBeLessThan(MAX_AGENT_FRAME_BYTES); // it carries the definitions too
    const named = enc.series().length;
    expect(named).toBeGreaterThan(50);
    expect(enc.overflow).toBe(10_000 - named);
    const hello = JSON.stringify({
      type: 'hello',
      protocol: 2,
      agentId: 'a',
      session: 's',
      hostname: 'h',
      agentVersion: '1',
      inventory: null,
      series: enc.series(),
    });
    expect(Buffer.byteLength(hello)).toBeLessThanOrEqual(MAX_SERIES_TABLE_BYTES + 200);
    expect(Buffer.byteLength(hello)).toBeLessThan(MAX_AGENT_FRAME_BYTES);
    // …and the server takes it.
    const table = new SessionSeries();
    const d = decodeAgentFrame(hello, table);
    expect(d.ok).toBe(true);
  });

  it('the agent says once that its table is full, not every second', () => {
    const warnings: [string, Record<string, unknown> | undefined][] = [];
    const log: Logger = {
      debug() {},
      info() {},
      error() {},
      warn: (msg, fields) => warnings.push([msg, fields]),
      child: () => log,
    };
    // Not started: batches only go into the buffer.
    const t = new AgentTransport({
      serverUrl: 'ws://127.0.0.1:9',
      token: 't',
      bufferCapacity: 10,
      log,
      hello: () => ({
        type: 'hello',
        protocol: 2,
        agentId: 'a',
        session: 's',
        hostname: 'h',
        agentVersion: '1',
        inventory: null,
      }),
    });
    const samples = Array.from({ length: 10_001 }, (_, n) => ({ m: 'mongod_queued', l: { op: `op${n}` }, v: 1 }));
    for (let seq = 1; seq <= 3; seq++) t.send({ type: 'batch', seq, ts: seq * 1000, samples });
    expect(warnings).toEqual([
      [
        'series table of this session is full; new series are left out until the agent restarts',
        { leftOut: 1, series: 10_000 },
      ],
    ]);
    expect(t.encoder.overflow).toBe(3);
  });
});
