// What the ladder's load generator (bench/ingest-load.mjs) costs per sample it generates: a `tidemark server`
// as the ladder starts it (its launcher, the ladder's bounds) on --port, fed HOSTS hosts by the generator at
// --generator (this tree's, or an older copy's to compare), warmed up, then measured: the generator's CPU
// (user and system, /proc), its counters, the server's CPU and the samples it kept.
// Usage: node bench/generator-cost.mjs --hosts 5000 --port P [--generator FILE] [--warmup 10] [--measure 30]
//   (run `npm run build` first; prints one JSON line)
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatorHandle, numberArg, procStats, waitHealthy } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hosts = numberArg('hosts', 5000);
const port = numberArg('port', NaN);
const warmupS = numberArg('warmup', 10);
const measureS = numberArg('measure', 30);
const at = process.argv.indexOf('--generator');
const generator = path.resolve(at > 0 ? process.argv[at + 1] : path.join(here, 'ingest-load.mjs'));
if (!(port > 0)) {
  console.error(
    'usage: node bench/generator-cost.mjs --hosts N --port P [--generator FILE] [--warmup S] [--measure S]',
  );
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** User and system CPU seconds of a process (its threads included). */
function cpuSplit(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(stat[11]) / 100, system: Number(stat[12]) / 100 };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'generator-cost-'));
const log = openSync(path.join(dir, 'server.log'), 'a');
const server = spawn(
  path.join(here, '..', 'bin', 'tidemark'),
  // bench/ingest-peers.mjs's server: every host connects from 127.0.0.1, a million series and more.
  ['server', '--port', String(port), '--token', 't', '--data-dir', dir, '--log-level', 'warn'].concat([
    '--max-connections-per-address',
    '100000',
    '--max-series',
    '4000000',
  ]),
  { stdio: ['ignore', log, log] },
);
const base = `http://127.0.0.1:${port}`;
const kept = async () => /** @type {any} */ (await (await fetch(`${base}/healthz`)).json()).ingested.samples;
try {
  await waitHealthy(base);
  const gen = generatorHandle(
    fork(generator, ['tidemark', base, String(hosts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await gen.ready;
  await sleep(warmupS * 1000);
  const [c0, g0, s0, t0, load0] = [
    cpuSplit(gen.child.pid),
    await gen.stats(),
    procStats(server.pid),
    Date.now(),
    os.loadavg()[0],
  ];
  const [k0, kt0] = [await kept(), Date.now()];
  await sleep(measureS * 1000);
  const [c1, g1, s1, dt] = [
    cpuSplit(gen.child.pid),
    await gen.stats(),
    procStats(server.pid),
    (Date.now() - t0) / 1000,
  ];
  const [k1, dk] = [await kept(), (Date.now() - kt0) / 1000];
  const generated = g1.generated - g0.generated;
  const cpuS = c1.user + c1.system - c0.user - c0.system;
  const round = (v, digits = 1) => Number(v.toFixed(digits));
  console.log(
    JSON.stringify({
      generator: path.relative(process.cwd(), generator),
      hosts,
      generatorCpuPercent: round((100 * cpuS) / dt),
      generatorUserPercent: round((100 * (c1.user - c0.user)) / dt),
      generatorSystemPercent: round((100 * (c1.system - c0.system)) / dt),
      generatorUsPerSample: round((1e6 * cpuS) / generated, 3),
      offeredPerS: Math.round(generated / dt),
      droppedPerS: Math.round((g1.dropped - g0.dropped) / dt),
      ackedPerS: Math.round((g1.acked - g0.acked) / dt),
      keptPerS: Math.round((k1 - k0) / dk),
      serverCpuPercent: round((100 * (s1.cpuS - s0.cpuS)) / dt),
      generatorMaxLagMs: g1.maxLagMs,
      load: [load0, os.loadavg()[0]].map((l) => round(l, 2)),
      at: new Date().toISOString(),
    }),
  );
  // A disconnect ends the generator by itself (and lets a --cpu-prof run write its profile).
  gen.child.disconnect();
  await Promise.race([new Promise((r) => gen.child.once('exit', r)), sleep(15_000)]);
  gen.child.kill('SIGKILL');
} finally {
  server.kill('SIGKILL');
  await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
