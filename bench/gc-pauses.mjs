// The server's garbage-collection pauses under load, and how they line up with delivery latency. Starts a
// `tidemark server` by its checkout's launcher (bin/tidemark, with its settings) with bench/memory-probe.mjs
// preloaded to log every pause of the main thread, feeds it N hosts from bench/ingest-load.mjs (hosts of 93
// series at 1 s, the shape of `tidemark simulate`, protocol-3 batches), and watches 100 hosts from a dashboard
// WebSocket as ingest-peers.mjs does (latency: sample timestamp -> dashboard). Over the measurement window:
// pauses by kind (count, p50/p99/max), delivery p50/p99/max, the main thread's CPU per sample (its own
// /proc/PID/task/PID/stat), and per second of the window: the deliveries' worst latency beside the pauses
// that ended in that second — whether the late deliveries are the ones a long pause held back.
// Usage: node bench/gc-pauses.mjs [--hosts 5000] [--warmup 60] [--measure 60] [--port 25080]
//   [--node-flags "--flag …"]   (TIDEMARK_SERVER_NODE_FLAGS for the server: V8 flags to try; default: the
//   launcher's own) [--tidemark-dir DIR] [--keep FILE]   (writes the raw pauses and deliveries there as JSON)
//   (run `npm run build` first)
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, loadAndWatch, machine, arg, numberArg, summary, waitHealthy, launchServer } from './lib.mjs';
import { spreadHostIds } from './ingest-frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hosts = numberArg('hosts', 5000);
const warmupS = numberArg('warmup', 60);
const measureS = numberArg('measure', 60);
const port = numberArg('port', 25080);
const nodeFlags = arg('node-flags', null);
const tidemarkDir = path.resolve(arg('tidemark-dir', path.join(here, '..')));
const keep = arg('keep', null);
const WATCHED = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of one thread (the main thread: task id = pid), from /proc. */
function threadCpuS(pid) {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

async function ingested(base) {
  const h = /** @type {any} */ (await (await fetch(`${base}/healthz`)).json());
  return { at: Date.now(), samples: h.ingested.samples };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'gc-pauses-'));
const gcLog = path.join(dir, 'gc.jsonl');
const probeFile = path.join(dir, 'probe.jsonl');
const base = `http://127.0.0.1:${port}`;
const server = launchServer({
  tidemarkDir,
  port,
  dataDir: dir,
  stdio: ['ignore', openSync(path.join(dir, 'server.log'), 'a'), 'inherit'],
  env: {
    // The probe rides on the launcher's flags (NODE_OPTIONS would also load it into this bench's children).
    TIDEMARK_SERVER_NODE_FLAGS: [nodeFlags ?? '', `--import=${path.join(here, 'memory-probe.mjs')}`].join(' '),
    MEMORY_PROBE_GC_LOG: gcLog,
    MEMORY_PROBE_FILE: probeFile,
  },
});
let gen;
try {
  await waitHealthy(base);
  const watch = loadAndWatch(base, port, hosts, spreadHostIds(hosts, WATCHED));
  gen = watch.gen;
  const { deliveries } = watch;
  await gen.ready;
  await sleep(warmupS * 1000);
  const [k0, cpu0, load0] = [await ingested(base), threadCpuS(server.pid), os.loadavg()[0]];
  watch.measuring = true;
  await sleep(measureS * 1000);
  watch.measuring = false;
  const [k1, cpu1, load1] = [await ingested(base), threadCpuS(server.pid), os.loadavg()[0]];
  watch.close();
  const rssMB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]) / 1024;
  await sleep(1500); // the probe writes its log once a second
  if (server.exitCode !== null) throw new Error(`the server exited; logs in ${dir}`);
  const heap = await probeHeap();
  report({ k0, k1, cpu0, cpu1, load: [load0, load1], deliveries, rssMB, heap });
} finally {
  gen?.child.kill('SIGKILL');
  server.kill('SIGKILL');
  await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}

/** The main thread's heap as the probe sees it (after the window, before and after a full collection). */
async function probeHeap() {
  process.kill(server.pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    try {
      return JSON.parse(readFileSync(probeFile, 'utf8'));
    } catch {
      // not written yet
    }
  }
  return null;
}

function report({ k0, k1, cpu0, cpu1, load, deliveries, rssMB, heap }) {
  const pauses = readFileSync(gcLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => JSON.parse(l))
    .filter(([end]) => end >= k0.at && end <= k1.at);
  if (keep) writeFileSync(keep, JSON.stringify({ pauses, deliveries }));
  const samplesPerS = (k1.samples - k0.samples) / ((k1.at - k0.at) / 1000);
  const lat = summary(deliveries.map((d) => d[1]));
  console.log(`# gc-pauses: ${hosts} hosts, ${warmupS} s warm-up + ${measureS} s, tidemark ${tidemarkDir}`);
  console.log(`# server node flags: ${nodeFlags ?? "(the launcher's)"}; ${machine()}`);
  console.log(
    `kept ${fmt(samplesPerS)} samples/s; main thread ${fmt((cpu1 - cpu0) / ((k1.at - k0.at) / 1000), 3)} cores, ` +
      `${fmt((1e6 * (cpu1 - cpu0)) / (k1.samples - k0.samples), 2)} µs per sample; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`,
  );
  console.log(`delivery ms p50 / p99 / max: ${fmt(lat.median)} / ${fmt(lat.p99)} / ${fmt(lat.max)} (${lat.n} samples)`);
  if (heap) {
    const mb = (b) => fmt(b / 2 ** 20);
    const sp = heap.before.spaces;
    console.log(
      `RSS ${fmt(rssMB)} MB; V8 heap total ${mb(heap.before.heapTotal)} MB (new space ${mb(sp.new_space.size)}, ` +
        `old space ${mb(sp.old_space.size)}), live after a full collection ${mb(heap.after.heapUsed)} MB, ` +
        `array buffers ${mb(heap.after.arrayBuffers)} MB`,
    );
  }
  console.log('\n| kind | per s | p50 ms | p99 ms | max ms | total, % of the window |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
    const d = pauses.filter((p) => p[1] === kind).map((p) => p[2]);
    if (!d.length) continue;
    const s = summary(d);
    const total = d.reduce((a, b) => a + b, 0);
    console.log(
      `| ${kind} | ${fmt(d.length / measureS, 2)} | ${fmt(s.median, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.max, 1)} | ${fmt((100 * total) / (k1.at - k0.at), 2)} |`,
    );
  }
  // Per second: the worst delivery beside the pauses that ended then or the second before (a sample held by a
  // pause arrives after it). If pauses made the tail, the late seconds are the ones with long pauses.
  const seconds = new Map();
  const at = (t) =>
    seconds.get(Math.floor(t / 1000)) ??
    seconds.set(Math.floor(t / 1000), { lat: [], gc: 0 }).get(Math.floor(t / 1000));
  for (const [t, l] of deliveries) at(t).lat.push(l);
  for (const [end, , ms] of pauses) {
    at(end).gc += ms;
    at(end + 1000).gc += ms;
  }
  const rows = [...seconds.values()].filter((s) => s.lat.length);
  const worst = rows.map((s) => Math.max(...s.lat));
  const gcMs = rows.map((s) => s.gc);
  const late = rows.filter((s) => Math.max(...s.lat) > 250);
  console.log(
    `\nseconds with a delivery over 250 ms: ${late.length} of ${rows.length}; their pauses (this and the previous second) ` +
      `p50 ${fmt(summary(late.map((s) => s.gc)).median || 0, 1)} ms, others p50 ${fmt(summary(rows.filter((s) => !late.includes(s)).map((s) => s.gc)).median || 0, 1)} ms; ` +
      `correlation of a second's worst delivery with its pauses: ${fmt(pearson(worst, gcMs), 2)}`,
  );
}

function pearson(x, y) {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
