// A fleet reconnecting at once, as after a server restart: N agents (protocol 2, 93 series each) connect at once,
// each sending its hello and a backlog of B batches the moment its connection opens. Measures how long /healthz takes to answer while
// the backlog is worked off (polled every 50 ms), the server's own event-loop delay, and the time until every agent
// has its last batch acknowledged. The load generator sends prebuilt frames, so it takes little of the CPU.
// Usage: node bench/reconnect-storm.mjs [N] [B] [cli]   (cli: path to a built dist/cli/main.js; default this tree's)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { CLI, machine, summary, fmt, freePort, waitHealthy } from './lib.mjs';

const agents = Number(process.argv[2] ?? 5000);
const backlog = Number(process.argv[3] ?? 10);
const cli = process.argv[4] ?? CLI;
const SERIES = 93;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One agent's hello and backlog, built before the storm so sending costs only the writes. */
function frames(id, now) {
  const table = Array.from({ length: SERIES }, (_, k) => ['disk_util_percent', { device: `d${k}` }]);
  const hello = { type: 'hello', protocol: 2, agentId: id, session: `s-${id}`, hostname: id, agentVersion: 'bench' };
  const out = [JSON.stringify({ ...hello, inventory: null, series: table })];
  for (let seq = 1; seq <= backlog; seq++) {
    const v = Buffer.from(Float64Array.from({ length: SERIES }, (_, k) => seq + k).buffer).toString('base64');
    out.push(JSON.stringify({ type: 'batch', seq, ts: now - (backlog - seq) * 1000, v }));
  }
  return out;
}

/** An agent that sends its hello and backlog the moment its connection opens, as one reconnecting does. */
function connect(port, id, now) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  const agent = { ws, acked: 0, closed: false };
  const out = frames(id, now);
  ws.on('error', () => {});
  ws.on('close', () => (agent.closed = true));
  ws.on('open', () => out.forEach((f) => ws.send(f)));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'ack') agent.acked = m.seq;
  });
  return agent;
}

/** @returns {Promise<any>} the server's /healthz document */
async function probe(base) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(120_000) })).json();
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-storm-'));
const port = await freePort();
const args = ['server', '--port', String(port), '--token', 't', '--data-dir', dir, '--log-level', 'error'];
// Node/V8 flags for the server process only, e.g. SERVER_NODE_FLAGS=--cpu-prof
const nodeFlags = (process.env.SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...nodeFlags, cli, ...args], { stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
try {
  await waitHealthy(base);
  // The probe's connection is open (and kept alive) before the storm, so its answers time the server's event loop,
  // not a place in the listen queue behind thousands of agents' connection attempts.
  await (await fetch(`${base}/healthz`)).json();
  const now = Date.now();
  const t0 = performance.now();
  // The whole fleet at once, as after a server restart.
  const fleet = Array.from({ length: agents }, (_, i) => connect(port, `storm-${String(i).padStart(5, '0')}`, now));
  const answers = [];
  let doneAt = null;
  let maxLoopDelay = 0;
  while (doneAt === null && performance.now() - t0 < 300_000) {
    const s = performance.now();
    // A kept-alive probe connection the server closed as idle is replaced: timed from the first try.
    const h = await probe(base);
    answers.push(performance.now() - s);
    maxLoopDelay = Math.max(maxLoopDelay, h.eventLoopDelayMs?.max ?? 0);
    // Done when every agent has its backlog acknowledged or lost its connection (the server dropped it).
    if (fleet.every((a) => a.acked === backlog || a.closed)) doneAt = performance.now();
    else await sleep(50);
  }
  const a = summary(answers);
  const r = {
    agents,
    backlog,
    samples: agents * (backlog * SERIES),
    doneS: doneAt === null ? null : (doneAt - t0) / 1000,
    fullyAcked: fleet.filter((a) => a.acked === backlog).length,
    dropped: fleet.filter((a) => a.closed).length,
    healthz: { n: a.n, p50: a.median, max: Math.max(...answers) },
    eventLoopDelayMaxMs: maxLoopDelay,
  };
  console.log(`# reconnect storm, ${cli}, ${machine()}`);
  console.log(JSON.stringify(r));
  console.log(
    `agents ${agents} × ${backlog} batches: ${r.fullyAcked} acknowledged whole, ${r.dropped} connections dropped, after ${fmt(r.doneS, 1)} s; /healthz answered ${a.n} times, median ${fmt(a.median, 0)} ms, slowest ${fmt(r.healthz.max, 0)} ms; event-loop delay max ${fmt(maxLoopDelay, 0)} ms`,
  );
  // Why connections were dropped: the server's handshake deadlines (HTTP upgrade, agent hello) and refusals.
  const metrics = await (await fetch(`${base}/metrics`)).text();
  for (const line of metrics.split('\n'))
    if (/^tidemark_\w*(handshake_timeouts|refused)\w*\{/.test(line)) console.log(line);
  for (const x of fleet) x.ws.terminate();
} finally {
  // SIGINT: a clean stop, so a --cpu-prof profile is written.
  server.kill('SIGINT');
  const killer = setTimeout(() => server.kill('SIGKILL'), 20_000);
  await new Promise((r) => server.once('exit', r));
  clearTimeout(killer);
}
