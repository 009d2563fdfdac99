/**
 * Agents' sockets read into one shared buffer (server/socket-reads.ts): the
 * reads ws may parse in place, and, over real loopback connections, that what
 * agents send is stored exactly while the buffer is overwritten under frames
 * that wait in the ingest queue, under a frame split across reads, and over TLS.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { WebSocket as ServerSocket } from 'ws';
import tls from 'node:tls';
import { MemoryStore } from '../../server/store/memory.js';
import { createLogger } from '../../shared/log.js';
import { isBorrowed, socketReads, wholeDataFrames } from '../../server/socket-reads.js';
import type { TidemarkServer } from '../../server/server.js';
import type { IngestQueueStats } from '../../server/ingest-queue.js';
import { BatchEncoder } from '../../agent/batch-encoder.js';
import type { Batch } from '../../shared/protocol.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';
import { makeCerts } from '../helpers/certs.js';

/** Batches are stamped relative to T0, ten minutes ago: the server refuses ones far from its clock. */
const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

/** A client's frame as RFC 6455 §5.2 lays it out: FIN, RSV, opcode, MASK, length, mask key, masked payload. */
function clientFrame(opcode: number, payload: Buffer, o: { fin?: boolean; masked?: boolean; rsv?: number } = {}) {
  const { fin = true, masked = true, rsv = 0 } = o;
  const n = payload.length;
  const length =
    n < 126
      ? [n]
      : n < 65536
        ? [126, n >> 8, n & 255]
        : [127, 0, 0, 0, 0, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  const head = Buffer.from([
    (fin ? 0x80 : 0) | (rsv << 4) | opcode,
    (masked ? 0x80 : 0) | length[0]!,
    ...length.slice(1),
  ]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

const hello = (agentId: string, protocol = 3) =>
  JSON.stringify({
    type: 'hello',
    protocol,
    agentId,
    session: 's1',
    hostname: agentId,
    agentVersion: 't',
    inventory: null,
  });

/** Batch `seq` of agent `a`: 20 series whose every value says whose, which batch and which series it is. */
const valueOf = (a: number, seq: number, j: number) => a * 1e6 + seq * 100 + j + 0.25;
function batchOf(a: number, seq: number): Batch {
  const samples = Array.from({ length: 20 }, (_, j) => ({
    m: 'disk_util_percent' as const,
    l: { device: `d${j}` },
    v: valueOf(a, seq, j),
  }));
  return { type: 'batch', seq, ts: T0 + seq * 1000, samples };
}

/** The points the store holds of `host`'s disk_util_percent for `device`. */
const pointsOf = (store: MemoryStore, host: string, device: string) =>
  store
    .query({ host, metric: 'disk_util_percent', labels: { device }, from: T0, to: T0 + 1e6 })
    .flatMap((s) => s.points);

/** What the store holds of agent `a`'s batches, and what it should hold. */
function storedAndSent(store: MemoryStore, a: number, batches: number) {
  const stored: Record<string, [number, number | null][]> = {};
  const sent: Record<string, [number, number][]> = {};
  for (let j = 0; j < 20; j++) {
    stored[`d${j}`] = pointsOf(store, `a${a}`, `d${j}`);
    sent[`d${j}`] = Array.from({ length: batches }, (_, k) => [T0 + (k + 1) * 1000, valueOf(a, k + 1, j)]);
  }
  return { stored, sent };
}

describe("agents' socket reads in one shared buffer", () => {
  it('lets ws parse in place only a read of whole, final, masked data frames', () => {
    const bin = clientFrame(2, Buffer.alloc(300, 7));
    const text = clientFrame(1, Buffer.from('{"type":"hello"}'));
    const mid = clientFrame(2, Buffer.alloc(70_000, 1)); // a 16-bit length is 126 + two bytes
    expect(wholeDataFrames(bin)).toBe(true);
    expect(wholeDataFrames(Buffer.concat([text, bin, bin]))).toBe(true);
    expect(wholeDataFrames(clientFrame(2, Buffer.alloc(1000)))).toBe(true);
    expect(wholeDataFrames(mid)).toBe(true);
    // Cut anywhere: the receiver would keep the rest for the next read.
    for (const cut of [1, 2, 5, 6, 100, bin.length - 1]) expect(wholeDataFrames(bin.subarray(0, cut))).toBe(false);
    expect(wholeDataFrames(Buffer.concat([bin, bin.subarray(0, 3)]))).toBe(false);
    // Not a whole data message: control frames, fragments, continuations, unmasked, compressed.
    expect(wholeDataFrames(clientFrame(9, Buffer.from('ping')))).toBe(false);
    expect(wholeDataFrames(clientFrame(8, Buffer.from([3, 232])))).toBe(false);
    expect(wholeDataFrames(clientFrame(2, Buffer.alloc(10), { fin: false }))).toBe(false);
    expect(wholeDataFrames(clientFrame(0, Buffer.alloc(10)))).toBe(false);
    expect(wholeDataFrames(clientFrame(2, Buffer.alloc(10), { masked: false }))).toBe(false);
    expect(wholeDataFrames(clientFrame(2, Buffer.alloc(10), { rsv: 4 }))).toBe(false);
    expect(wholeDataFrames(Buffer.concat([bin, clientFrame(10, Buffer.alloc(0)), bin]))).toBe(false);
  });

  it('stores exactly what 40 agents sent while their frames wait in the ingest queue and the buffer is read again', async () => {
    const store = new MemoryStore();
    // Slices of 0 ms: past a turn's first frame, every frame waits, copied, while later reads overwrite the buffer.
    const { server, port, base } = await startLoopbackServer({ store, agentIngestSliceMs: 0 });
    const reads = { ...socketReads };
    const ring = { ...server.agents.ingest.ring.counts };
    const AGENTS = 40;
    const BATCHES = 50;
    const sockets = await Promise.all(
      Array.from({ length: AGENTS }, async (_, a) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
        onTestFinished(() => ws.terminate());
        await new Promise((r, j) => ws.once('open', r).once('error', j));
        return { ws, a, welcomed: new Promise((r) => ws.once('message', r)) };
      }),
    );
    for (const { ws, a } of sockets) ws.send(hello(`a${a}`));
    await Promise.all(sockets.map((s) => s.welcomed));
    // Every agent's batches at once, interleaved, so each read holds several frames of one agent among others'.
    const encoders = sockets.map(() => new BatchEncoder());
    for (let seq = 1; seq <= BATCHES; seq++)
      for (const { ws, a } of sockets) ws.send(encoders[a]!.encodeBinary(batchOf(a, seq)));
    await until(() => sockets.every(({ a }) => store.lastSeq(`a${a}`, 's1') === BATCHES), 20_000, 'every batch stored');
    for (const { a } of sockets) {
      const { stored, sent } = storedAndSent(store, a, BATCHES);
      expect(stored, `agent a${a}`).toEqual(sent);
    }
    expect(socketReads.borrowed - reads.borrowed).toBeGreaterThan(AGENTS);
    // Frames did wait, as copies in the ring, not views of the buffer the next read overwrote.
    expect(server.agents.ingest.ring.counts.ring - ring.ring).toBeGreaterThan(BATCHES);
    expect(server.agents.ingest.ring.held).toBe(0);
    // What an operator sees of it.
    const health = (await (await fetch(`${base}/healthz`)).json()) as { ingestQueue: IngestQueueStats };
    expect(health.ingestQueue.reads.borrowed).toBe(socketReads.borrowed);
    expect(health.ingestQueue.copies.ring).toBe(server.agents.ingest.ring.counts.ring);
  }, 30_000);

  it('reads a frame split across reads, a ping and a close from copies while other agents overwrite the buffer', async () => {
    const store = new MemoryStore();
    const lines: string[] = [];
    const log = createLogger('warn', 'server', (l) => lines.push(l));
    const { server, port } = await startLoopbackServer({ store, log });
    const seen = serverSide(server);
    const raw = await rawAgent(port);
    // Another agent whose frames land in the shared buffer between the two halves of the raw one's hello.
    const other = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
    onTestFinished(() => other.terminate());
    await new Promise((r, j) => other.once('open', r).once('error', j));
    const otherWelcome = new Promise((r) => other.once('message', r));
    const copied = socketReads.copied;

    const helloFrame = clientFrame(1, Buffer.from(hello('raw')));
    raw.socket.write(helloFrame.subarray(0, 40));
    await new Promise((r) => setTimeout(r, 50));
    other.send(hello('other'));
    await otherWelcome;
    raw.socket.write(helloFrame.subarray(40));
    expect(JSON.parse((await raw.next()).payload.toString())).toMatchObject({ type: 'welcome', protocol: 3 });
    expect(socketReads.copied - copied).toBeGreaterThanOrEqual(2);

    // A batch split in three, with the other agent's batch read in between.
    const enc = new BatchEncoder();
    const batchFrame = clientFrame(2, enc.encodeBinary(batchOf(7, 1)));
    raw.socket.write(batchFrame.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 30));
    other.send(new BatchEncoder().encodeBinary(batchOf(8, 1)));
    await new Promise((r) => setTimeout(r, 30));
    raw.socket.write(batchFrame.subarray(3, 200));
    await new Promise((r) => setTimeout(r, 30));
    raw.socket.write(batchFrame.subarray(200));
    await until(() => store.lastSeq('raw', 's1') === 1 && store.lastSeq('other', 's1') === 1, 5000, 'both stored');
    expect(pointsOf(store, 'raw', 'd3')).toEqual([[T0 + 1000, valueOf(7, 1, 3)]]);
    expect(pointsOf(store, 'other', 'd3')).toEqual([[T0 + 1000, valueOf(8, 1, 3)]]);

    // A ping's payload comes back in the pong, whatever was read after it.
    raw.socket.write(clientFrame(9, Buffer.from('ping-payload-123')));
    other.send(new BatchEncoder().encodeBinary(batchOf(8, 1)));
    const pong = await raw.next((f) => f.opcode === 10);
    expect(pong.payload.toString()).toBe('ping-payload-123');
    // The server's own listeners got the ping as a copy, not a view of the buffer the next read overwrites.
    expect(seen.pings).toEqual(['copy']);

    // A close's code comes back in the server's close; bytes after it are dropped as ws drops them, and the
    // agent's FIN still closes the connection at once (not after ws's 30 s close timeout).
    raw.socket.write(clientFrame(8, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('done here')])));
    const close = await raw.next((f) => f.opcode === 8);
    expect(close.payload.readUInt16BE(0)).toBe(4000);
    raw.socket.write(Buffer.alloc(100, 7));
    await new Promise((r) => setTimeout(r, 20));
    const ended = Date.now();
    raw.socket.end();
    await until(() => seen.closed.length === 1, 5000, 'the server to close the raw connection');
    expect(seen.closed[0]! - ended).toBeLessThan(2000);
    // Dropped, not written to a receiver that has ended ("write after end", a warning per connection).
    expect(lines.filter((l) => l.includes('agent socket error'))).toEqual([]);
  });

  it('reads in order an agent that sends its first frame with its upgrade request, over TLS', async () => {
    const certs = makeCerts();
    const { port } = await startLoopbackServer({ tls: { certFile: certs.serverCert, keyFile: certs.serverKey } });
    const socket = tls.connect({ port, host: '127.0.0.1', ca: readFileSync(certs.caCert) });
    onTestFinished(() => void socket.destroy());
    await new Promise((r, j) => socket.once('secureConnect', r).once('error', j));
    const replies: Buffer[] = [];
    socket.on('data', (d: Buffer) => replies.push(d));
    // The request and the first bytes of the hello in one TLS record, the rest in the next: the server reads
    // both in one go, the first bytes as the upgrade's head.
    const helloFrame = clientFrame(1, Buffer.from(hello('piped')));
    socket.write(Buffer.concat([Buffer.from(upgradeRequest(port)), helloFrame.subarray(0, 10)]));
    socket.write(helloFrame.subarray(10));
    await until(() => Buffer.concat(replies).includes('"welcome"'), 5000, 'the welcome');
  }, 60_000);

  it('reads agents over TLS into the shared buffer too, and stores what they sent', async () => {
    const certs = makeCerts();
    const store = new MemoryStore();
    const { port } = await startLoopbackServer({
      store,
      tls: { certFile: certs.serverCert, keyFile: certs.serverKey },
    });
    const reads = socketReads.borrowed;
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws/agent`, {
      headers: { Authorization: 'Bearer t' },
      ca: readFileSync(certs.caCert),
    });
    onTestFinished(() => ws.terminate());
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const welcome = new Promise((r) => ws.once('message', r));
    ws.send(hello('tls'));
    await welcome;
    const enc = new BatchEncoder();
    for (let seq = 1; seq <= 5; seq++) ws.send(enc.encodeBinary(batchOf(3, seq)));
    await until(() => store.lastSeq('tls', 's1') === 5, 5000, 'every batch stored');
    expect(pointsOf(store, 'tls', 'd0')).toEqual([1, 2, 3, 4, 5].map((s) => [T0 + s * 1000, valueOf(3, s, 0)]));
    expect(socketReads.borrowed - reads).toBeGreaterThan(0);
  }, 60_000);
});

interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** An agent's opening handshake, written by hand. */
const upgradeRequest = (port: number) =>
  `GET /ws/agent HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
  'Authorization: Bearer t\r\n\r\n';

/** What the server's side of each agent connection saw: pings (a copy or a view of the shared buffer), closes. */
function serverSide(server: TidemarkServer) {
  const seen = { pings: [] as string[], closed: [] as number[] };
  const accept = server.agents.accept.bind(server.agents);
  server.agents.accept = (ws: ServerSocket, ...rest) => {
    ws.on('ping', (d) => seen.pings.push(isBorrowed(d) ? 'view' : 'copy'));
    ws.on('close', () => seen.closed.push(Date.now()));
    accept(ws, ...rest);
  };
  return seen;
}

/** An agent on a bare TCP socket: the upgrade by hand, then frames written byte by byte as the test says. */
async function rawAgent(port: number) {
  // Half-open allowed: the test, not Node, decides when this side ends, so it can write after the server's close.
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  onTestFinished(() => void socket.destroy());
  await new Promise((r, j) => socket.once('connect', r).once('error', j));
  socket.write(upgradeRequest(port));
  let pending = Buffer.alloc(0);
  let upgraded = false;
  const frames: ServerFrame[] = [];
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    if (!upgraded) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!pending.subarray(0, 12).toString().includes('101')) throw new Error(pending.toString());
      upgraded = true;
      pending = pending.subarray(end + 4);
    }
    // Server frames are unmasked, and short here (an error reply may take a 16-bit length).
    for (;;) {
      if (pending.length < 2) break;
      const len7 = pending[1]! & 0x7f;
      const [len, at] = len7 < 126 ? [len7, 2] : pending.length >= 4 ? [pending.readUInt16BE(2), 4] : [Infinity, 4];
      if (len7 === 127 || pending.length < at + len) break;
      frames.push({ opcode: pending[0]! & 0x0f, payload: Buffer.from(pending.subarray(at, at + len)) });
      pending = pending.subarray(at + len);
    }
  });
  await until(() => upgraded, 5000, 'the upgrade');
  let taken = 0;
  return {
    socket,
    /** The next frame from the server (that `want` accepts), skipping others. */
    async next(want: (f: ServerFrame) => boolean = () => true): Promise<ServerFrame> {
      for (;;) {
        await until(() => frames.length > taken, 5000, 'a frame from the server');
        const f = frames[taken++]!;
        if (want(f)) return f;
      }
    },
  };
}
