// How the store's per-commit maintenance (Appender.sealDue: staged rows into heads, due heads sealed into
// chunks) falls over a second, without sockets or the writer thread: N hosts of 93 series append one batch a
// second each, spread over the second as a fleet's are, and a commit comes every 300 hosts (~10 a second at
// 3 000 hosts) with sealDue at its time, as the store's commit pipeline calls it. Prints CPU per sample, the
// time in sealDue per second, and the longest single sealDue: the synchronous stretch frames wait behind.
// Usage: node bench/seal-spread.mjs [DIST] [hosts] [seconds]   (DIST: a checkout's dist/, default ./dist;
// the first 70 s, before the first heads are due, are not counted)
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.argv[2] ?? 'dist');
const hosts = Number(process.argv[3] ?? 5000);
const seconds = Number(process.argv[4] ?? 130);
const PER = 93;
const WARMUP_S = 70;
const { Appender } = await import(pathToFileURL(path.join(dist, 'server/store/appender.js')).href);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const n = hosts * PER;
const start = 1_700_000_000_000;
let now = start;
const app = new Appender(0, {
  now: () => now,
  chunkAgeMs: 60_000,
  commitSamples: 50_000,
  isSeries: (id) => id >= 1 && id <= n,
  onPending: () => {},
});
app.ensure(n + 1);
const ids = Array.from({ length: hosts }, (_, h) => Array.from({ length: PER }, (_, j) => 1 + h * PER + j));
const values = Array.from({ length: hosts }, () => new Float64Array(PER).map(() => Math.random() * 100));
let samples = 0;
let t0 = 0;
let inSealDue = 0;
let longest = 0;
for (let s = 0; s < seconds; s++) {
  if (s === WARMUP_S) [t0, samples, inSealDue, longest] = [cpuMs(), 0, 0, 0];
  for (let h = 0; h < hosts; h++) {
    now = start + s * 1000 + Math.floor((h * 1000) / hosts);
    const v = values[h];
    for (let j = 0; j < PER; j++) if ((j + s) % 3 === 0) v[j] = Math.round((v[j] + Math.random() - 0.5) * 100) / 100;
    app.appendValues(now, ids[h], v);
    samples += PER;
    if (h % 300 === 0) {
      const from = performance.now();
      app.sealDue(now);
      app.take();
      const took = performance.now() - from;
      inSealDue += took;
      longest = Math.max(longest, took);
    }
  }
}
const counted = seconds - WARMUP_S;
console.log(
  JSON.stringify({
    dist,
    hosts,
    nsPerSample: Math.round(((cpuMs() - t0) * 1e6) / samples),
    sealDueMsPerSecond: Number((inSealDue / counted).toFixed(1)),
    longestSealDueMs: Number(longest.toFixed(1)),
  }),
);
