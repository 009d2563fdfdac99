import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket } from 'ws';
import { IngestQueue } from '../../server/ingest-queue.js';
import { startLoopbackServer } from '../helpers/server.js';

const waitFor = async (cond: () => boolean, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A real server-side WebSocket over loopback, as the queue gets them. */
async function serverSocket(cleanup: (() => void)[]): Promise<WebSocket> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  client.on('error', () => {});
  cleanup.push(() => {
    client.terminate();
    wss.close();
  });
  return accepted;
}

describe('ingest queue', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  it('handles frames past a slice in arrival order, a turn of the event loop apart', async () => {
    const ws = await serverSocket(cleanup);
    // Slices of 0 ms: the first frame of a turn is handled at once, then one frame a turn.
    const q = new IngestQueue(0, 1000, 10);
    const handled: number[] = [];
    // Each frame reaches its handler with its own data and kind: odd ones binary, recorded negated.
    for (let i = 0; i < 5; i++) q.submit(ws, (n: number, binary) => handled.push(binary ? -n : n), i, i % 2 === 1);
    expect(handled).toEqual([0]);
    expect(q.length).toBe(4);
    // A timer set now fires between two slices, so before the last frame is handled.
    let handledWhenTimerFired = -1;
    setTimeout(() => (handledWhenTimerFired = handled.length), 0);
    // Due before the queue's next turn (a 0 ms timer waits 1 ms): on a fast machine all four turns could
    // otherwise pass within that millisecond, and the timer would rightly come after them.
    const due = performance.now() + 2;
    while (performance.now() < due);
    await waitFor(() => handled.length === 5, 5000, 'every frame');
    expect(handled).toEqual([0, -1, 2, -3, 4]);
    expect(handledWhenTimerFired).toBeGreaterThan(0);
    expect(handledWhenTimerFired).toBeLessThan(5);
    // Frames that are not views of the shared read buffer wait as they are, uncopied.
    expect(q.stats()).toMatchObject({ waiting: 0, deferred: 4, pauses: 0, copies: { ring: 0, own: 0 } });
  });

  it('pauses a connection that adds to a queue above high water and resumes it below low water', async () => {
    const ws = await serverSocket(cleanup);
    const q = new IngestQueue(0, 3, 2);
    // Whether the connection was paused as each frame was handled.
    const pausedAt: boolean[] = [];
    for (let i = 0; i < 6; i++) q.submit(ws, () => pausedAt.push(ws.isPaused), i, false);
    // One handled at once, five waiting: the fourth waiting one passed high water (3).
    expect(q.length).toBe(5);
    expect(ws.isPaused).toBe(true);
    expect(q.isPaused(ws)).toBe(true);
    expect(q.stats().pauses).toBe(1);
    await waitFor(() => pausedAt.length === 6, 5000, 'every frame');
    // One frame a turn: after the fifth is handled one waits, fewer than 2, so the last is read resumed.
    expect(pausedAt).toEqual([false, true, true, true, true, false]);
    expect(ws.isPaused).toBe(false);
  });

  it('drops the waiting frames of a connection that closed, unhandled', async () => {
    const ws = await serverSocket(cleanup);
    const q = new IngestQueue(0, 1000, 10);
    const handled: number[] = [];
    for (let i = 0; i < 4; i++) q.submit(ws, (n) => handled.push(n), i, false);
    ws.terminate();
    q.forget(ws);
    await waitFor(() => q.length === 0, 5000, 'the queue to empty');
    expect(handled).toEqual([0]);
  });
});

/** A protocol-2 agent of `series` disk series; `replay()` sends its hello and `batches` batches at once. */
async function replayingAgent(url: string, id: string, series: number, batches: number, now: number) {
  const ws = new WebSocket(url, { headers: { Authorization: 'Bearer t' } });
  const acks: number[] = [];
  ws.on('error', () => {});
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { type: string; seq?: number };
    if (m.type === 'ack') acks.push(m.seq!);
  });
  const table = Array.from({ length: series }, (_, k) => ['disk_util_percent', { device: `d${k}` }]);
  const hello = { type: 'hello', protocol: 2, agentId: id, session: `s-${id}`, hostname: id, agentVersion: 'test' };
  const frames = [JSON.stringify({ ...hello, inventory: null, series: table })];
  for (let seq = 1; seq <= batches; seq++) {
    const values = Float64Array.from({ length: series }, (_, k) => seq + k / 1000);
    const v = Buffer.from(values.buffer).toString('base64');
    frames.push(JSON.stringify({ type: 'batch', seq, ts: now - (batches - seq) * 1000, v }));
  }
  await new Promise((r) => ws.once('open', r));
  return { ws, acks, replay: () => frames.forEach((f) => ws.send(f)) };
}

describe('a fleet connecting at once', () => {
  it('is stored whole and acknowledged, and /healthz answers while its backlog waits', async () => {
    const { port, base } = await startLoopbackServer();
    const [agents, series, batches] = [200, 93, 30];
    const now = Date.now();
    const fleet = await Promise.all(
      Array.from({ length: agents }, (_, a) =>
        replayingAgent(`ws://127.0.0.1:${port}/ws/agent`, `storm-${a}`, series, batches, now),
      ),
    );
    // Every connection's hello and backlog in one go, as a fleet reconnecting after a server restart.
    fleet.forEach((f) => f.replay());
    // Poll /healthz all along: some answers must come while frames still wait their slice.
    const waitingSeen: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = (await (await fetch(`${base}/healthz`)).json()) as { ingestQueue: { waiting: number } };
        waitingSeen.push(h.ingestQueue.waiting);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await waitFor(() => fleet.every((f) => f.acks.at(-1) === batches), 120_000, 'every last batch acknowledged');
    } finally {
      polling = false;
      await poller;
      fleet.forEach((f) => f.ws.terminate());
    }
    const h = (await (await fetch(`${base}/healthz`)).json()) as {
      ingested: { samples: number; batches: number };
      ingestQueue: { waiting: number; deferred: number };
    };
    // 200 agents × 30 batches × 93 samples, each stored once.
    expect(h.ingested).toEqual({ batches: 6000, samples: 558_000 });
    expect(h.ingestQueue.waiting).toBe(0);
    expect(h.ingestQueue.deferred).toBeGreaterThan(0);
    expect(waitingSeen.some((w) => w > 0)).toBe(true);
    // Acks are cumulative and rise: each covers every batch before it.
    for (const f of fleet) expect(f.acks).toEqual([...f.acks].sort((x, y) => x - y));
  }, 180_000);
});
