import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HostSummary, ServerToDashboard } from '../../shared/protocol.js';
import { getJson, runCli, until, serverProcess, type Running } from '../helpers/process.js';
import { frameText } from '../../shared/frame-text.js';

const TOKEN = 'integration-test-token';
type Series = { series: { labels: Record<string, string>; points: [number, number | null][] }[] };

/** Opens a socket; every message it receives, from the first, is kept in `received`. */
function openWs(url: string, headers: Record<string, string> = {}): Promise<WebSocket & { received: unknown[] }> {
  return new Promise((resolve, reject) => {
    const ws = Object.assign(new WebSocket(url, { headers }), { received: [] as unknown[] });
    ws.on('message', (d) => ws.received.push(JSON.parse(frameText(d))));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextMessage<T>(ws: { received: unknown[] }, pred: (m: T) => boolean, timeoutMs = 10_000): Promise<T> {
  return until(() => (ws.received as T[]).find(pred), timeoutMs, 'a matching message');
}

describe('real server and agent processes over loopback', () => {
  let port: number;
  let base: string;
  let server: Running;
  let agent: Running;
  let startServer: () => Promise<Running>;

  beforeAll(async () => {
    ({ port, base, start: startServer } = await serverProcess({ token: TOKEN }));
    server = await startServer();
    agent = runCli(['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'db-1', '--interval-ms', '250'], {
      TIDEMARK_TOKEN: TOKEN,
    });
    await agent.waitFor(/connected to server/);
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('delivers samples to a dashboard WebSocket client', async () => {
    const ws = await openWs(`ws://127.0.0.1:${port}/ws/dashboard`);
    const hosts = await nextMessage<ServerToDashboard>(ws, (m) => m.type === 'hosts');
    expect(hosts.type === 'hosts' && hosts.hosts.map((h) => h.id)).toContain('db-1');
    ws.send(
      JSON.stringify({ type: 'subscribe', hosts: ['db-1'], metrics: ['disk_util_percent', 'cpu_iowait_percent'] }),
    );
    const msg = await nextMessage<ServerToDashboard>(ws, (m) => m.type === 'samples' && m.samples.length > 0);
    if (msg.type !== 'samples') throw new Error('unreachable');
    expect(msg.host).toBe('db-1');
    expect(new Set(msg.samples.map((s) => s.m))).toEqual(new Set(['disk_util_percent', 'cpu_iowait_percent']));
    expect(Math.abs(msg.ts - Date.now())).toBeLessThan(5000);
    ws.close();

    const list = await getJson<HostSummary[]>(`${base}/api/hosts`);
    expect(list.find((h) => h.id === 'db-1')).toMatchObject({ connected: true, agentVersion: expect.any(String) });
    // the inventory, gathered by systeminformation in a child process of the agent: in the host's own entry, not in the list
    expect(list.find((h) => h.id === 'db-1')!.inventory).toBeNull();
    expect((await getJson<HostSummary>(`${base}/api/hosts/db-1`)).inventory).toMatchObject({
      os: { platform: 'linux' },
      filesystems: expect.any(Array),
    });
    const health = await getJson<{ status: string; agentsConnected: number }>(`${base}/healthz`);
    expect(health).toMatchObject({ status: 'ok', agentsConnected: 1 });
  });

  it('pushes only the hosts that changed once a dashboard has the list', async () => {
    const dash = await openWs(`ws://127.0.0.1:${port}/ws/dashboard`);
    const first = await nextMessage<ServerToDashboard>(dash, (m) => m.type === 'hosts');
    expect(first.type === 'hosts' && first.partial).toBeFalsy();
    await new Promise((r) => setTimeout(r, 1200)); // past the push window of db-1's own connection
    const agentWs = await openWs(`ws://127.0.0.1:${port}/ws/agent`, { Authorization: `Bearer ${TOKEN}` });
    agentWs.send(
      JSON.stringify({
        type: 'hello',
        protocol: 2,
        agentId: 'db-partial',
        session: 's1',
        hostname: 'p',
        agentVersion: '1',
        inventory: null,
      }),
    );
    const up = await nextMessage<ServerToDashboard>(
      dash,
      (m) => m.type === 'hosts' && !!m.partial && m.hosts.some((h) => h.id === 'db-partial'),
    );
    if (up.type !== 'hosts') throw new Error('unreachable');
    expect(up.hosts.map((h) => [h.id, h.connected])).toEqual([['db-partial', true]]); // db-1 did not change, so it is not in it
    agentWs.close();
    const down = await nextMessage<ServerToDashboard>(
      dash,
      (m) => m.type === 'hosts' && !!m.partial && m.hosts.some((h) => h.id === 'db-partial' && !h.connected),
    );
    expect(down.type === 'hosts' && down.hosts.map((h) => h.id)).toEqual(['db-partial']);
    dash.close();
  });

  it('refuses a wrong or missing agent token', async () => {
    await expect(openWs(`ws://127.0.0.1:${port}/ws/agent`, { Authorization: 'Bearer wrong' })).rejects.toThrow(
      'HTTP 401',
    );
    await expect(openWs(`ws://127.0.0.1:${port}/ws/agent`)).rejects.toThrow('HTTP 401');
    const wrong = runCli(['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'intruder'], {
      TIDEMARK_TOKEN: 'nope',
    });
    await wrong.waitFor(/server refused the agent token \(HTTP 401\)/);
    await wrong.stop();
    const list = await getJson<HostSummary[]>(`${base}/api/hosts`);
    expect(list.map((h) => h.id)).not.toContain('intruder');
  });

  it('answers malformed frames with error codes while another agent keeps streaming', async () => {
    const ws = await openWs(`ws://127.0.0.1:${port}/ws/agent`, { Authorization: `Bearer ${TOKEN}` });
    const replies = ws.received as { type: string; code?: string; message?: string }[];
    ws.send('{"type":"batch", nope');
    ws.send(JSON.stringify({ type: 'batch', seq: 1, ts: Date.now(), samples: [] }));
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agentId: 'bad actor!',
        session: 's',
        hostname: 'h',
        agentVersion: '1',
        inventory: null,
      }),
    );
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agentId: 'raw-1',
        session: 's1',
        hostname: 'h',
        agentVersion: '1',
        inventory: null,
      }),
    );
    ws.send(JSON.stringify({ type: 'batch', seq: 0, ts: Date.now(), samples: [] }));
    ws.send(
      JSON.stringify({ type: 'batch', seq: 1, ts: Date.now(), samples: [{ m: 'disk_util_percent', v: 'high' }] }),
    );
    await until(() => replies.length >= 6, 5000, 'six replies');
    expect(replies.map((r) => r.code ?? r.type)).toEqual([
      'bad_json',
      'hello_required',
      'bad_frame',
      'welcome',
      'bad_frame',
      'bad_frame',
    ]);
    expect(replies[2]!.message).toMatch(/^agentId:/);
    expect(replies[5]!.message).toMatch(/^samples\.0\.v:/);

    // An oversized frame closes that connection with 1009, and nobody else's.
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);

    const before = (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db-1')!.stats.batches;
    await until(
      async () =>
        (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db-1')!.stats.batches >= before + 3,
      5000,
      'db-1 to keep streaming',
    );
    expect((await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db-1')!.connected).toBe(true);
  });

  it('replays the batches buffered while the server was down, with no gap and no duplicate', async () => {
    await server.stop();
    const downAt = Date.now();
    await agent.waitFor(/disconnected from server/);
    await new Promise((r) => setTimeout(r, 3000)); // the outage itself: 3 s of samples only the agent's buffer holds
    server = await startServer();
    await until(
      async () => {
        const hosts = await getJson<HostSummary[]>(`${base}/api/hosts`);
        return hosts.find((h) => h.id === 'db-1' && h.connected);
      },
      40_000,
      'agent to reconnect',
    );
    // Let the replay and a few live batches land: the agent sends in order, so live samples a second after the
    // reconnect mean the replay is in.
    const reconnectedAt = Date.now();
    const { series } = await until(
      async () => {
        const s = await getJson<Series>(`${base}/api/series?host=db-1&metric=agent_collect_ms&from=${downAt - 60_000}`);
        return (s.series[0]?.points.at(-1)?.[0] ?? 0) > reconnectedAt + 1000 ? s : null;
      },
      15_000,
      'the replay and live batches after it',
    );
    const ts = series[0]!.points.map(([t]) => t);
    // Samples taken during the outage reached the new server…
    expect(ts[0]).toBeLessThan(downAt + 1000);
    expect(ts.filter((t) => t > downAt && t < downAt + 3000).length).toBeGreaterThanOrEqual(8);
    // …every sample is there once, in order, with no hole: a step over 250 ms is a tick the sampler skipped because
    // the previous one ran late (the machine was busy), never more than a tick or two; lost batches would leave
    // a hole of seconds (the outage) and a sequence gap in the server's stats. A step under 250 ms is a late tick
    // followed by one on the interval's grid (samples are timed at the read); a duplicate would be a step of 0.
    for (let i = 1; i < ts.length; i++) {
      const step = ts[i]! - ts[i - 1]!;
      expect(step, `step ${i}`).toBeGreaterThan(0);
      expect(step, `step ${i}`).toBeLessThan(1000);
    }
    const host = (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db-1')!;
    expect(host.stats.duplicates).toBe(0);
    expect(host.stats.gaps).toBe(0);
  });
});
