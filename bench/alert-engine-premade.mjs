// Alert engine cost per batch with nothing else in the process between seconds: H simulated hosts'
// batches (the simulator's ~93 series, the shipped rules) made before the run — 60 distinct seconds
// per host, cycled — then fed for S seconds as the server feeds them. Unlike alert-engine.mjs no
// simulator runs between the timed seconds, so neither its work nor its garbage's collection counts.
// Usage: node bench/alert-engine-premade.mjs [hosts] [seconds]   (run `npm run build` first)
import { SimulatedHost } from '../dist/agent/simulator.js';
import { silentLogger } from '../dist/shared/log.js';
import { engineAlone, shippedRules } from './engine-alone.mjs';
import { machine, summary, fmt } from './lib.mjs';

const hosts = Number(process.argv[2] ?? 3000);
const seconds = Number(process.argv[3] ?? 400);
/** Distinct seconds of data per host, cycled (kept small: the batches should not be what misses the cache). */
const FRAMES = 4;
const rules = shippedRules();
let now = 1_800_000_000_000;
const engine = engineAlone(rules, () => now);

const fleet = Array.from({ length: hosts }, (_, i) => {
  const sim = new SimulatedHost(i, `sim-${i}`, 'ws://127.0.0.1:9', 't', silentLogger);
  const frames = [];
  let series = null;
  for (let s = 0; s < FRAMES; s++) {
    const { samples } = sim.sample(now + s * 1000);
    series ??= samples.map((x) => (x.l ? { m: x.m, l: x.l } : { m: x.m }));
    frames.push(Float64Array.from(samples, (x) => x.v ?? NaN));
  }
  sim.transport.stop();
  return { id: sim.id, series, shape: { version: 1, slots: series.map((_, j) => j) }, frames };
});

const cpuPerBatchUs = [];
for (let s = 0; s < seconds; s++) {
  now += 1000;
  const start = process.cpuUsage();
  for (const h of fleet) engine.ingestValues(h.id, now, h.series, h.frames[s % FRAMES], h.shape);
  const cpu = process.cpuUsage(start);
  cpuPerBatchUs.push((cpu.user + cpu.system) / hosts);
}
// The first half fills every window (the longest shipped range is 5 minutes) and settles allocation.
const c = summary(cpuPerBatchUs.slice(Math.floor(seconds / 2)));
const samplesPerBatch = fleet.reduce((n, h) => n + h.series.length, 0) / hosts;
console.log(
  `# alert engine, pre-made batches, ${hosts} hosts, ${rules.length} shipped rules, ${seconds} s; ${machine()}`,
);
console.log(JSON.stringify({ hosts, seconds, cpuUsPerBatch: c, samplesPerBatch }));
console.log(
  `engine: CPU median ${fmt(c.median, 2)} µs per batch (min–p90 ${fmt(c.min, 2)}–${fmt(c.p90, 2)}), ${fmt((c.median / samplesPerBatch) * 1000, 1)} ns per sample`,
);
engine.stop();
