import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import type { WebSocket as ServerSocket } from 'ws';
import { MemoryStore } from '../../server/store/memory.js';
import { silentLogger } from '../../shared/log.js';
import type { Batch } from '../../shared/protocol.js';
import { frameText } from '../../shared/frame-text.js';
import { BatchEncoder } from '../../agent/batch-encoder.js';
import { simulatedTransport } from '../../agent/simulated-transport.js';
import type { TidemarkServer } from '../../server/server.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';

/** Batches are stamped relative to T0, ten minutes ago: the server refuses ones far from its clock. */
const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

/** A real memory store whose writes reach "disk" only when the test says so. */
class GatedStore extends MemoryStore {
  private release = () => {};
  private readonly gate = new Promise<void>((r) => (this.release = r));
  override whenDurable(): Promise<void> {
    return this.gate;
  }
  open(): void {
    this.release();
  }
}

/** Counts the frames agents send the server, by kind: the traffic as it is, watched from the server's side. */
function watchFrames(server: TidemarkServer): { binary: number; text: number } {
  const seen = { binary: 0, text: 0 };
  const accept = server.agents.accept.bind(server.agents);
  server.agents.accept = (ws: ServerSocket, ...rest) => {
    ws.on('message', (_d, isBinary) => (isBinary ? seen.binary++ : seen.text++));
    accept(ws, ...rest);
  };
  return seen;
}

/** The real agent transport (as the simulator and the scripted fleet use it), stopped when the test ends. */
function agent(port: number, id: string, onState?: (state: string) => void) {
  const t = simulatedTransport({
    id,
    serverUrl: `ws://127.0.0.1:${port}`,
    token: 't',
    version: 'test',
    log: silentLogger,
    bufferCapacity: 100,
  });
  onTestFinished(() => t.stop());
  if (onState) t.onState = onState;
  t.start();
  return t;
}

/** Three batches: a null value, a series added in the second, the order changed in the third, states once. */
const batches = (): Batch[] => [
  {
    type: 'batch',
    seq: 1,
    ts: T0 + 1000,
    samples: [
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 10.25 },
      { m: 'mongod_up', v: null },
    ],
    // A kind this build does not know travels untyped (the known kinds' shapes: shared/state-shapes.ts).
    stateKinds: ['disk_smart'],
    states: [{ kind: 'disk_smart', key: 'md0', value: { degraded: 0 } }],
  },
  {
    type: 'batch',
    seq: 2,
    ts: T0 + 2000,
    samples: [
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 20.5 },
      { m: 'mongod_up', v: 1 },
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: -0.125 },
    ],
  },
  {
    type: 'batch',
    seq: 3,
    ts: T0 + 3000,
    samples: [
      { m: 'disk_util_percent', l: { device: 'sdb' }, v: 1e-300 },
      { m: 'disk_util_percent', l: { device: 'sda' }, v: 30 },
    ],
  },
];

type Points = { series: { labels: Record<string, string>; points: [number, number | null][] }[] };
async function points(base: string, host: string, metric: string, device?: string) {
  const q = `host=${host}&metric=${metric}&from=${T0}&to=${T0 + 10_000}${device ? `&device=${device}` : ''}`;
  const res = (await (await fetch(`${base}/api/series?${q}`)).json()) as Points;
  return res.series.flatMap((s) => s.points);
}

/** What the three batches stored, read back through the API. */
async function storedBy(base: string, host: string) {
  return {
    sda: await points(base, host, 'disk_util_percent', 'sda'),
    sdb: await points(base, host, 'disk_util_percent', 'sdb'),
    up: await points(base, host, 'mongod_up'),
  };
}
const SENT = {
  sda: [
    [T0 + 1000, 10.25],
    [T0 + 2000, 20.5],
    [T0 + 3000, 30],
  ],
  sdb: [
    [T0 + 2000, -0.125],
    [T0 + 3000, 1e-300],
  ],
  up: [
    [T0 + 1000, null],
    [T0 + 2000, 1],
  ],
};

describe('protocol 3: binary batch frames over a real WebSocket', () => {
  it('an agent on protocol 3 sends binary batches, and the server stores exactly what it sent', async () => {
    const { server, port, base } = await startLoopbackServer();
    const seen = watchFrames(server);
    const t = agent(port, 'p3');
    for (const b of batches()) t.send(b);
    await until(() => t.buffer.size === 0, 10_000, 'every batch acknowledged');
    expect(seen.binary).toBe(3);
    expect(seen.text).toBe(1); // the hello
    expect(server.hosts.get('p3')?.protocol).toBe(3);
    expect(await storedBy(base, 'p3')).toEqual(SENT);
    expect(server.hosts.get('p3')?.states.disk_smart?.md0).toEqual({ degraded: 0 });
  });

  it('acknowledges only what is durable, cumulatively: one ack for the batches one commit made durable', async () => {
    const store = new GatedStore();
    onTestFinished(() => store.open());
    const { port } = await startLoopbackServer({ store });
    const ws = await socket(port);
    ws.send(hello(3));
    const enc = new BatchEncoder();
    for (const b of batches()) ws.send(enc.encodeBinary(b));
    await until(() => store.lastSeq('raw', 's1') === 3, 5000, 'all three stored');
    await new Promise((r) => setTimeout(r, 200)); // time for a wrong early ack to arrive
    expect(ws.received.map((m) => m.type)).toEqual(['welcome']);
    expect(ws.received[0]).toMatchObject({ protocol: 3, lastSeq: 0 });
    store.open();
    await until(() => ws.received.length >= 2, 5000, 'the ack');
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.received.slice(1)).toEqual([{ type: 'ack', seq: 3 }]);
  });

  it('answers a bad binary frame with an error and keeps serving the connection', async () => {
    const { port, base } = await startLoopbackServer();
    const ws = await socket(port);
    const [b1] = batches();
    ws.send(new BatchEncoder().encodeBinary(b1!)); // before the hello
    ws.send(hello(3));
    const good = new BatchEncoder().encodeBinary(b1!);
    ws.send(good.subarray(0, good.length - 3));
    const unknownKind = Buffer.from(good);
    unknownKind[0] = 7;
    ws.send(unknownKind);
    ws.send(good);
    await until(() => ws.received.some((m) => m.type === 'ack'), 5000, 'the good batch acknowledged');
    expect(ws.received.map((m) => `${m.type} ${m.code ?? m.seq ?? ''}`.trim())).toEqual([
      'error hello_required',
      'welcome',
      'error bad_frame',
      'error bad_frame',
      'ack 1',
    ]);
    expect(ws.received[2]!.message).toMatch(/header makes the frame \d+ bytes long; it is \d+ bytes/);
    expect(ws.received[3]!.message).toBe('kind: unknown binary frame kind 7 (1 is a batch)');
    expect(await points(base, 'raw', 'disk_util_percent', 'sda')).toEqual([[T0 + 1000, 10.25]]);
  });

  it('still serves a protocol-2 agent (JSON batches), and refuses binary frames on its connection', async () => {
    const { server, port, base } = await startLoopbackServer();
    const ws = await socket(port);
    ws.send(hello(2));
    const enc = new BatchEncoder();
    const [b1, b2, b3] = batches();
    ws.send(enc.encode(b1!));
    ws.send(new BatchEncoder().encodeBinary(b2!));
    ws.send(enc.encode(b2!));
    ws.send(enc.encode(b3!));
    await until(() => ws.received.some((m) => m.type === 'ack' && m.seq === 3), 5000, 'batch 3 acknowledged');
    expect(ws.received[0]).toMatchObject({ type: 'welcome', protocol: 2 });
    expect(ws.received.filter((m) => m.type === 'error')).toEqual([
      { type: 'error', code: 'bad_frame', message: 'binary batch frames need protocol 3; this connection speaks 2' },
    ]);
    expect(server.hosts.get('raw')?.protocol).toBe(2);
    expect(await storedBy(base, 'raw')).toEqual(SENT);
  });

  it('a protocol-3 agent against a server that speaks only 2 says hello again with 2 and sends JSON', async () => {
    const { server, port, base } = await startLoopbackServer({ agentMaxProtocol: 2 });
    const seen = watchFrames(server);
    const states: string[] = [];
    const t = agent(port, 'p3', (s) => states.push(s));
    for (const b of batches()) t.send(b);
    await until(() => t.buffer.size === 0, 10_000, 'every batch acknowledged');
    expect(seen.binary).toBe(0);
    expect(seen.text).toBe(5); // the refused hello, the hello with 2, three batches
    expect(states).toEqual(['connecting', 'disconnected', 'connecting', 'ready']);
    expect(server.hosts.get('p3')?.protocol).toBe(2);
    expect(await storedBy(base, 'p3')).toEqual(SENT);
  });
});

type Reply = { type: string; seq?: number; lastSeq?: number; code?: string; message?: string; protocol?: number };

function socket(port: number): Promise<WebSocket & { received: Reply[] }> {
  return new Promise((resolve, reject) => {
    const ws = Object.assign(
      new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } }),
      { received: [] as Reply[] },
    );
    onTestFinished(() => ws.terminate());
    ws.on('message', (d) => ws.received.push(JSON.parse(frameText(d)) as Reply));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const hello = (protocol: number) =>
  JSON.stringify({
    type: 'hello',
    protocol,
    agentId: 'raw',
    session: 's1',
    hostname: 'raw',
    agentVersion: 't',
    inventory: null,
  });
