// Agent footprint: RSS and CPU (% of one core) of `tidemark agent` sampling this host at
// 1 s, streaming to a server on loopback, over a run of at least 60 s.
// Usage: node bench/agent-footprint.mjs [seconds]   (run `npm run build` first)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machine, procStats as proc, summary, fmt } from './lib.mjs';

const seconds = Math.max(60, Number(process.argv[2] ?? 60));
const CLI = path.resolve('dist/cli/main.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = 17000 + Math.floor(Math.random() * 2000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-footprint-'));
const server = spawn(
  process.execPath,
  [CLI, 'server', '--port', String(port), '--token', 't', '--data-dir', dir, '--log-level', 'error'],
  { stdio: 'ignore' },
);
await sleep(1500);
const agent = spawn(process.execPath, [CLI, 'agent', '--server', `ws://127.0.0.1:${port}`, '--log-level', 'error'], {
  stdio: 'ignore',
  env: { ...process.env, TIDEMARK_TOKEN: 't' },
});

await sleep(10_000); // start-up (inventory, first samples) is not the steady state
const rss = [];
const cpu = [];
let prev = proc(agent.pid);
let prevT = Date.now();
for (let t = 0; t < seconds; t += 5) {
  await sleep(5000);
  const cur = proc(agent.pid);
  const now = Date.now();
  rss.push(cur.rssMB);
  cpu.push((100 * (cur.cpuS - prev.cpuS)) / ((now - prevT) / 1000));
  prev = cur;
  prevT = now;
}
const batches = /** @type {{ ingested: { samples: number, batches: number } }} */ (
  await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()
).ingested;
agent.kill('SIGTERM');
server.kill('SIGTERM');
const r = summary(rss);
const c = summary(cpu);
console.log(
  JSON.stringify({
    figure: 'agent footprint',
    seconds,
    rssMB: r,
    cpuPercent: c,
    samplesPerBatch: batches.samples / batches.batches,
    machine: machine(),
  }),
);
console.log(
  `agent at 1 s over ${seconds} s: RSS median ${fmt(r.median)} MB (range ${fmt(r.min)}–${fmt(r.max)}), CPU median ${fmt(c.median, 2)} % of one core (range ${fmt(c.min, 2)}–${fmt(c.max, 2)}), ${fmt(batches.samples / batches.batches, 0)} samples per batch`,
);
