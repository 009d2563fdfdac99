// Alert engine cost per batch: H simulated hosts (the simulator's 93 series and episodes) fed to the
// engine with the shipped default rules, as the server feeds it — one session's series objects reused
// every second, values in a Float64Array. No network, no store: the engine alone, on the main thread.
// Usage: node bench/alert-engine.mjs [hosts] [seconds] [warm-up seconds]   (run `npm run build` first)
// The warm-up (default 30 s) is fed but not measured; 310 fills every 5-minute window before measuring.
import { SimulatedHost } from '../dist/agent/simulator.js';
import { silentLogger } from '../dist/shared/log.js';
import { engineAlone, shippedRules } from './engine-alone.mjs';
import { machine, summary, fmt } from './lib.mjs';

const hosts = Number(process.argv[2] ?? 6000);
const seconds = Number(process.argv[3] ?? 120);
const warmup = Number(process.argv[4] ?? 30);
if (!(warmup < seconds)) throw new Error('the warm-up must be shorter than the run');
let samplesFed = 0;
const rules = shippedRules();
let now = Date.now();
const engine = engineAlone(rules, () => now);

// Simulated hosts whose transports never start: only their samples are used.
const sims = Array.from(
  { length: hosts },
  (_, i) => new SimulatedHost(i, `sim-${i}`, 'ws://127.0.0.1:9', 't', silentLogger),
);
// One series object per (labels object, metric) and host, as an agent session's table gives the server,
// and its slot in that table (the batch's shape, which lets the engine reuse the host's plan).
const tables = sims.map(() => new Map());
const slotsOf = sims.map(() => new Map());
const refOf = (i, s) => {
  let byMetric = tables[i].get(s.l);
  if (!byMetric) tables[i].set(s.l, (byMetric = new Map()));
  let ref = byMetric.get(s.m);
  if (!ref) {
    byMetric.set(s.m, (ref = s.l ? { m: s.m, l: s.l } : { m: s.m }));
    slotsOf[i].set(ref, slotsOf[i].size);
  }
  return ref;
};

const perSecondMs = [];
// CPU time as well as wall time: on a shared machine the wall clock also counts time the process waited for a core.
const cpuPerSecondMs = [];
for (let second = 0; second < seconds; second++) {
  now += 1000;
  // Samples are made outside the timed part.
  const batches = sims.map((h, i) => {
    const { samples } = h.sample(now);
    const series = samples.map((s) => refOf(i, s));
    const shape = { version: i + 1, slots: series.map((ref) => slotsOf[i].get(ref)) };
    return { series, values: Float64Array.from(samples, (s) => s.v ?? NaN), shape };
  });
  if (second >= warmup) samplesFed += batches.reduce((n, b) => n + b.values.length, 0);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < hosts; i++)
    engine.ingestValues(sims[i].id, now, batches[i].series, batches[i].values, batches[i].shape);
  const cpu = process.cpuUsage(cpuStart);
  perSecondMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  cpuPerSecondMs.push((cpu.user + cpu.system) / 1000);
}
// The warm-up fills the windows (the longest default window is 5 minutes; allocation settles in seconds).
const s = summary(perSecondMs.slice(warmup));
const c = summary(cpuPerSecondMs.slice(warmup));
const samplesPerSecond = samplesFed / (seconds - warmup);
console.log(
  `# alert engine, ${hosts} hosts × ~93 series, ${rules.length} default rules, ${seconds} s of data (${warmup} s warm-up); ${machine()}`,
);
console.log(
  JSON.stringify({
    hosts,
    msPerSecondOfData: s,
    cpuMsPerSecondOfData: c,
    usPerBatch: { median: (s.median / hosts) * 1000, cpuMedian: (c.median / hosts) * 1000 },
    nsPerSample: { cpuMedian: (c.median / samplesPerSecond) * 1e6 },
  }),
);
console.log(
  `engine: median ${fmt(s.median)} ms per second of fleet data (range ${fmt(s.min)}–${fmt(s.max)}), ${fmt((s.median / hosts) * 1000, 2)} µs per batch; CPU median ${fmt(c.median)} ms (range ${fmt(c.min)}–${fmt(c.max)}), ${fmt((c.median / hosts) * 1000, 2)} µs per batch, ${fmt((c.median / samplesPerSecond) * 1e6, 1)} ns of CPU per sample`,
);
for (const h of sims) h.transport.stop();
