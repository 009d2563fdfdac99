// Shared helpers for the benchmark scripts: statistics, a description of the machine, a free port,
// numeric arguments, and a server process to measure.
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** The built command line the benches run (`npm run build` first). */
export const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

/** The word after `--name` on the command line, or `dflt`. */
export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

/** The number after `--name` on the command line, or `dflt`. */
export function numberArg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0],
    median: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    max: s[s.length - 1],
  };
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Linux ${os.release()}`;
}

export const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

/** CPU seconds (user + system) and RSS (MB) of a process from /proc; null once it has exited. */
export function procStats(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return { cpuS: (Number(stat[11]) + Number(stat[12])) / 100, rssMB: rssKb / 1024 };
  } catch {
    return null;
  }
}

/** A loopback port that was free a moment ago, for a server the bench starts. */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = /** @type {net.AddressInfo} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `base`/healthz answers 200, for up to about 10 s. */
export async function waitHealthy(base) {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error(`the server at ${base} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A `tidemark server` process on a free loopback port with agent token `t`, returned once /healthz answers.
 * @param {{ dataDir: string, logLevel?: string, extraArgs?: string[], nodeArgs?: string[],
 *   stdio?: import('node:child_process').StdioOptions }} o
 */
export async function spawnServer({ dataDir, logLevel = 'error', extraArgs = [], nodeArgs = [], stdio = 'ignore' }) {
  const port = await freePort();
  const args = ['server', '--port', String(port), '--token', 't', '--data-dir', dataDir, '--log-level', logLevel];
  const server = spawn(process.execPath, [...nodeArgs, CLI, ...args, ...extraArgs], { stdio });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(base);
  } catch (err) {
    server.kill('SIGKILL');
    throw err;
  }
  return { server, port, base };
}

/**
 * A `tidemark server` started by a checkout's launcher (`TREE/bin/tidemark`, with the launcher's V8 flags) as the
 * ladder's benches start it on `port`: token `t`, log level warn, and room for a fleet that connects from
 * 127.0.0.1 with a million series and more. `env` adds to the server's environment (e.g.
 * TIDEMARK_SERVER_NODE_FLAGS, a probe's settings); the caller waits for it (waitHealthy).
 * @param {{ tidemarkDir: string, port: number, dataDir: string, stdio: import('node:child_process').StdioOptions,
 *   env?: Record<string, string> }} o
 */
export function launchServer({ tidemarkDir, port, dataDir, stdio, env = {} }) {
  return spawn(
    path.join(tidemarkDir, 'bin', 'tidemark'),
    [
      'server',
      ...['--port', String(port), '--token', 't', '--data-dir', dataDir, '--log-level', 'warn'],
      ...['--max-connections-per-address', '100000', '--max-series', '4000000'],
    ],
    { stdio, env: { ...process.env, ...env } },
  );
}

/**
 * The ingestion load generator's handshake (bench/ingest-load.mjs, run as `child` with an IPC channel):
 * `ready` resolves with its first message once every host is sending; `stats()` asks for its counters.
 */
export function generatorHandle(child) {
  const ready = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the generator exited (${code}) before it was ready`)));
  });
  const stats = () =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(/** @type {any} */ (m).stats));
      child.send('stats');
    });
  return { child, ready, stats };
}

/**
 * The ladder's own Tidemark load (bench/ingest-load.mjs: `hosts` hosts sending to the server at `base`) and a
 * dashboard watching `watched` of them (host ids) for one series each, as bench/ingest-peers.mjs watches:
 * `deliveries` gets [arrival ms since the epoch, latency ms] of every sample it receives while `measuring`.
 */
export function loadAndWatch(base, port, hosts, watched) {
  const gen = generatorHandle(
    fork(
      path.join(path.dirname(fileURLToPath(import.meta.url)), 'ingest-load.mjs'),
      ['tidemark', base, String(hosts)],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  );
  const watch = { gen, deliveries: [], measuring: false, close: () => ws.close() };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', hosts: watched, metrics: ['disk_util_percent'] })));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    const now = Date.now();
    if (watch.measuring && m.type === 'samples') watch.deliveries.push([now, now - m.ts]);
  });
  return watch;
}
