import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';

const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

const start = (opts: Parameters<typeof startLoopbackServer>[0] = {}) => startLoopbackServer({ alerts: null, ...opts });

/** One value of a /metrics family with exactly these labels (in the order the server writes them). */
async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = `${name}${l ? `{${l}}` : ''} `;
  const text = await (await fetch(`${base}/metrics`)).text();
  const found = text.split('\n').find((x) => x.startsWith(line));
  if (!found) throw new Error(`${line} not in /metrics`);
  return Number(found.slice(line.length));
}

/**
 * Opens a TCP connection and resolves with when it was closed by the server (ms after asking to open it:
 * the server cannot accept it earlier, while a busy test process may see 'connect' hundreds of ms late).
 */
function silentSocket(port: number): Promise<{ opened: number; closedAfter: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const opened = Date.now();
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    s.once('error', reject);
    s.once('connect', () => {
      s.on('error', () => {});
      resolve({ opened, closedAfter: new Promise((r) => s.once('close', () => r(Date.now() - opened))) });
    });
  });
}

describe('connection limits', () => {
  it('closes 1 000 silent connections within the handshake deadline and keeps serving', async () => {
    const deadline = 2000;
    const { base, port } = await start({ connectionLimits: { handshakeTimeoutMs: deadline } });
    const conns = [];
    for (let i = 0; i < 1000; i++) conns.push(await silentSocket(port));
    // A real request meanwhile is served.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const closedAfter = await Promise.all(conns.map((c) => c.closedAfter));
    // Each one closed at its deadline (not before), with slack for a loaded machine, not after 90 s.
    expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(deadline - 50);
    expect(Math.max(...closedAfter)).toBeLessThan(deadline + 5000);
    expect(await metric(base, 'tidemark_server_handshake_timeouts_total', { stage: 'http' })).toBe(1000);
  }, 60_000);

  it('closes a slowloris connection (headers a byte at a time) at the same deadline', async () => {
    const { port } = await start({ connectionLimits: { handshakeTimeoutMs: 1500 } });
    const c = await silentSocket(port);
    const s = sockets.at(-1)!;
    const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(100);
    let i = 0;
    const drip = setInterval(() => s.writable && s.write(header[i++ % header.length]!), 100);
    try {
      const after = await c.closedAfter;
      expect(after).toBeGreaterThanOrEqual(1450);
      expect(after).toBeLessThan(1500 + 3000);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes an agent connection that upgrades but never says hello', async () => {
    const { base, port } = await start({ connectionLimits: { handshakeTimeoutMs: 1000 } });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
    await new Promise((r) => ws.once('open', r));
    const opened = Date.now();
    await new Promise((r) => ws.once('close', r));
    expect(Date.now() - opened).toBeGreaterThanOrEqual(950);
    expect(await metric(base, 'tidemark_server_handshake_timeouts_total', { stage: 'agent_hello' })).toBe(1);
  });

  it('caps connections per address and in total, counting each refusal', async () => {
    const { server, base, port } = await start({ connectionLimits: { maxPerAddress: 20, maxConnections: 1000 } });
    const conns = [];
    for (let i = 0; i < 25; i++) conns.push(await silentSocket(port));
    // The 5 past the cap are closed at once, long before the 10 s handshake deadline.
    const past = await Promise.all(conns.slice(20).map((c) => c.closedAfter));
    expect(Math.max(...past)).toBeLessThan(2000);
    expect(server.connections.open).toBe(20);
    for (const s of sockets.splice(0)) s.destroy();
    await until(() => server.connections.open === 0, 5000, 'connections to close');
    expect(
      await metric(base, 'tidemark_server_connections_refused_total', { limit: 'max_connections_per_address' }),
    ).toBe(5);
    expect(await metric(base, 'tidemark_server_limit', { limit: 'max_connections_per_address' })).toBe(20);

    const total = await start({ connectionLimits: { maxConnections: 10 } });
    const more = [];
    for (let i = 0; i < 12; i++) more.push(await silentSocket(total.port));
    await Promise.all(more.slice(10).map((c) => c.closedAfter));
    expect(total.server.connections.counters.refusedTotal).toBe(2);
  });
});
