import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentEndpoint } from '../../server/agent-endpoint.js';
import { HostRegistry } from '../../server/hosts.js';
import { MemoryStore } from '../../server/store/memory.js';
import { silentLogger } from '../../shared/log.js';
import { BatchEncoder } from '../../agent/batch-encoder.js';
import { ACK_INTERVAL_MS } from '../../server/agent-session.js';

beforeEach(
  () =>
    void vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
    }),
);
afterEach(() => void vi.useRealTimers());

const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

class FakeWs extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly acks: { seq: number; at: number }[] = [];
  send(data: string): void {
    const m = JSON.parse(data) as { type: string; seq?: number };
    if (m.type === 'ack') this.acks.push({ seq: m.seq!, at: performance.now() });
  }
  close(): void {
    this.readyState = 2;
  }
  ping(): void {}
  pause(): void {}
  resume(): void {}
  terminate(): void {
    this.readyState = 3;
  }
}

function agent(ep: AgentEndpoint, id: string) {
  const ws = new FakeWs();
  ep.accept(ws as never, { socket: { remoteAddress: '127.0.0.1' } } as never);
  let enc = new BatchEncoder();
  let base = T0;
  const hello = (session: string) => {
    enc = new BatchEncoder();
    base += 100_000;
    ws.emit(
      'message',
      Buffer.from(
        JSON.stringify({
          type: 'hello',
          protocol: 3,
          agentId: id,
          session,
          hostname: id,
          agentVersion: 't',
          inventory: null,
        }),
      ),
      false,
    );
  };
  const batch = (seq: number) =>
    ws.emit(
      'message',
      enc.encodeBinary({ type: 'batch', seq, ts: base + seq * 1000, samples: [{ m: 'mongod_up', v: seq }] }),
      true,
    );
  return { ws, hello, batch };
}

/** An endpoint with one ack per pacer window, handling frames at once (the ingest queue's slices are not tested here). */
function endpoint(): AgentEndpoint {
  const ep = new AgentEndpoint({
    store: new MemoryStore(),
    hosts: new HostRegistry(),
    log: silentLogger,
    onBatch: () => {},
    acksPerWindow: 1,
  });
  (ep.ingest as unknown as { submit: unknown }).submit = (
    _ws: unknown,
    h: (d: unknown, b: boolean) => void,
    d: unknown,
    b: boolean,
  ) => h(d, b);
  return ep;
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('a place in the ack pacer left by a second hello or a closed connection', () => {
  it("keeps one connection's acks ACK_INTERVAL_MS apart", async () => {
    const ep = endpoint();
    const fillers = ['f1', 'f2', 'f3'].map((id) => agent(ep, id));
    for (const f of fillers) f.hello('s');
    for (const f of fillers) f.batch(1);
    const x = agent(ep, 'x');
    x.hello('s');
    x.batch(1);
    await settle();
    expect(ep.acks.length).toBe(3); // f2, f3, x
    x.hello('s2'); // forgets x's ack; its entry stays in the pacer
    x.batch(1);
    await settle();
    expect(ep.acks.length).toBe(4); // ... and the new session's ack queues behind it
    vi.advanceTimersByTime(30); // f2, f3, then x's stale entry sends the new session's ack 1
    expect(x.ws.acks.map((a) => a.seq)).toEqual([1]);
    x.batch(2);
    await settle();
    vi.advanceTimersByTime(10); // x's second entry
    const at = x.ws.acks.map((a) => a.at);
    // Batch 2's ack waits for the connection's spacing, not for the place the old session's ack left.
    expect(at.length === 1 || at[1]! - at[0]! >= ACK_INTERVAL_MS, `acks at ${at.join(', ')} ms`).toBe(true);
  });

  it('spends no window budget on entries of connections that have closed', async () => {
    const ep = endpoint();
    const gone = ['g1', 'g2', 'g3', 'g4', 'g5'].map((id) => agent(ep, id));
    for (const g of gone) g.hello('s');
    for (const g of gone) g.batch(1);
    await settle();
    // g2..g5 wait; their connections close.
    for (const g of gone.slice(1)) {
      g.ws.readyState = 3;
      g.ws.emit('close');
    }
    const y = agent(ep, 'y');
    y.hello('s');
    y.batch(1);
    await settle();
    vi.advanceTimersByTime(10);
    // The first window after the closes goes to y: the closed connections' places cost no budget.
    expect(y.ws.acks.length).toBe(1);
  });
});
