// Where the server's main thread allocates under load: the garbage its collector then has to sweep. Starts a
// `tidemark server` by its checkout's launcher (bin/tidemark, with its settings) with the inspector on a loopback
// port, feeds it N hosts from bench/ingest-load.mjs (hosts of 93 series at 1 s, protocol-3 batches with a live
// mongod's extras) and a dashboard watching 100 of them, and after the warm-up runs V8's sampling heap profiler
// over the window with objects the young and old generation collections freed kept in the profile (CDP
// HeapProfiler.startSampling, includeObjectsCollectedByMinorGC/MajorGC): every allocation counts, not only what
// survives. Prints bytes allocated per agent batch by allocating function (self) and by its three callers.
// Sampled (one sample per 16 KiB allocated on average): figures under ~1 % of the total are noise.
// Usage: node bench/alloc-sites.mjs [--hosts 5000] [--warmup 40] [--measure 20] [--port 25090]
//   [--inspect-port 25091] [--top 30] [--tidemark-dir DIR] [--keep FILE]   (the raw profile, as JSON)
//   (run `npm run build` first)
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { fmt, loadAndWatch, machine, arg, numberArg, waitHealthy, launchServer } from './lib.mjs';
import { spreadHostIds } from './ingest-frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hosts = numberArg('hosts', 5000);
const warmupS = numberArg('warmup', 40);
const measureS = numberArg('measure', 20);
const port = numberArg('port', 25090);
const inspectPort = numberArg('inspect-port', 25091);
const top = numberArg('top', 30);
const tidemarkDir = path.resolve(arg('tidemark-dir', path.join(here, '..')));
const keep = arg('keep', null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A Chrome DevTools Protocol session with the server's inspector: `call(method, params)` → its result. */
async function devtools() {
  const targets = /** @type {any[]} */ (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json());
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 2 ** 30 });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 0;
  const waiting = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (!waiting.has(m.id)) return;
    const [resolve, reject] = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) reject(new Error(`${m.error.message} (${m.error.code})`));
    else resolve(m.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      waiting.set(++next, [resolve, reject]);
      ws.send(JSON.stringify({ id: next, method, params }));
    });
  return { call, close: () => ws.close() };
}

async function batchesIngested(base) {
  const h = /** @type {any} */ (await (await fetch(`${base}/healthz`)).json());
  return h.ingested.batches;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'alloc-sites-'));
const base = `http://127.0.0.1:${port}`;
const server = launchServer({
  tidemarkDir,
  port,
  dataDir: dir,
  stdio: ['ignore', openSync(path.join(dir, 'server.log'), 'a'), 'inherit'],
  env: { TIDEMARK_SERVER_NODE_FLAGS: `--inspect=127.0.0.1:${inspectPort}` },
});
let gen;
try {
  await waitHealthy(base);
  const watch = loadAndWatch(base, port, hosts, spreadHostIds(hosts, 100));
  gen = watch.gen;
  await gen.ready;
  await sleep(warmupS * 1000);
  const inspector = await devtools();
  await inspector.call('HeapProfiler.enable');
  const b0 = await batchesIngested(base);
  const load0 = os.loadavg()[0];
  await inspector.call('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  await sleep(measureS * 1000);
  const { profile } = /** @type {any} */ (await inspector.call('HeapProfiler.stopSampling'));
  const b1 = await batchesIngested(base);
  inspector.close();
  watch.close();
  if (keep) writeFileSync(keep, JSON.stringify(profile));
  report(profile, b1 - b0, [load0, os.loadavg()[0]]);
} finally {
  gen?.child.kill('SIGKILL');
  server.kill('SIGKILL');
  await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}

/** `name file:line` of a profile node, with the path from dist/ or node_modules/ on. */
function site(node) {
  const f = node.callFrame;
  const file = (f.url || '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

function report(profile, batches, load) {
  const bySite = new Map();
  const byChain = new Map();
  const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node, callers) => {
    const here = site(node);
    if (node.selfSize > 0) {
      add(bySite, here, node.selfSize);
      add(byChain, [here, ...callers.slice(0, 3)].join(' < '), node.selfSize);
    }
    for (const child of node.children) walk(child, [here, ...callers]);
  };
  walk(profile.head, []);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  const perBatch = (bytes) => fmt(bytes / batches, 0).padStart(7);
  console.log(`# alloc-sites: ${hosts} hosts, ${warmupS} s warm-up + ${measureS} s, tidemark ${tidemarkDir}`);
  console.log(`# ${machine()}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
  console.log(
    `allocated ${fmt(total / 2 ** 20)} MiB in ${measureS} s over ${batches} batches: ${fmt(total / batches, 0)} bytes per batch`,
  );
  console.log(`\nbytes per batch, share, allocating function (top ${top}):`);
  for (const [k, b] of [...bySite].sort((x, y) => y[1] - x[1]).slice(0, top))
    console.log(`${perBatch(b)} ${fmt((100 * b) / total).padStart(5)} %  ${k}`);
  console.log(`\nbytes per batch, allocating function < its callers (top ${top}):`);
  for (const [k, b] of [...byChain].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${perBatch(b)}  ${k}`);
}
