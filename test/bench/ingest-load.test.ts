import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { SessionSeries } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';

type SeriesDef = [string, Record<string, string>?];
/** The bench modules are JavaScript without types: the calls this test makes. */
interface FramesModule {
  hostShape(): { table: SeriesDef[]; levels: Float64Array; extras: Record<string, unknown> };
  hostId(i: number): string;
  FleetValues: new (hosts: number, levels: Float64Array) => { values: Float64Array; step(i: number): void };
  BinaryBatch: new (perHost: number, extras: Record<string, unknown>) => { frame: Buffer };
  WireBatches: new (
    fleet: { values: Float64Array },
    extras: Record<string, unknown>,
  ) => { patch(i: number, seq: number, ts: number, held: boolean): Buffer };
}
interface GeneratorStats {
  generated: number;
  sent: number;
  acked: number;
  dropped: number;
  errors: number;
}
const bench = path.join(import.meta.dirname, '../../bench');
const frames = (await import(pathToFileURL(path.join(bench, 'ingest-frames.mjs')).href)) as FramesModule;
/** ws's own framing, which the generator used for every batch before session 30: the bytes to match. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } };
const zeroMaskedByWs = (payload: Buffer) =>
  Buffer.concat(
    Sender.frame(payload, {
      fin: true,
      opcode: 2,
      mask: true,
      generateMask: (m: Buffer) => m.fill(0),
      readOnly: false,
      rsv1: false,
    }),
  );

const HOSTS = 12;
const PER_HOST = 93;
/** Batches every host must have sent before the run is read; acks cover the first two. */
const BATCHES = 3;
const ACKED = 2;

/** One client frame of RFC 6455 5.2, read by hand from the raw bytes. */
interface WireFrame {
  fin: boolean;
  opcode: number;
  maskKey: number[];
  payload: Buffer;
  bytes: Buffer;
}
/** Reads the whole frames at the start of `raw`; returns them and the bytes left over. */
function readFrames(raw: Buffer): { frames: WireFrame[]; rest: Buffer } {
  const out: WireFrame[] = [];
  let at = 0;
  for (;;) {
    if (raw.length - at < 2) break;
    const b1 = raw[at + 1]!;
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (raw.length - at < 4) break;
      len = raw.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (raw.length - at < 10) break;
      len = Number(raw.readBigUInt64BE(at + 2));
      head = 10;
    }
    expect(b1 & 0x80, 'a client frame has its mask bit').toBe(0x80);
    if (raw.length - at < head + 4 + len) break;
    const maskKey = [...raw.subarray(at + head, at + head + 4)];
    // With a zero key the payload is as it is; another key would show as a mismatch below, unmasked or not.
    const payload = raw.subarray(at + head + 4, at + head + 4 + len);
    out.push({
      fin: (raw[at]! & 0x80) !== 0,
      opcode: raw[at]! & 0x0f,
      maskKey,
      payload,
      bytes: raw.subarray(at, at + head + 4 + len),
    });
    at += head + 4 + len;
  }
  return { frames: out, rest: raw.subarray(at) };
}

/** A loopback stand-in for the server's agent endpoint: welcomes, acks, pings, and keeps every byte it got. */
async function captureServer() {
  const wss = new ws.WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws/agent' });
  await new Promise((r) => wss.once('listening', r));
  const conns: { raw: Buffer[]; batches: number; closed: boolean; errors: string[] }[] = [];
  wss.on('connection', (socket, req) => {
    const conn = { raw: [] as Buffer[], batches: 0, closed: false, errors: [] as string[] };
    conns.push(conn);
    req.socket.on('data', (chunk: Buffer) => conn.raw.push(Buffer.from(chunk)));
    req.socket.on('close', () => (conn.closed = true));
    socket.on('error', (err) => conn.errors.push(err.message)); // what ws could not read as WebSocket frames
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        socket.send(JSON.stringify({ type: 'welcome' }));
        socket.ping(); // ws answers it on the generator's side, between its batches
        return;
      }
      const seq = ++conn.batches;
      // Acks of the first two batches, the first repeated after the second: counted once, up to the newest.
      if (seq <= ACKED) socket.send(JSON.stringify({ type: 'ack', seq }));
      if (seq === ACKED) socket.send(JSON.stringify({ type: 'ack', seq: 1 }));
    });
  });
  return { wss, conns, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` };
}

/** The gauges of a batch's mongod state (their uptime changes with every batch). */
const mongodGauges = (states: unknown) =>
  (states as { kind: string; value: { gauges: { uptimeMs: number } } }[]).find((st) => st.kind === 'mongod')!.value
    .gauges;

let generator: ChildProcess | undefined;
let closeServer: (() => void) | undefined;
afterEach(() => {
  generator?.kill('SIGKILL');
  closeServer?.();
});

async function until(check: () => boolean, ms: number, what: string) {
  for (const deadline = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

describe('bench/ingest-load.mjs: what the generator puts on the wire', () => {
  it('sends each host its hello, then ws-framed zero-masked batches of the fleet model, paced by slot', async () => {
    const server = await captureServer();
    closeServer = () => server.wss.close();
    const child = fork(path.join(bench, 'ingest-load.mjs'), ['tidemark', server.url, String(HOSTS)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    generator = child;
    const messages: { type: string; stats?: GeneratorStats; levels?: number[] }[] = [];
    child.on('message', (m) => messages.push(m as (typeof messages)[number]));
    await until(
      () =>
        server.conns.some((c) => c.errors.length > 0) || // a misframed stream: read below
        (server.conns.length === HOSTS && server.conns.every((c) => c.batches >= BATCHES)),
      15_000,
      'batches',
    );
    child.send('stats');
    await until(() => messages.some((m) => m.type === 'stats'), 5000, 'stats');
    const stats = messages.find((m) => m.type === 'stats')!.stats!;
    child.kill('SIGKILL');
    await until(() => server.conns.every((c) => c.closed), 5000, 'the connections to close'); // every byte in

    const { table, extras } = frames.hostShape();
    // The simulator's levels are random per process: the generator's own, from its 'ready'.
    const fleet = new frames.FleetValues(HOSTS, Float64Array.from(messages.find((m) => m.type === 'ready')!.levels!));
    const seen = new Set<number>();
    for (const conn of server.conns) {
      const { frames: got, rest } = readFrames(Buffer.concat(conn.raw));
      expect(conn.errors).toEqual([]);
      expect(rest.length).toBe(0);
      for (const f of got) expect([f.fin, f.maskKey]).toEqual([true, [0, 0, 0, 0]]);
      const [hello, ...more] = got;
      expect(hello!.opcode).toBe(1);
      const h = JSON.parse(hello!.payload.toString()) as { agentId: string; protocol: number; series: SeriesDef[] };
      expect(h.protocol).toBe(3);
      expect(h.series).toEqual(table);
      const host = Number(h.agentId.slice('sim-'.length));
      expect(h.agentId).toBe(frames.hostId(host));
      seen.add(host);
      // A pong for the server's ping (opcode 10), the rest batches (opcode 2).
      expect(more.filter((f) => f.opcode === 10)).toHaveLength(1);
      const batches = more.filter((f) => f.opcode === 2);
      expect(batches.length + 1).toBe(more.length);
      const session = new SessionSeries();
      session.reset(h.series);
      let firstTs = 0;
      let layout: Buffer = Buffer.alloc(0);
      batches.forEach((f, k) => {
        const seq = k + 1;
        fleet.step(host);
        const decoded = decodeBinaryFrame(f.payload, session);
        if (!decoded.ok || decoded.value.type !== 'batch') throw new Error(`host ${host} batch ${seq}: not a batch`);
        const b = decoded.value;
        expect(b.seq).toBe(seq);
        const want = fleet.values.subarray(host * PER_HOST, (host + 1) * PER_HOST);
        expect(Array.from(b.values)).toEqual(Array.from(want));
        // 12 hosts in 12 slots of a second: host i sends at floor(i × 1000 / 12) ms into each second.
        if (seq === 1) firstTs = b.ts;
        expect(b.ts % 1000).toBe(Math.floor((host * 1000) / HOSTS));
        expect(b.ts).toBe(firstTs + 1000 * (seq - 1));
        expect(mongodGauges(b.states).uptimeMs).toBe(1_000_000_000 + 1000 * seq);
        expect(b.collectors).toEqual(extras.collectors);
        if (seq === 1) {
          // The old generator's layout (BinaryBatch) of the extras as sent, uptime back at its start.
          const sent = JSON.parse(f.payload.subarray(32 + 8 * PER_HOST).toString()) as { states: unknown };
          mongodGauges(sent.states).uptimeMs = 1_000_000_000;
          layout = new frames.BinaryBatch(PER_HOST, sent).frame;
        }
        // Byte for byte what ws made of the same batch: the layout with seq, ts, values and uptime written in.
        const payload = Buffer.from(layout);
        payload.writeDoubleLE(seq, 8);
        payload.writeDoubleLE(b.ts, 16);
        Buffer.from(want.buffer, want.byteOffset, want.byteLength).copy(payload, 32);
        payload.write(String(1_000_000_000 + 1000 * seq), payload.indexOf('"uptimeMs":') + 11, 'latin1');
        expect(f.bytes.equals(zeroMaskedByWs(payload))).toBe(true);
      });
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: HOSTS }, (_, i) => i));
    // Every batch generated went out; the acks counted each host's first two batches once.
    expect(stats.sent).toBe(stats.generated);
    expect(stats.dropped).toBe(0);
    expect(stats.acked).toBe(HOSTS * ACKED * PER_HOST);
    expect(stats.errors).toBe(0);
  }, 30_000);

  it('lays a held frame out anew and leaves the old one as it was', () => {
    const { levels, extras } = frames.hostShape();
    const fleet = new frames.FleetValues(2, levels);
    const wire = new frames.WireBatches(fleet, extras);
    const first = wire.patch(1, 1, 1_790_000_000_000, false);
    const before = Buffer.from(first);
    expect(wire.patch(1, 2, 1_790_000_001_000, false)).toBe(first); // patched in place
    const sentBytes = Buffer.from(first);
    const fresh = wire.patch(1, 3, 1_790_000_002_000, true);
    expect(fresh).not.toBe(first);
    expect(first.equals(sentBytes)).toBe(true);
    expect(first.equals(before)).toBe(false);
    expect(fresh.readDoubleLE(8 + 8)).toBe(3);
  });
});
