// Fleet overview at scale: N simulated hosts (the simulator's samples, states and episodes) judged by the
// server's FleetHealth, the overview open in headless Chromium over /ws/dashboard. Measures the first
// render (navigation to tiles on screen, and the tab's main-thread time for it), the main-thread time
// the tab spends per second on the 2-second pushes, the pushes' size, and the server's cost of one push.
// Hosts are fed to the registry and FleetHealth in-process (no agent sockets: bench/fan-in.mjs measures
// those), so the figures are the overview's own.
// Usage: node bench/overview.mjs [hosts] [seconds] [--profile]   (default 5000 hosts, 60 s; run `npm run build` first)
// --profile: a V8 CPU profile of the tab during the updates, its self time by function (where the time goes).
import { chromium } from 'playwright-core';
import { TidemarkServer } from '../dist/server/server.js';
import { SimulatedHost } from '../dist/agent/simulator.js';
import { silentLogger } from '../dist/shared/log.js';
import { PROTOCOL_VERSION } from '../dist/shared/wire.js';
import { OverviewPush } from '../dist/server/overview-push.js';
import { machine, summary, fmt, quantile } from './lib.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const profile = process.argv.includes('--profile');
const hostCount = Number(args[0] ?? 5000);
const seconds = Number(args[1] ?? 60);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = new TidemarkServer({ host: '127.0.0.1', port: 0, agentToken: 't', apiToken: null, log: silentLogger });
const port = await server.listen();
const sims = Array.from({ length: hostCount }, (_, i) => {
  const id = `sim-${String(i).padStart(5, '0')}`;
  server.hosts.connected(
    {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentId: id,
      session: 's',
      hostname: id,
      agentVersion: 'bench',
      inventory: null,
    },
    Date.now(),
  );
  // The transport is never started: the host only produces samples and states.
  return new SimulatedHost(i, id, `ws://127.0.0.1:${port}`, 't', silentLogger);
});

/** One second of the fleet: every host's batch into the registry and FleetHealth, as onBatch does. Returns the time in FleetHealth.observe (the simulator's own work aside). */
let seq = 0;
function feed() {
  const now = Date.now();
  let observeMs = 0;
  seq++;
  for (const h of sims) {
    const { samples, states } = h.sample(now);
    /** @type {import('../dist/shared/protocol.js').DecodedBatch} */
    const batch = {
      type: 'batch',
      seq,
      ts: now,
      series: samples.map((s) => (s.l ? { m: s.m, l: s.l } : { m: s.m })),
      values: Float64Array.from(samples, (s) => (s.v === null ? NaN : s.v)),
      ...(states ? { stateKinds: ['raid_array', 'mongod'], states } : {}),
    };
    server.hosts.seen(h.id, now, batch);
    const t0 = performance.now();
    server.health.observe(h.id, batch);
    observeMs += performance.now() - t0;
  }
  return observeMs;
}
for (let i = 0; i < 12; i++) feed(); // a little history for the sparklines' first bucket
const feedTimer = setInterval(feed, 1000);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const metrics = async () =>
  Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
let pushBytes = [];
page.on('websocket', (ws) =>
  ws.on('framereceived', (f) => String(f.payload).startsWith('{"type":"overview"') && pushBytes.push(f.payload.length)),
);

const m0 = await metrics();
const t0 = performance.now();
await page.goto(`http://127.0.0.1:${port}/`);
await page.locator('a.tile').first().waitFor({ timeout: 60_000 });
const firstRenderMs = performance.now() - t0;
const m1 = await metrics();
const firstMainMs = (m1.TaskDuration - m0.TaskDuration) * 1000;
const firstCpuMs = (m1.ThreadTime - m0.ThreadTime) * 1000;
const mounted = await page.locator('a.tile').count();
const firstBytes = pushBytes[0] ?? 0;
pushBytes = [];

// Steady state: main-thread time in each second while pushes arrive (a bucket close lands in one second, not spread over five).
await sleep(5000);
const traceEvents = [];
if (profile) {
  cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...d.value));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,v8,disabled-by-default-devtools.timeline',
    transferMode: 'ReportEvents',
  });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
}
const perSecond = [];
const cpuPerSecond = [];
let prev = await metrics();
let prevAt = performance.now();
for (let s = 0; s < seconds; s++) {
  await sleep(1000 - ((performance.now() - prevAt) % 1000));
  const cur = await metrics();
  const at = performance.now();
  const per = (name) => ((cur[name] - prev[name]) * 1000 * 1000) / (at - prevAt);
  // Our own metrics call runs on the tab's main thread too: it is not the overview's.
  perSecond.push(per('TaskDuration') - per('DevToolsCommandDuration'));
  cpuPerSecond.push(per('ThreadTime'));
  prev = cur;
  prevAt = at;
}
if (profile) {
  printProfile((await cdp.send('Profiler.stop')).profile);
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end');
  await done;
  printTrace(traceEvents);
}
const paints = await page.evaluate('document.querySelectorAll(".tile-slot").length');
// The tab's live JS heap after the updates (what a major GC marks and moves), after a full collection.
await cdp.send('HeapProfiler.collectGarbage');
const liveHeap = (await cdp.send('Runtime.getHeapUsage')).usedSize;

clearInterval(feedTimer);
// The server's cost of one push, as the dashboard endpoint makes it: every host's tile computed, compared with
// what was last pushed, the changes serialised (a second of the fleet fed before each; older builds sort the tiles).
const pusher = new OverviewPush();
pusher.baseline(server.health.tiles());
const tileMs = [];
const feedMs = [];
for (let i = 0; i < 6; i++) {
  feedMs.push(feed());
  const t = performance.now();
  const now = Date.now();
  const tiles = server.health.unsortedTiles ? server.health.unsortedTiles(now) : server.health.tiles(now);
  JSON.stringify(pusher.next(tiles, now));
  tileMs.push(performance.now() - t);
}

const q = (v, p) =>
  quantile(
    [...v].sort((a, b) => a - b),
    p,
  );
const spread = (v) => `${fmt(q(v, 0.5))} / ${fmt(q(v, 0.95))} / ${fmt(q(v, 0.99))} / ${fmt(Math.max(...v))}`;
const push = summary(pushBytes);
const srv = summary(tileMs);
const f = summary(feedMs);
console.log(`overview of ${hostCount} hosts · ${machine()}`);
console.log(
  `first render: ${fmt(firstRenderMs, 0)} ms to tiles on screen, ${fmt(firstMainMs, 0)} ms main thread (${fmt(firstCpuMs, 0)} ms CPU), full frame ${fmt(firstBytes / 1024, 0)} KiB, ${mounted} tiles mounted`,
);
console.log(
  `updates over ${seconds} s, main thread per second, median / p95 / p99 / max: task time ${spread(perSecond)} ms/s, CPU time ${spread(cpuPerSecond)} ms/s (${cpuPerSecond.filter((v) => v >= 50).length} s at 50 ms or more); pushes ${push.n} of median ${fmt(push.median / 1024, 0)} KiB; ${paints} tiles in the DOM; live JS heap ${fmt(liveHeap / 2 ** 20)} MiB`,
);
console.log(
  `server: one push (tiles computed, compared, serialised) ${fmt(srv.median)} ms median (${tileMs.map((v) => fmt(v, 0)).join(' ')}); FleetHealth.observe for the fleet (every host's batch, the simulator's time aside) ${fmt(f.median)} ms per second`,
);
if (process.env.OVERVIEW_SECONDS_LOG)
  console.log(
    perSecond.map((v) => fmt(v, 0)).join(' '),
    '\ncpu:',
    cpuPerSecond.map((v) => fmt(v, 0)).join(' '),
    '\npush KiB:',
    pushBytes.map((b) => fmt(b / 1024, 0)).join(' '),
  );
await browser.close();
await server.close();
process.exit(0);

/** Self time by function (and script) of a CPU profile, the top 15. */
function printProfile(p) {
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = p.timeDeltas;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byNode.get(p.samples[i]);
    const f = n.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`profile: ${fmt(total / seconds)} ms/s of JS and GC; self time by function:`);
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${fmt(ms / seconds, 2).padStart(7)} ms/s  ${k}`);
}

/** The renderer main thread's trace events by name (total duration, nested events counted in their parents too). */
function printTrace(events) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const total = new Map();
  for (const e of events) {
    if (!main || e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || !e.dur) continue;
    total.set(e.name, (total.get(e.name) ?? 0) + e.dur / 1000);
  }
  console.log('trace: renderer main thread events by name (inclusive):');
  for (const [k, ms] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 20))
    console.log(`  ${fmt(ms / seconds, 2).padStart(7)} ms/s  ${k}`);
  // The busiest second's top-level tasks by what they ran (the spikes are what the goal is about).
  const tasks = events.filter(
    (e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask',
  );
  const bySecond = new Map();
  for (const t of tasks) {
    const sec = Math.floor(t.ts / 1e6);
    bySecond.set(sec, (bySecond.get(sec) ?? 0) + t.dur / 1000);
  }
  const [worst, worstMs] = [...bySecond].sort((a, b) => b[1] - a[1])[0] ?? [null, 0];
  if (worst === null) return;
  const inside = new Map();
  for (const e of events) {
    if (!main || e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || Math.floor(e.ts / 1e6) !== worst) continue;
    inside.set(e.name, (inside.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
  }
  console.log(`trace: the busiest second, ${fmt(worstMs)} ms of tasks:`);
  for (const [k, ms] of [...inside].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`  ${fmt(ms, 1).padStart(7)} ms  ${k}`);
}
