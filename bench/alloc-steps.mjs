// Bytes two steps of a batch's handling allocate, in this process, away from the load of a whole server (what
// alloc-sites.mjs measures in a live server depends on how far behind it runs; these do not): decoding a steady
// protocol-3 frame of 93 series without extras (server/agent-binary-frames.ts), and appending a steady batch of
// 93 series to the store's appender with a commit's take every 200 batches (server/store/appender.ts). V8's
// sampling heap profiler with the objects minor and major collections freed kept (as alloc-sites.mjs), after a
// warm-up that lets the optimiser settle. Prints bytes per batch and the five largest allocating functions.
// Usage: node bench/alloc-steps.mjs [--batches 200000] [--tidemark-dir DIR]   (run `npm run build` first)
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, machine, numberArg } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--tidemark-dir');
const tidemarkDir = path.resolve(i > 0 ? process.argv[i + 1] : path.join(here, '..'));
const batches = numberArg('batches', 200_000);
const load = (file) => import(pathToFileURL(path.join(tidemarkDir, 'dist', file)).href);

const { decodeBinaryFrame } = await load('server/agent-binary-frames.js');
const { SessionSeries } = await load('server/agent-frames.js');
const { writeBinaryBatch } = await load('shared/wire-binary.js');
const { Appender } = await load('server/store/appender.js');

const N = 93;
const table = new SessionSeries();
table.reset(Array.from({ length: N }, (_, k) => [`metric_${k}`]));
const frame = writeBinaryBatch(5, 1_700_000_000_000, new Float64Array(N).fill(1.5), N, null, null);
const decode = () => decodeBinaryFrame(frame, table);

const appender = new Appender(0, {
  now: () => 0,
  chunkAgeMs: 3_600_000,
  commitSamples: 1e12,
  isSeries: () => true,
  onPending: () => {},
});
appender.ensure(N);
const ids = Array.from({ length: N }, (_, k) => k);
const values = new Float64Array(N).fill(2.5);
let ts = 1_700_000_000_000;
let appended = 0;
const append = () => {
  appender.appendValues((ts += 1000), ids, values);
  if (++appended % 200 === 0) appender.take();
};

const session = new Session();
session.connect();

/** Bytes `step` allocates per call over `batches` calls, and the functions that allocate most. */
async function measure(step) {
  for (let k = 0; k < 20_000; k++) step();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  for (let k = 0; k < batches; k++) step();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bySite = new Map();
  const walk = (node) => {
    const name = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}`;
    if (node.selfSize) bySite.set(name, (bySite.get(name) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  const top = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return `${fmt(total / batches)} B per batch (${top.map(([k, v]) => `${k} ${fmt(v / batches)}`).join(', ')})`;
}

console.log(`# alloc-steps: ${batches} batches of ${N} series, tidemark ${tidemarkDir}; ${machine()}`);
console.log(`decode a steady binary frame: ${await measure(decode)}`);
console.log(`append a steady batch (a take every 200): ${await measure(append)}`);
session.disconnect();
