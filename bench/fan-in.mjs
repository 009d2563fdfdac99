// Server fan-in: samples per second ingested and persisted (SQLite write-ahead log, then chunks), and end-to-end latency
// (sample timestamp → delivery to a dashboard WebSocket client), for N simulated agents of
// about 100 series each. Server and simulator are separate processes on this machine.
// The measurement starts after a warm-up past two chunk ages (the server writes each series' head as a
// chunk 60-120 s after it starts), so it includes the chunk and rollup writes of the steady state.
// Usage: node bench/fan-in.mjs [N,N,…] [measureSeconds] [warmupSeconds]   (run `npm run build` first)
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { CLI, machine, procStats as proc, summary, fmt, spawnServer } from './lib.mjs';

const sizes = (process.argv[2] ?? '10,100,1000,5000').split(',').map(Number);
const measureS = Number(process.argv[3] ?? 30);
const warmupS = Number(process.argv[4] ?? 130);
// Node/V8 flags for the server process only, e.g. SERVER_NODE_FLAGS=--max-semi-space-size=64
const serverNodeFlags = (process.env.SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A server too busy to answer /healthz within 10 s (three tries) fails the run instead of the bench. */
async function health(base) {
  for (let attempt = 1; ; attempt++) {
    try {
      return /** @type {any} */ (
        await (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) })).json()
      );
    } catch (err) {
      if (attempt === 3)
        throw new Error(`/healthz did not answer: ${err.cause?.message ?? err.message}`, { cause: err });
    }
  }
}

/** `tidemark simulate` with n agents against the server on `port`, its warnings and errors to `logFile`. */
function spawnSimulator(n, port, logFile) {
  return spawn(
    process.execPath,
    [
      '--max-old-space-size=4096',
      CLI,
      'simulate',
      '--agents',
      String(n),
      '--server',
      `ws://127.0.0.1:${port}`,
      '--interval-ms',
      '1000',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')], env: { ...process.env, TIDEMARK_TOKEN: 't' } },
  );
}

async function run(n) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-fanin-'));
  // Warnings and errors of both processes go to files, so a failed run says why.
  const serverLog = path.join(dir, 'server.log');
  const simLog = path.join(dir, 'simulator.log');
  const { server, port, base } = await spawnServer({
    dataDir: dir,
    logLevel: 'warn',
    nodeArgs: serverNodeFlags,
    stdio: ['ignore', openSync(serverLog, 'a'), openSync(serverLog, 'a')],
  });
  const sim = spawnSimulator(n, port, simLog);

  // A dashboard client subscribed to up to 100 hosts spread over the fleet measures sample → delivery latency
  // (100 hosts × 30 s: 3 000 latencies, so p99 is not one or two stragglers).
  const watchedCount = Math.min(n, 100);
  const watched = Array.from(
    { length: watchedCount },
    (_, i) => `sim-${String(Math.floor((i * n) / watchedCount)).padStart(5, '0')}`,
  );
  const latencies = [];
  let measuring = false;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', hosts: watched, metrics: ['disk_util_percent'] })));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (measuring && m.type === 'samples') latencies.push(Date.now() - m.ts);
  });

  try {
    return await measure();
  } catch (err) {
    return { agents: n, failed: `${err.message}; logs: ${serverLog}, ${simLog}` };
  } finally {
    ws.close();
    sim.kill('SIGKILL');
    server.kill('SIGKILL');
    await sleep(1500);
  }

  async function measure() {
    // Warm up: every agent connected and its first batches in. A /healthz that does not answer while the fleet
    // connects is asked again until the warm-up deadline (a connection storm once stalled the server for 30–42 s).
    const warmDeadline = Date.now() + 60_000 + n * 10;
    while (Date.now() < warmDeadline) {
      const h = await health(base).catch((err) => (Date.now() < warmDeadline ? null : Promise.reject(err)));
      if (h && h.agentsConnected >= n) break;
      await sleep(500);
    }
    await sleep(warmupS * 1000);
    const h0 = await health(base);
    const p0 = proc(server.pid);
    const s0 = proc(sim.pid);
    const t0 = Date.now();
    measuring = true;
    await sleep(measureS * 1000);
    measuring = false;
    const h1 = await health(base);
    const p1 = proc(server.pid);
    const s1 = proc(sim.pid);
    const dt = (Date.now() - t0) / 1000;
    if (!p0 || !p1 || !s0 || !s1) throw new Error(`${!p1 ? 'the server' : 'the simulator'} exited during the run`);
    const lat = summary(latencies);
    return {
      agents: n,
      connected: h1.agentsConnected,
      samplesPerS: (h1.ingested.samples - h0.ingested.samples) / dt,
      persistedPerS: (h1.persistedSamples - h0.persistedSamples) / dt,
      batchesPerS: (h1.ingested.batches - h0.ingested.batches) / dt,
      latencyMs: { p50: lat.median, p99: lat.p99, n: lat.n },
      serverCpuPercent: (100 * (p1.cpuS - p0.cpuS)) / dt,
      eventLoopDelayMs: h1.eventLoopDelayMs,
      serverRssMB: p1.rssMB,
      simulatorCpuPercent: (100 * (s1.cpuS - s0.cpuS)) / dt,
      logBytes: { server: statSync(serverLog).size, simulator: statSync(simLog).size, dir },
    };
  }
}

console.log(
  `# fan-in, ${measureS} s per size after ${warmupS} s of warm-up, server flags: ${serverNodeFlags.join(' ') || 'none'}, ${machine()}`,
);
for (const n of sizes) {
  const r = await run(n);
  console.log(JSON.stringify(r));
  if (r.failed) {
    console.log(`agents ${n}: ${r.failed}`);
    continue;
  }
  console.log(
    `agents ${n}: ${fmt(r.samplesPerS, 0)} samples/s ingested, ${fmt(r.persistedPerS, 0)} samples/s persisted, latency p50 ${fmt(r.latencyMs.p50, 0)} ms p99 ${fmt(r.latencyMs.p99, 0)} ms, server CPU ${fmt(r.serverCpuPercent, 0)} %, event-loop delay p99 ${r.eventLoopDelayMs?.p99 ?? '?'} ms, RSS ${fmt(r.serverRssMB, 0)} MB, simulator CPU ${fmt(r.simulatorCpuPercent, 0)} %`,
  );
}
