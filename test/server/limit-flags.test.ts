import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, serverProcess, tempDir, until, type Running } from '../helpers/process.js';

/** The server's limits reach it from flags, the environment and the config file of a real `tidemark server`. */

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function metricsLine(base: string, line: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const found = text.split('\n').find((x) => x.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

/** A raw TCP connection that sends nothing; resolves once connected, with a promise of its close. */
function silentSocket(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

interface Reply {
  type: string;
  seq?: number;
  code?: string;
  message?: string;
}

/** A protocol-1 agent that sends one batch naming disk_util_percent for devices d0..d<n-1>; resolves on its ack. */
async function floodOnce(port: number, agentId: string, n: number): Promise<Reply[]> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  const replies: Reply[] = [];
  ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString()) as Reply));
  await new Promise((r) => ws.once('open', r));
  const hello = { type: 'hello', protocol: 1, agentId, session: 's', hostname: agentId, agentVersion: 't' };
  ws.send(JSON.stringify({ ...hello, inventory: null }));
  const samples = Array.from({ length: n }, (_, i) => ({ m: 'disk_util_percent', l: { device: `d${i}` }, v: i }));
  ws.send(JSON.stringify({ type: 'batch', seq: 1, ts: Date.now() - 5000, samples }));
  await until(() => replies.some((r) => r.type === 'ack' && r.seq === 1), 10_000, `${agentId} acknowledged`);
  ws.close();
  return replies;
}

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stderr: r.stderr };
}

describe('limit flags of `tidemark server`', () => {
  it('--max-connections-per-address 2: the third connection from 127.0.0.1 is closed at once and counted', async () => {
    // A long handshake deadline, so only the cap can close the third socket.
    const srv = await serverProcess({
      args: ['--max-connections-per-address', '2', '--handshake-timeout-ms', '60000'],
    });
    running.push(await srv.start());
    expect(await metricsLine(srv.base, 'tidemark_server_limit{limit="max_connections_per_address"}')).toBe(2);

    // The metrics fetch above may still hold a kept-alive connection: wait until the server has let it go.
    await until(
      async () => (await metricsLine(srv.base, 'tidemark_server_connections_open')) === 1,
      10_000,
      'only the metrics request open',
    );
    const a = await silentSocket(srv.port);
    const b = await silentSocket(srv.port);
    const third = await silentSocket(srv.port);
    await third.closed; // the server closes it; the deadline of the test is the proof it did
    a.socket.destroy();
    b.socket.destroy();
    await Promise.all([a.closed, b.closed]);
    // Until the server has seen a and b close, the request itself may be refused: retry.
    const refused = await until(
      () =>
        metricsLine(srv.base, 'tidemark_server_connections_refused_total{limit="max_connections_per_address"}').catch(
          () => undefined,
        ),
      10_000,
      'refusal counted',
    );
    expect(refused).toBeGreaterThanOrEqual(1);
  });

  it('--handshake-timeout-ms 500 closes a silent connection long before the 10 s default', async () => {
    const srv = await serverProcess({ args: ['--handshake-timeout-ms', '500'] });
    running.push(await srv.start());
    const s = await silentSocket(srv.port);
    const started = Date.now();
    await s.closed;
    // The default would hold it 10 s; the 5 s margin is for a loaded machine, not a speed claim.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(
      await metricsLine(srv.base, 'tidemark_server_handshake_timeouts_total{stage="http"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('--max-series-per-agent 3 (flag) and server.limits.maxSeries 5 (config file): errors name each limit', async () => {
    const config = path.join(tempDir(), 'tidemark.yaml');
    writeFileSync(config, 'server:\n  limits:\n    maxSeries: 5\n');
    const srv = await serverProcess({ args: ['--max-series-per-agent', '3', '--config', config] });
    running.push(await srv.start());
    const flood = await floodOnce(srv.port, 'flood', 4);
    const perAgent = flood.find((r) => r.code === 'series_limit');
    expect(perAgent?.message).toMatch(/per agent reached: flood already has 3 series \(maxSeriesPerAgent\)/);

    // 3 series stored so far; a second agent may add 2 more before the server-wide 5.
    const other = await floodOnce(srv.port, 'other', 3);
    const total = other.find((r) => r.code === 'series_limit');
    expect(total?.message).toMatch(/server-wide series limit reached: 5 series \(maxSeries\)/);
    expect(await metricsLine(srv.base, 'tidemark_server_series')).toBe(5);
    expect(await metricsLine(srv.base, 'tidemark_server_series_refused_total{limit="max_series_per_agent"}')).toBe(1);
    expect(await metricsLine(srv.base, 'tidemark_server_series_refused_total{limit="max_series"}')).toBe(1);
  });

  it('bad values: exit 2 naming the flag, variable or file key, with the allowed range', () => {
    const base = ['server', '--port', '0', '--token', 't', '--data-dir', tempDir()];
    const flag = cli([...base, '--max-series', '-3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--max-series: must be a whole number of series from 1 to 100000000 (got "-3")');

    const env = cli(base, { TIDEMARK_DASHBOARD_SLOW_GRACE_MS: '10s' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('TIDEMARK_DASHBOARD_SLOW_GRACE_MS: must be a whole number of ms from 0 to 3600000');

    const config = path.join(tempDir(), 'tidemark.yaml');
    writeFileSync(config, 'server:\n  limits:\n    maxConnectionsPerAdress: 5\n');
    const typo = cli([...base, '--config', config]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      `${config}:3: unknown key "server.limits.maxConnectionsPerAdress" (did you mean "server.limits.maxConnectionsPerAddress"?)`,
    );

    const order = cli([...base, '--headers-timeout-ms', '40000']);
    expect(order.code).toBe(2);
    expect(order.stderr).toContain('--headers-timeout-ms (40000) must not exceed --request-timeout-ms (30000)');
  });
});
