import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { type WebSocket as ServerSocket } from 'ws';
import type { TidemarkServer } from '../../server/server.js';
import { frameText } from '../../shared/frame-text.js';
import { BatchEncoder } from '../../agent/batch-encoder.js';
import { ACK_INTERVAL_MS } from '../../server/agent-session.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';
import { MemoryStore } from '../../server/store/memory.js';

/** Batches are stamped relative to T0, ten minutes ago: the server refuses ones far from its clock. */
const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

type Reply = { type: string; seq?: number; at: number };

async function agentSocket(port: number, agentId = 'a') {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  onTestFinished(() => ws.terminate());
  const received: Reply[] = [];
  ws.on('message', (d) => received.push({ ...(JSON.parse(frameText(d)) as Reply), at: performance.now() }));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocol: 3,
      agentId,
      session: 's',
      hostname: agentId,
      agentVersion: 't',
      inventory: null,
    }),
  );
  const enc = new BatchEncoder();
  const send = (seq: number) =>
    ws.send(enc.encodeBinary({ type: 'batch', seq, ts: T0 + seq * 1000, samples: [{ m: 'mongod_up', v: seq }] }));
  const acks = () => received.filter((m) => m.type === 'ack');
  return { ws, received, send, acks };
}

/** When the server sends each ack, seen on its side of the connections. */
function ackSendTimes(server: TidemarkServer): number[] {
  const times: number[] = [];
  const accept = server.agents.accept.bind(server.agents);
  server.agents.accept = (ws: ServerSocket, ...rest) => {
    const send = ws.send.bind(ws) as (data: string) => void;
    ws.send = ((data: string) => {
      if (typeof data === 'string' && data.includes('"type":"ack"')) times.push(performance.now());
      send(data);
    }) as typeof ws.send;
    accept(ws, ...rest);
  };
  return times;
}

describe('acks to one agent are spaced ACK_INTERVAL_MS apart', () => {
  it('acknowledges the first batch at once and the next ones together, no sooner than the interval after', async () => {
    const { server, port } = await startLoopbackServer();
    const sentAt = ackSendTimes(server);
    const a = await agentSocket(port);
    a.send(1);
    await until(() => a.acks().length === 1, 5000, 'the first ack');
    a.send(2);
    a.send(3);
    await until(() => server.store.lastSeq('a', 's') === 3, 5000, 'batches 2 and 3 stored');
    await until(() => a.acks().length === 2, ACK_INTERVAL_MS + 5000, 'the second ack');
    const [first, second] = a.acks();
    expect(first!.seq).toBe(1);
    expect(second!.seq).toBe(3); // cumulative: one ack for both
    // Timers never fire early by more than their millisecond rounding. Timed where the acks are sent: on a
    // crowded machine the agent's side may read the first ack a few milliseconds late and the second on time.
    expect(sentAt).toHaveLength(2);
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(ACK_INTERVAL_MS - 2);
  });

  it('sends a waiting ack at once when the endpoint closes, before the connection goes', async () => {
    const { server, port } = await startLoopbackServer();
    const a = await agentSocket(port);
    a.send(1);
    await until(() => a.acks().length === 1, 5000, 'the first ack');
    a.send(2);
    await until(() => server.store.lastSeq('a', 's') === 2, 5000, 'batch 2 stored');
    const closed = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
    await server.agents.close();
    expect(await closed).toBe(1001);
    // Batch 2's ack was waiting for its spacing: close sent it, or the agent would send the batch again elsewhere.
    expect(a.acks().map((m) => m.seq)).toEqual([1, 2]);
  });
});

/**
 * A real memory store with commits the test lands: every wait asked for while
 * a commit is open gets that commit's promise (as the SQLite store's pipeline
 * hands out), `seal()` closes it (what is appended after goes with the next),
 * `land()` puts the oldest sealed one on "disk".
 */
class CommitGatedStore extends MemoryStore {
  private open: { promise: Promise<void>; resolve: () => void } | null = null;
  private readonly sealed: (() => void)[] = [];
  private released = false;
  override whenDurable(): Promise<void> {
    if (this.released) return Promise.resolve();
    if (!this.open) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.open = { promise, resolve };
    }
    return this.open.promise;
  }
  seal(): void {
    if (this.open) this.sealed.push(this.open.resolve);
    this.open = null;
  }
  land(): void {
    this.sealed.shift()!();
  }
  releaseAll(): void {
    this.released = true;
    this.seal();
    for (const resolve of this.sealed.splice(0)) resolve();
  }
}

describe('acks go out at a bounded rate', () => {
  it('acks every agent of a commit with a budget of one ack per window', async () => {
    const { server, port } = await startLoopbackServer({ agentAcksPerWindow: 1 });
    const agents = await Promise.all(['a', 'b', 'c', 'd'].map((id) => agentSocket(port, id)));
    for (const a of agents) a.send(1);
    for (const a of agents) await until(() => a.acks().length === 1, 5000, 'every first ack');
    expect(agents.map((a) => a.acks()[0]!.seq)).toEqual([1, 1, 1, 1]);
    expect(server.agents.acks.length).toBe(0);
  });
});

describe('acks wait per commit', () => {
  it('names the newest batch of the commit that landed, never one of a later commit', async () => {
    const store = new CommitGatedStore();
    const { port } = await startLoopbackServer({ store });
    // Released whatever happens, before the server closes (its close waits for the disk; finish hooks run last first).
    onTestFinished(() => store.releaseAll());
    const a = await agentSocket(port);
    a.send(1);
    a.send(2);
    await until(() => store.lastSeq('a', 's') === 2, 5000, 'batches 1 and 2 stored');
    store.seal(); // commit A: batches 1 and 2
    a.send(3);
    await until(() => store.lastSeq('a', 's') === 3, 5000, 'batch 3 stored');
    store.seal(); // commit B: batch 3
    await new Promise((r) => setTimeout(r, 100));
    expect(a.acks()).toEqual([]); // nothing is on disk yet
    store.land();
    await until(() => a.acks().length === 1, 5000, 'the ack of commit A');
    expect(a.acks()[0]!.seq).toBe(2);
    store.land();
    await until(() => a.acks().length === 2, ACK_INTERVAL_MS + 5000, 'the ack of commit B');
    expect(a.acks().map((m) => m.seq)).toEqual([2, 3]);
  });
});

describe('a second hello on the same connection', () => {
  const helloOf = (session: string) =>
    JSON.stringify({
      type: 'hello',
      protocol: 3,
      agentId: 'a',
      session,
      hostname: 'a',
      agentVersion: 't',
      inventory: null,
    });
  /** The new session's batches, numbered from 1 again (a fresh encoder: the new table starts empty). */
  const newSession = (ws: WebSocket) => {
    const enc = new BatchEncoder();
    return (seq: number) =>
      ws.send(
        enc.encodeBinary({ type: 'batch', seq, ts: T0 + 100_000 + seq * 1000, samples: [{ m: 'mongod_up', v: 1 }] }),
      );
  };
  const welcomes = (a: { received: Reply[] }) => a.received.filter((m) => m.type === 'welcome');

  it("acks the new session's batch 1 as 1, not with the old session's highest number", async () => {
    const { server, port } = await startLoopbackServer();
    const a = await agentSocket(port);
    for (let seq = 1; seq <= 5; seq++) a.send(seq);
    await until(() => a.acks().some((m) => m.seq === 5), ACK_INTERVAL_MS + 5000, 'the ack of batch 5');
    a.ws.send(helloOf('s2'));
    await until(() => welcomes(a).length === 2, 5000, 'the second welcome');
    const before = a.acks().length;
    newSession(a.ws)(1);
    await until(() => server.store.lastSeq('a', 's2') === 1, 5000, "the new session's batch 1 stored");
    await until(() => a.acks().length > before, ACK_INTERVAL_MS + 5000, "the new session's first ack");
    expect(
      a
        .acks()
        .slice(before)
        .map((m) => m.seq),
    ).toEqual([1]);
  });

  it("never acks the old session's batches that land after it, under the new session", async () => {
    const store = new CommitGatedStore();
    const { port } = await startLoopbackServer({ store });
    onTestFinished(() => store.releaseAll());
    const a = await agentSocket(port);
    for (let seq = 1; seq <= 3; seq++) a.send(seq);
    await until(() => store.lastSeq('a', 's') === 3, 5000, 'batches 1-3 stored');
    store.seal(); // the old session's commit, not yet on disk
    a.ws.send(helloOf('s2'));
    await until(() => welcomes(a).length === 2, 5000, 'the second welcome');
    store.land();
    newSession(a.ws)(1);
    await until(() => store.lastSeq('a', 's2') === 1, 5000, "the new session's batch 1 stored");
    store.seal();
    store.land();
    await until(() => a.acks().length >= 1, ACK_INTERVAL_MS + 5000, "the new session's ack");
    // Give a stray ack of the old commit time to arrive: none may come.
    await new Promise((r) => setTimeout(r, 200));
    expect(a.acks().map((m) => m.seq)).toEqual([1]);
  });
});
