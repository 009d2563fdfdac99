// What holds the server's main thread when a delivery is late. Starts a `tidemark server` by its checkout's
// launcher with a CPU profile (--cpu-prof) and bench/stall-probe.mjs preloaded (it logs every turn of the main
// thread's event loop that kept its timers waiting --min-ms or more, and when each ack went out), feeds it N
// hosts from bench/ingest-load.mjs (the ladder's generator) and watches 100 hosts from a dashboard WebSocket as
// ingest-peers.mjs does (latency: sample timestamp -> dashboard). Over the measurement window it prints:
// delivery p50/p99/max; the stalls (count, p50/max, share of the window); how many deliveries over 250 ms had a
// stall between their timestamp and their arrival; how bunched the acks went out; the generator's own worst lag
// (it shares the cores: a late generator stamps late samples); and what the main thread ran in each stall, from
// the profile's samples inside it: the outermost project frames (dist/) of each sample, grouped, so a stall
// reads as e.g. "maintain > flush > prepare".
// Usage: node bench/stall-trace.mjs [--hosts 6000] [--warmup 40] [--measure 30] [--port 24080] [--min-ms 40]
//   [--tidemark-dir DIR] [--keep DIR]   (keeps the profile, the stall log and the deliveries there)
//   (run `npm run build` first)
import { cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, loadAndWatch, machine, arg, numberArg, summary, waitHealthy, launchServer } from './lib.mjs';
import { spreadHostIds } from './ingest-frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hosts = numberArg('hosts', 6000);
const warmupS = numberArg('warmup', 40);
const measureS = numberArg('measure', 30);
const port = numberArg('port', 24080);
const minMs = numberArg('min-ms', 40);
const tidemarkDir = path.resolve(arg('tidemark-dir', path.join(here, '..')));
const keep = arg('keep', null);
const WATCHED = 100;
const LATE_MS = 250;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(path.join(os.tmpdir(), 'stall-trace-'));
const profDir = path.join(dir, 'prof');
mkdirSync(profDir);
const stallLog = path.join(dir, 'stalls.jsonl');
const ackLog = path.join(dir, 'acks.jsonl');
const base = `http://127.0.0.1:${port}`;
const server = launchServer({
  tidemarkDir,
  port,
  dataDir: path.join(dir, 'data'),
  stdio: ['ignore', openSync(path.join(dir, 'server.log'), 'a'), 'inherit'],
  env: {
    TIDEMARK_SERVER_NODE_FLAGS: `--cpu-prof --cpu-prof-dir=${profDir} --import=${path.join(here, 'stall-probe.mjs')}`,
    STALL_PROBE_LOG: stallLog,
    STALL_PROBE_MIN_MS: String(minMs),
    STALL_PROBE_ACK_LOG: ackLog,
    STALL_PROBE_TREE: tidemarkDir,
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
  const [g0, t0, load0] = [await gen.stats(), Date.now(), os.loadavg()[0]];
  watch.measuring = true;
  await sleep(measureS * 1000);
  watch.measuring = false;
  const [g1, t1, load1] = [await gen.stats(), Date.now(), os.loadavg()[0]];
  watch.close();
  gen.child.kill('SIGKILL');
  gen = undefined;
  if (server.exitCode !== null) throw new Error(`the server exited; logs in ${dir}`);
  // SIGINT: the server closes down and V8 writes its profiles on the way out.
  server.kill('SIGINT');
  await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
  const ingested = (g1.acked - g0.acked) / ((t1 - t0) / 1000);
  report({ t0, t1, load: [load0, load1], deliveries, ingested, genLagMs: g1.maxLagMs });
} finally {
  gen?.child.kill('SIGKILL');
  if (server.exitCode === null) server.kill('SIGKILL');
  if (keep) {
    cpSync(profDir, keep, { recursive: true });
    cpSync(stallLog, path.join(keep, 'stalls.jsonl'));
  }
  rmSync(dir, { recursive: true, force: true });
}

function report({ t0, t1, load, deliveries, ingested, genLagMs }) {
  if (keep) {
    mkdirSync(keep, { recursive: true });
    writeFileSync(path.join(keep, 'deliveries.json'), JSON.stringify(deliveries));
  }
  const stalls = readFileSync(stallLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => JSON.parse(l))
    .filter(([end]) => end >= t0 && end <= t1);
  const lat = summary(deliveries.map((d) => d[1]));
  const st = summary(stalls.map((s) => s[2]));
  const stalledMs = stalls.reduce((a, s) => a + s[2], 0);
  console.log(`# stall-trace: ${hosts} hosts, ${warmupS} s warm-up + ${measureS} s, tidemark ${tidemarkDir}`);
  console.log(`# ${machine()}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
  console.log(`acked ${fmt(ingested)} samples/s; generator's worst lag ${fmt(genLagMs)} ms (since its start)`);
  console.log(`delivery ms p50 / p99 / max: ${fmt(lat.median)} / ${fmt(lat.p99)} / ${fmt(lat.max)} (${lat.n})`);
  console.log(
    `stalls >= ${minMs} ms: ${stalls.length}, p50 ${fmt(st.median)} ms, max ${fmt(st.max)} ms, ` +
      `${fmt((100 * stalledMs) / (t1 - t0))} % of the window`,
  );
  const late = deliveries.filter(([, l]) => l > LATE_MS);
  const held = late.filter(([at, l]) => stalls.some(([end, , ms]) => end - ms < at && end > at - l));
  console.log(
    `deliveries over ${LATE_MS} ms: ${late.length}; with a stall between timestamp and arrival: ${held.length}`,
  );
  ackBursts(t0, t1);
  const profile = mainProfile();
  if (!profile) return console.log('no profile written');
  const groups = new Map();
  console.log('\nlongest stalls: end (s into the window), ms, what ran (ms of samples, outermost project frames)');
  const rows = stalls.map(([end, mono, ms]) => ({ end, ms, parts: inside(profile, mono - ms * 1000, mono) }));
  for (const r of rows)
    for (const [k, v] of r.parts) {
      const g = groups.get(k) ?? groups.set(k, { ms: 0, stalls: 0 }).get(k);
      g.ms += v;
      g.stalls++;
    }
  for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 12)) {
    const parts = [...r.parts].sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(
      `${fmt((r.end - t0) / 1000)} s  ${fmt(r.ms)} ms  ` + parts.map(([k, v]) => `${fmt(v, 0)} ${k}`).join(' | '),
    );
  }
  console.log('\nacross all stalls: ms of samples, stalls it ran in, outermost project frames');
  for (const [k, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15))
    console.log(`${fmt(g.ms, 0).padStart(6)} ${String(g.stalls).padStart(4)}  ${k}`);
}

/**
 * How the acks went out over the window (the probe's log of ws sends): the most in one 10 ms stretch, and the
 * share of all acks in the busiest 2 % of the stretches (spread evenly, about 2 %).
 */
function ackBursts(t0, t1) {
  let times;
  try {
    times = readFileSync(ackLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => JSON.parse(l))
      .filter((t) => t >= t0 && t <= t1);
  } catch {
    return console.log('acks: none logged');
  }
  const bins = new Map();
  for (const t of times) bins.set(Math.floor(t / 10), (bins.get(Math.floor(t / 10)) ?? 0) + 1);
  const counts = [...bins.values()].sort((a, b) => b - a);
  const top = counts.slice(0, Math.ceil((t1 - t0) / 10 / 50)).reduce((a, b) => a + b, 0);
  console.log(
    `acks sent: ${times.length}, most in 10 ms ${counts[0] ?? 0}, ` +
      `${fmt((100 * top) / Math.max(1, times.length))} % of them in the busiest 2 % of 10 ms stretches`,
  );
}

/** The main thread's profile: the larger of the files (the other is the history writer thread's). */
function mainProfile() {
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return null;
  const file = files.map((f) => path.join(profDir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const parent = new Map();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** Outermost three project frames of a node's stack, or the leaf's name outside the project (GC, idle). */
  const label = new Map();
  const labelOf = (id) => {
    if (label.has(id)) return label.get(id);
    const chain = [];
    for (let n = id; n !== undefined; n = parent.get(n)) chain.push(byId.get(n).callFrame);
    const own = chain.reverse().filter((f) => f.url.includes('/dist/'));
    const name = (f) => f.functionName || '(anonymous)';
    const l = own.length ? own.slice(0, 3).map(name).join(' > ') : name(chain[chain.length - 1]);
    label.set(id, l);
    return l;
  };
  const times = new Float64Array(p.samples.length);
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) times[i] = t += p.timeDeltas[i];
  return { samples: p.samples, times, labelOf };
}

/** ms of samples by label between two instants of the monotonic clock (µs). */
function inside(profile, from, to) {
  const out = new Map();
  const { samples, times, labelOf } = profile;
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < times.length && times[i] <= to; i++) {
    const k = labelOf(samples[i]);
    out.set(k, (out.get(k) ?? 0) + (times[i + 1] ?? times[i]) / 1000 - times[i] / 1000);
  }
  return out;
}
