// What starts the server main thread's major garbage collections under load, what each costs, and whether the
// late deliveries fall inside them. Runs a server with V8's own traces (--trace-gc --trace-incremental-marking)
// and feeds it N hosts from bench/ingest-load.mjs (the ladder's generator):
//   --target tidemark  a `tidemark server` by its checkout's launcher (its flags), watched from a dashboard for
//                      100 hosts as ingest-peers.mjs does (latency: sample timestamp -> dashboard);
//   --target bare-ws   bench/bare-ws-server.mjs under the launcher's V8 flags: a ws server that only counts the
//                      frames, holding --ballast-mb of live objects — the trigger without Tidemark's code;
//                      --bare-reads shared reads its sockets into Tidemark's shared read buffer
//                      (server/socket-reads.ts), node (the default) as Node reads them.
// Over the measurement window, for the main isolate: major GCs per second by what V8 says started their marking
// (e.g. "external memory pressure", "task"), the seconds between starts, and per cycle the marking's wall time,
// the main thread's marking steps, the final pause and the heap before/after; for tidemark, delivery p50/p99 and
// how many late deliveries (> 250 ms) arrived during a marking cycle or within 250 ms of its end, beside the share
// of the window those stretches cover. Times in V8's trace count from the isolate's start; bench/gc-clock.mjs,
// preloaded, puts them on the epoch.
// Usage: node bench/gc-triggers.mjs [--target tidemark|bare-ws] [--hosts 11000] [--warmup 45] [--measure 30]
//   [--port 26080] [--node-flags "…"] [--ballast-mb 400] [--bare-reads node|shared] [--tidemark-dir DIR]
//   [--keep FILE (the server's log)]
//   (run `npm run build` first)
import { fork, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  arg,
  fmt,
  generatorHandle,
  loadAndWatch,
  machine,
  numberArg,
  summary,
  waitHealthy,
  launchServer,
} from './lib.mjs';
import { spreadHostIds } from './ingest-frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const target = arg('target', 'tidemark');
const hosts = numberArg('hosts', 11000);
const warmupS = numberArg('warmup', 45);
const measureS = numberArg('measure', 30);
const port = numberArg('port', 26080);
const nodeFlags = arg('node-flags', '');
const ballastMB = numberArg('ballast-mb', 400);
const bareReads = arg('bare-reads', 'node');
const tidemarkDir = path.resolve(arg('tidemark-dir', path.join(here, '..')));
const keep = arg('keep', null);
const WATCHED = 100;
const LATE_MS = 250;
if (target !== 'tidemark' && target !== 'bare-ws') throw new Error(`--target tidemark|bare-ws, not ${target}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** V8's trace lines: a marking's start (with its reason) and a mark-compact's end (with its marking figures). */
const START = /^\[\d+:(0x[0-9a-f]+)\]\s+([\d.]+) ms: \[IncrementalMarking\] Start \(([^)]+)\)/;
const MARK_COMPACT =
  /^\[\d+:(0x[0-9a-f]+)\]\s+([\d.]+) ms: Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms(?:\s+\(\+ ([\d.]+) ms in \d+ steps since start of marking, biggest step [\d.]+ ms, walltime since start of marking ([\d.]+) ms\))?/;

const dir = mkdtempSync(path.join(os.tmpdir(), 'gc-triggers-'));
const log = path.join(dir, 'server.log');
const traceFlags = [
  ...nodeFlags.split(' ').filter(Boolean),
  '--trace-gc',
  '--trace-incremental-marking',
  `--import=${path.join(here, 'gc-clock.mjs')}`,
];
const base = `http://127.0.0.1:${port}`;
const server = startServer();
let gen;
let watch = null;
try {
  if (target === 'tidemark') {
    await waitHealthy(base);
    watch = loadAndWatch(base, port, hosts, spreadHostIds(hosts, WATCHED));
    gen = watch.gen;
  } else {
    await listening();
    gen = generatorHandle(
      fork(path.join(here, 'ingest-load.mjs'), ['tidemark', `ws://127.0.0.1:${port}`, String(hosts)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }
  await gen.ready;
  await sleep(warmupS * 1000);
  const from = Date.now();
  const load0 = os.loadavg()[0];
  const ingest0 = await ingestQueue();
  if (watch) watch.measuring = true;
  await sleep(measureS * 1000);
  if (watch) watch.measuring = false;
  const to = Date.now();
  const load1 = os.loadavg()[0];
  const ingest1 = await ingestQueue();
  const d = (f) => f(ingest1) - f(ingest0);
  const reads =
    ingest0 && ingest1
      ? `# over the window: socket reads in place ${d((q) => q.reads.borrowed)}, copied ${d((q) => q.reads.copied)}; ` +
        `waiting frames copied into the ring ${d((q) => q.copies.ring)}, on their own ${d((q) => q.copies.own)}`
      : null;
  watch?.close();
  if (server.exitCode !== null) throw new Error(`the server exited; its log is in ${dir}`);
  await sleep(500);
  report({ from, to, load: [load0, load1], deliveries: watch?.deliveries ?? null, reads });
} finally {
  gen?.child.kill('SIGKILL');
  server.kill('SIGKILL');
  await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
  if (keep) copyFileSync(log, keep);
  rmSync(dir, { recursive: true, force: true });
}

/** The V8 flags the launcher gives the server (bin/tidemark), so both targets collect alike. */
function launcherServerFlags() {
  const launcher = readFileSync(path.join(tidemarkDir, 'bin', 'tidemark'), 'utf8');
  const line = /exec node ((?:--\S+ )+)\$\{TIDEMARK_SERVER_NODE_FLAGS/.exec(launcher);
  if (!line) throw new Error('bin/tidemark: no server exec line with TIDEMARK_SERVER_NODE_FLAGS');
  return line[1].trim().split(' ');
}

function startServer() {
  /** @type {import('node:child_process').StdioOptions} */
  const stdio = ['ignore', openSync(log, 'a'), 'inherit'];
  if (target === 'bare-ws') {
    const args = [...launcherServerFlags(), ...traceFlags, path.join(here, 'bare-ws-server.mjs'), String(port)];
    return spawn(process.execPath, [...args, String(ballastMB), bareReads], { stdio });
  }
  return launchServer({
    tidemarkDir,
    port,
    dataDir: path.join(dir, 'data'),
    stdio,
    env: { TIDEMARK_SERVER_NODE_FLAGS: traceFlags.join(' ') },
  });
}

async function listening() {
  for (let i = 0; i < 600; i++) {
    if (readFileSync(log, 'utf8').includes(`listening ${port}`)) return;
    if (server.exitCode !== null) throw new Error(`the bare ws server exited; its log is in ${dir}`);
    await sleep(100);
  }
  throw new Error('the bare ws server did not listen within a minute');
}

/** Tidemark's ingest queue figures from /healthz (reads into the shared buffer, copies), or null for bare-ws. */
async function ingestQueue() {
  if (target !== 'tidemark') return null;
  const h = /** @type {any} */ (await (await fetch(`${base}/healthz`)).json());
  return h.ingestQueue?.reads ? h.ingestQueue : null;
}

/** The epoch of V8's trace time 0 on the main thread, from bench/gc-clock.mjs's collection (see there). */
function traceOrigin(lines) {
  const clock = lines.map((l) => /^gc-clock (\d+)/.exec(l)).find(Boolean);
  const testing = lines.map((l) => MARK_COMPACT.exec(l)).find((m) => m && m.input.includes('testing'));
  if (!clock || !testing) throw new Error('no gc-clock line or no collection of its in the server log');
  return Number(clock[1]) - Number(testing[2]);
}

/** Major GCs of the main isolate (the one whose heap is largest) from V8's trace, on the epoch. */
function majorCycles() {
  const lines = readFileSync(log, 'utf8').split('\n');
  const origin = traceOrigin(lines);
  const reasons = new Map(); // isolate -> reason of its marking in progress
  const cycles = [];
  for (const l of lines) {
    const s = START.exec(l);
    if (s) reasons.set(s[1], s[3]);
    const m = MARK_COMPACT.exec(l);
    if (!m) continue;
    const end = origin + Number(m[2]);
    const wall = m[7] === undefined ? Number(m[5]) : Number(m[7]);
    cycles.push({
      isolate: m[1],
      start: end - wall,
      end,
      wall,
      steps: Number(m[6] ?? 0),
      pause: Number(m[5]),
      beforeMB: Number(m[3]),
      afterMB: Number(m[4]),
      reason: m[7] === undefined ? '(no incremental marking)' : (reasons.get(m[1]) ?? '(unknown)'),
    });
    reasons.delete(m[1]);
  }
  const biggest = new Map();
  for (const c of cycles) biggest.set(c.isolate, Math.max(biggest.get(c.isolate) ?? 0, c.beforeMB));
  const main = [...biggest].sort((a, b) => b[1] - a[1])[0]?.[0];
  return cycles.filter((c) => c.isolate === main);
}

function report({ from, to, load, deliveries, reads }) {
  const cycles = majorCycles().filter((c) => c.end >= from && c.end <= to);
  const windowS = (to - from) / 1000;
  console.log(`# gc-triggers: ${target}, ${hosts} hosts, ${warmupS} s warm-up + ${measureS} s`);
  const what = target === 'tidemark' ? `tidemark ${tidemarkDir}` : `ballast ${ballastMB} MB, reads ${bareReads}`;
  console.log(`# ${what}; extra node flags: ${nodeFlags || '(none)'}; ${machine()}`);
  console.log(`# load average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
  if (reads) console.log(reads);
  const byReason = new Map();
  for (const c of cycles) byReason.set(c.reason, (byReason.get(c.reason) ?? 0) + 1);
  const starts = cycles.map((c) => c.start);
  const gaps = starts.slice(1).map((s, i) => (s - starts[i]) / 1000);
  const med = (xs) => summary(xs).median;
  console.log(
    `major GCs: ${cycles.length} (${fmt(cycles.length / windowS, 2)} per s), seconds between starts p50 ${fmt(med(gaps), 2)}; ` +
      `started by: ${[...byReason].map(([r, n]) => `${r} ${n}`).join(', ') || '–'}`,
  );
  console.log(
    `per cycle p50 (max): marking wall ${fmt(med(cycles.map((c) => c.wall)))} ms (${fmt(Math.max(...cycles.map((c) => c.wall)))}), ` +
      `main-thread marking steps ${fmt(med(cycles.map((c) => c.steps)))} ms (${fmt(Math.max(...cycles.map((c) => c.steps)))}), ` +
      `final pause ${fmt(med(cycles.map((c) => c.pause)))} ms (${fmt(Math.max(...cycles.map((c) => c.pause)))}); ` +
      `heap ${fmt(med(cycles.map((c) => c.beforeMB)))} -> ${fmt(med(cycles.map((c) => c.afterMB)))} MB`,
  );
  if (!deliveries) return;
  const lat = summary(deliveries.map((d) => d[1]));
  console.log(`delivery ms p50 / p99 / max: ${fmt(lat.median)} / ${fmt(lat.p99)} / ${fmt(lat.max)} (${lat.n} samples)`);
  // A late delivery is held by a cycle if it arrived while the cycle marked or within LATE_MS of its end.
  const held = (t) => cycles.some((c) => t >= c.start && t <= c.end + LATE_MS);
  const late = deliveries.filter((d) => d[1] > LATE_MS);
  const covered = cycles.reduce((ms, c) => ms + Math.min(c.end + LATE_MS, to) - Math.max(c.start, from), 0);
  console.log(
    `late deliveries (> ${LATE_MS} ms): ${late.length}, ${late.filter((d) => held(d[0])).length} of them during a major ` +
      `GC's marking or within ${LATE_MS} ms of its end — stretches that cover ${fmt((100 * covered) / (to - from))} % of the window`,
  );
}
