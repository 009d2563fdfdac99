import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { TidemarkServer } from '../../server/server.js';
import { MemoryStore } from '../../server/store/memory.js';
import { silentLogger } from '../../shared/log.js';
import { startLoopbackServer } from '../helpers/server.js';
import { CLI, until } from '../helpers/process.js';
import { frameText } from '../../shared/frame-text.js';

const start = (opts: Parameters<typeof startLoopbackServer>[0] = {}) =>
  startLoopbackServer({ agentToken: 'agent-t', ...opts });

function agentSocket(
  port: number,
): Promise<WebSocket & { received: { type: string; seq?: number; lastSeq?: number; code?: string }[] }> {
  return new Promise((resolve, reject) => {
    const ws = Object.assign(
      new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer agent-t' } }),
      { received: [] as never[] },
    );
    ws.on('message', (d) => ws.received.push(JSON.parse(frameText(d)) as never));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
const hello = (session: string) =>
  JSON.stringify({
    type: 'hello',
    protocol: 1,
    agentId: 'h1',
    session,
    hostname: 'h1',
    agentVersion: 't',
    inventory: null,
  });
/** Batches are stamped relative to T0, ten minutes ago: the server refuses ones far from its clock. */
const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;
const batch = (seq: number, ts: number, v: number) =>
  JSON.stringify({ type: 'batch', seq, ts: T0 + ts, samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v }] });

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

describe('agent endpoint', () => {
  it('acknowledges a replay only once the batch it names is durable', async () => {
    const store = new GatedStore();
    // Opened whatever happens (and before the server closes), or its close would wait for the disk forever.
    onTestFinished(() => store.open());
    const { port } = await start({ store });
    const ws = await agentSocket(port);
    ws.send(hello('s1'));
    ws.send(batch(1, 1000, 10));
    ws.send(batch(1, 1000, 10)); // replayed before batch 1 reached the disk
    await until(() => ws.received.length >= 1, 5000, 'welcome');
    // Both frames are in; give the server time to (wrongly) answer the replay at once.
    await until(() => store.lastSeq('h1', 's1') === 1, 5000, 'batch stored');
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.received.map((m) => m.type)).toEqual(['welcome']);
    store.open();
    // Acks are cumulative, one per commit: the batch and its replay, made durable together, may share one.
    await until(() => ws.received.length >= 2, 5000, 'acks');
    const replies = ws.received.map((m) => (m.type === 'ack' ? `ack ${m.seq}` : m.type));
    expect(replies[0]).toBe('welcome');
    expect(replies.slice(1)).toEqual(replies.slice(1).map(() => 'ack 1'));
    ws.close();
  });

  it('stores a replayed batch once and acknowledges it again', async () => {
    const { server, port, base } = await start();
    const ws = await agentSocket(port);
    ws.send(hello('s1'));
    ws.send(batch(1, 1000, 10));
    ws.send(batch(2, 2000, 20));
    const acks = (): string[] => ws.received.filter((m) => m.type === 'ack').map((m) => `ack ${m.seq}`);
    // Acks are cumulative (one per commit, of the highest durable): batch 2's covers batch 1.
    await until(() => acks().includes('ack 2'), 5000, 'the ack of batch 2');
    expect(ws.received[0]!.type).toBe('welcome');
    expect(['ack 1,ack 2', 'ack 2']).toContain(acks().join());
    const before = acks().length;
    ws.send(batch(2, 2000, 20)); // replay after a lost ack
    ws.send(batch(1, 1000, 10));
    // The replays are answered again (the agent forgets them), never with less than what is stored.
    await until(() => acks().length > before, 5000, 'the replays acknowledged');
    expect(
      acks()
        .slice(before)
        .every((a) => a === 'ack 2'),
    ).toBe(true);
    const res = (await (
      await fetch(`${base}/api/series?host=h1&metric=disk_util_percent&from=${T0}&to=${T0 + 5000}`)
    ).json()) as { series: { points: [number, number][] }[] };
    expect(res.series[0]!.points).toEqual([
      [T0 + 1000, 10],
      [T0 + 2000, 20],
    ]);
    expect(server.hosts.get('h1')!.stats).toMatchObject({ batches: 2, duplicates: 2 });

    // A reconnect of the same session learns how far the server got.
    ws.close();
    const again = await agentSocket(port);
    again.send(hello('s1'));
    await until(() => again.received[0], 5000, 'welcome');
    expect(again.received[0]).toMatchObject({ type: 'welcome', lastSeq: 2 });
    // A new agent process (new session) starts its sequence afresh.
    again.send(hello('s2'));
    await until(() => again.received[1], 5000, 'welcome');
    expect(again.received[1]).toMatchObject({ type: 'welcome', lastSeq: 0 });
    again.close();
  });

  it('refuses an agent speaking a newer protocol than the server', async () => {
    const { port } = await start();
    const ws = await agentSocket(port);
    const closed = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: 99,
        agentId: 'h1',
        session: 's',
        hostname: 'h',
        agentVersion: 't',
        inventory: null,
      }),
    );
    expect(await closed).toBe(4002);
    expect(ws.received[0]).toMatchObject({ type: 'error', code: 'unsupported_protocol' });
  });

  it('closes an agent that floods frames beyond its rate', async () => {
    const { port } = await start({ agentRate: { perSecond: 1, burst: 5 } });
    const ws = await agentSocket(port);
    const closed = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.send(hello('s'));
    for (let i = 1; i <= 20; i++) ws.send(batch(i, i * 1000, i));
    expect(await closed).toBe(4029);
    expect(ws.received.some((m) => m.code === 'rate_limited')).toBe(true);
  });
});

describe('dashboard endpoint', () => {
  it('keeps a client that falls behind for a moment and catches up', async () => {
    // The grace is long enough for a loaded machine to store the 100 batches while the client reads nothing
    // (it is paused from the first push to half a second after the last is stored).
    const { server, port } = await start({ dashboardMaxQueuedBytes: 512 * 1024, dashboardSlowGraceMs: 10_000 });
    const reader = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
    let received = 0;
    reader.on('message', () => received++);
    await new Promise((r) => reader.once('open', r));
    reader.send(JSON.stringify({ type: 'subscribe', hosts: ['h1'] }));
    await until(() => server.dashboards.clientCount === 1, 2000, 'client');
    await until(() => received >= 1, 2000, 'the host list');
    const agent = await agentSocket(port);
    agent.send(hello('s'));
    // The client stops reading for half a second while ~6 MB of pushes (~60 kB each) pile up, then reads again.
    const socket = (reader as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const big = Array.from({ length: 2000 }, (_, i) => ({ m: 'disk_util_percent', l: { device: `d${i}` }, v: i }));
    for (let i = 1; i <= 100; i++) agent.send(JSON.stringify({ type: 'batch', seq: i, ts: T0 + i, samples: big }));
    await until(() => server.store.lastSeq('h1', 's') === 100, 10_000, 'all batches stored');
    await new Promise((r) => setTimeout(r, 500)); // the time is the point: the pause the server must sit out
    socket.resume();
    await until(() => received >= 101 || server.dashboards.dropped > 0, 20_000, 'every push');
    expect(server.dashboards.dropped).toBe(0);
    expect(received).toBeGreaterThanOrEqual(101);
    reader.close();
    agent.close();
  });

  it('drops a client that stops reading instead of queueing for it', async () => {
    const { server, port } = await start({ dashboardMaxQueuedBytes: 64 * 1024, dashboardSlowGraceMs: 200 });
    const slow = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
    let received = 0;
    slow.on('message', () => received++);
    await new Promise((r) => slow.once('open', r));
    slow.send(JSON.stringify({ type: 'subscribe', hosts: ['h1'] }));
    await until(() => server.dashboards.clientCount === 1, 2000, 'client');
    await until(() => received >= 1, 2000, 'the host list');
    // Stop reading: pause the underlying TCP socket.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const agent = await agentSocket(port);
    agent.send(hello('s'));
    const big = Array.from({ length: 2000 }, (_, i) => ({ m: 'disk_util_percent', l: { device: `d${i}` }, v: i }));
    for (let i = 1; i <= 200 && server.dashboards.dropped === 0; i++) {
      agent.send(JSON.stringify({ type: 'batch', seq: i, ts: T0 + i, samples: big }));
      await new Promise((r) => setTimeout(r, 5)); // a steady stream, so the drop is seen within a few batches
    }
    await until(() => server.dashboards.dropped === 1, 10_000, 'slow client to be dropped');
    expect(server.dashboards.clientCount).toBe(0);
    agent.close();
  });
});

describe('credentials', () => {
  it('serves the API only with the credential when one is set', async () => {
    const { base } = await start({ apiToken: 'ui-secret' });
    expect((await fetch(`${base}/api/hosts`)).status).toBe(401);
    expect((await fetch(`${base}/api/hosts`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/api/hosts`, { headers: { Authorization: 'Bearer ui-secret' } })).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const refused = new WebSocket(`ws://${base.slice(7)}/ws/dashboard`);
    const status = await new Promise<number>((r) =>
      refused.once('unexpected-response', (_q, res) => r(res.statusCode!)),
    );
    expect(status).toBe(401);
  });

  it('refuses to bind beyond loopback without a credential', () => {
    expect(
      () => new TidemarkServer({ host: '0.0.0.0', port: 0, agentToken: 'a', apiToken: null, log: silentLogger }),
    ).toThrow(/without a credential/);
    let err: { status: number; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [CLI, 'server', '--host', '0.0.0.0', '--port', '0'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, TIDEMARK_TOKEN: '' },
      });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(2);
    expect(err?.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
  });

  it('answers bad API requests with clear errors', async () => {
    const { base } = await start();
    const get = async (q: string) => {
      const r = await fetch(`${base}${q}`);
      return [r.status, ((await r.json()) as { error: string }).error] as const;
    };
    expect(await get('/api/series?metric=disk_util_percent')).toEqual([400, 'host is required']);
    expect(await get('/api/series?host=x&metric=nope')).toEqual([400, 'unknown metric "nope"; see /api/catalogue']);
    expect(await get('/api/series?host=x&metric=disk_util_percent')).toEqual([404, 'unknown host "x"; see /api/hosts']);
    expect(await get('/api/hosts/x')).toEqual([404, 'unknown host "x"; see /api/hosts']);
    expect(await get('/api/nothing')).toEqual([404, 'no such API endpoint']);
  });
});
