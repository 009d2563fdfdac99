// A fleet reconnecting at once, as after a server restart: N agents (protocol 2, 93 series each) connect, then all
// send their hello and a backlog of B batches in the same instant. Measures how long /healthz takes to answer while
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

async function connect(port, id, now) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  const agent = { ws, acked: 0, frames: frames(id, now) };
  ws.on('error', () => {});
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'ack') agent.acked = m.seq;
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return agent;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-storm-'));
const port = await freePort();
const args = ['server', '--port', String(port), '--token', 't', '--data-dir', dir, '--log-level', 'error'];
const server = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
try {
  await waitHealthy(base);
  const now = Date.now();
  const fleet = [];
  // Connected in groups of 500, so the handshakes themselves are not the storm measured.
  for (let i = 0; i < agents; i += 500)
    fleet.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(500, agents - i) }, (_, k) =>
          connect(port, `storm-${String(i + k).padStart(5, '0')}`, now),
        ),
      )),
    );
  const t0 = performance.now();
  for (const a of fleet) for (const f of a.frames) a.ws.send(f);
  const answers = [];
  let doneAt = null;
  let maxLoopDelay = 0;
  while (doneAt === null && performance.now() - t0 < 300_000) {
    const s = performance.now();
    const h = await (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(120_000) })).json();
    answers.push(performance.now() - s);
    maxLoopDelay = Math.max(maxLoopDelay, h.eventLoopDelayMs?.max ?? 0);
    if (fleet.every((a) => a.acked === backlog)) doneAt = performance.now();
    else await sleep(50);
  }
  const a = summary(answers);
  const r = {
    agents,
    backlog,
    samples: agents * (backlog * SERIES),
    allAckedS: doneAt === null ? null : (doneAt - t0) / 1000,
    healthz: { n: a.n, p50: a.median, max: Math.max(...answers) },
    eventLoopDelayMaxMs: maxLoopDelay,
  };
  console.log(`# reconnect storm, ${cli}, ${machine()}`);
  console.log(JSON.stringify(r));
  console.log(
    `agents ${agents} × ${backlog} batches: all acknowledged after ${fmt(r.allAckedS, 1)} s; /healthz answered ${a.n} times, median ${fmt(a.median, 0)} ms, slowest ${fmt(r.healthz.max, 0)} ms; event-loop delay max ${fmt(maxLoopDelay, 0)} ms`,
  );
  for (const x of fleet) x.ws.terminate();
} finally {
  server.kill('SIGKILL');
}
