// Soaks a real server process with what its resource limits are for: silent TCP connections (closed at the
// handshake deadline), a series flood from one agent (stopped at the per-agent series limit) and dashboards
// that never read (dropped past their allowance). Reports peak RSS and the limit counters from /metrics.
//
//   node bench/soak.mjs [--silent 1000] [--series 30000] [--dashboards 100] [--seconds 15] [--store memory] [--json]
//
// Exit 0 when the server stayed up, every silent socket was closed and the flood was stopped at the limit.
//
//   node bench/soak.mjs --latency [--dashboards 300] [--seconds 20] [--json]
//
// The good agent's latency with and without dashboards that never read, in one run (bench/soak-latency.mjs).
// Exit 0 when the server stayed up and every one of the good agent's batches was acknowledged and pushed.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { CLI, machine, numberArg, procStats, spawnServer } from './lib.mjs';
import { latencyRun } from './soak-latency.mjs';

const SILENT = numberArg('silent', 1000);
const SERIES = numberArg('series', 30_000);
const DASHBOARDS = numberArg('dashboards', 100);
const SECONDS = numberArg('seconds', 15);
const storeAt = process.argv.indexOf('--store');
const STORE = storeAt > 0 ? process.argv[storeAt + 1] : 'memory';

const counter = (text, line) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(line + ' '))
      ?.slice(line.length + 1) ?? NaN,
  );

async function startServer() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-soak-'));
  // SOAK_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (Node refuses those in NODE_OPTIONS).
  const nodeArgs = (process.env.SOAK_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const { server, port, base } = await spawnServer({ dataDir, nodeArgs, extraArgs: ['--store', STORE] });
  return { port, dataDir, server, base };
}

async function latencyMain() {
  const dashboards = numberArg('dashboards', 300);
  const seconds = numberArg('seconds', 20);
  const { port, dataDir, server, base } = await startServer();
  let maxRss = 0;
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, procStats(server.pid)?.rssMB ?? 0)), 250);
  const metric = async (line) => {
    try {
      return counter(await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text(), line);
    } catch {
      return NaN;
    }
  };
  const run = await latencyRun({ port, cli: CLI, dashboards, seconds, metric });
  const alive = server.exitCode === null;
  const dropped = await metric('tidemark_server_dashboards_dropped_total');
  clearInterval(rssTimer);
  // A clean stop, so a server run with NODE_OPTIONS=--cpu-prof writes its profile.
  server.kill('SIGTERM');
  const stopped = await Promise.race([
    new Promise((r) => server.once('exit', () => r(true))),
    new Promise((r) => setTimeout(() => r(false), 10_000)),
  ]);
  if (!stopped) server.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  const result = { machine: machine(), serverAlive: alive, serverMaxRssMB: Math.round(maxRss), dropped, ...run };
  console.log(process.argv.includes('--json') ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  process.exit(alive && run.missingAcks === 0 && run.missingPushes === 0 ? 0 : 1);
}

async function main() {
  if (process.argv.includes('--latency')) return latencyMain();
  const { port, dataDir, server, base } = await startServer();
  let maxRss = 0;
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, procStats(server.pid)?.rssMB ?? 0)), 250);

  // Silent sockets.
  let silentClosed = 0;
  for (let i = 0; i < SILENT; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => silentClosed++);
  }

  // Dashboards that never read, subscribed to the flooding agent.
  for (let i = 0; i < DASHBOARDS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
    ws.on('error', () => {});
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', hosts: ['flood'] }));
      ws.pause();
    });
  }

  // The series flood: 1 000 new series a batch, then the same series again and again.
  const agent = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  let limitError = '';
  agent.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'error' && m.code === 'series_limit') limitError = m.message;
  });
  await new Promise((r) => agent.once('open', r));
  agent.send(
    JSON.stringify({
      type: 'hello',
      protocol: 1,
      agentId: 'flood',
      session: 's',
      hostname: 'flood',
      agentVersion: 'soak',
      inventory: null,
    }),
  );
  const started = Date.now();
  let seq = 0;
  while (Date.now() - started < SECONDS * 1000 && server.exitCode === null) {
    const from = (seq * 1000) % SERIES;
    const samples = [];
    for (let i = from; i < from + 1000; i++) samples.push({ m: 'disk_util_percent', l: { device: `d${i}` }, v: i });
    agent.send(JSON.stringify({ type: 'batch', seq: ++seq, ts: Date.now(), samples }));
    await new Promise((r) => setTimeout(r, 50));
  }
  // Past the handshake deadline (10 s), every silent socket is gone.
  const waitUntil = Date.now() + 15_000;
  while (silentClosed < SILENT && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 100));
  const alive = server.exitCode === null;
  const metrics = alive ? await (await fetch(`${base}/metrics`)).text() : '';
  clearInterval(rssTimer);
  agent.terminate();
  server.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  const result = {
    machine: machine(),
    seconds: SECONDS,
    serverAlive: alive,
    serverMaxRssMB: Math.round(maxRss),
    silent: SILENT,
    silentClosed,
    handshakeTimeouts: counter(metrics, 'tidemark_server_handshake_timeouts_total{stage="http"}'),
    series: counter(metrics, 'tidemark_server_series'),
    seriesRefused: counter(metrics, 'tidemark_server_series_refused_total{limit="max_series_per_agent"}'),
    limitError,
    dashboardsDropped: counter(metrics, 'tidemark_server_dashboards_dropped_total'),
  };
  console.log(process.argv.includes('--json') ? JSON.stringify(result) : result);
  const floodStopped = SERIES <= 20_000 || result.series === 20_000;
  process.exit(alive && silentClosed === SILENT && floodStopped ? 0 : 1);
}

await main();
