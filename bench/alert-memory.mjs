// Alert engine memory per series: H simulated hosts' batches (the simulator's ~93 series, the shipped
// rules) fed for S seconds (default 320: every 5-minute window full), then the V8 heap and array buffers
// after a full collection, less the same before the engine existed, over the series fed.
// Usage: node --expose-gc bench/alert-memory.mjs [hosts,hosts,...] [seconds]   (run `npm run build` first)
import { SimulatedHost } from '../dist/agent/simulator.js';
import { silentLogger } from '../dist/shared/log.js';
import { engineAlone, shippedRules } from './engine-alone.mjs';
import { machine } from './lib.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const sizes = (process.argv[2] ?? '500,2000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 320);
const rules = shippedRules();

/** V8 heap used plus array buffers, after full collections. */
function used() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** One session's batch per host, as the server hands them over: series objects, values, shape. */
function fleet(hosts, at) {
  return Array.from({ length: hosts }, (_, i) => {
    const sim = new SimulatedHost(i, `sim-${i}`, 'ws://127.0.0.1:9', 't', silentLogger);
    const { samples } = sim.sample(at);
    sim.transport.stop();
    const series = samples.map((s) => (s.l ? { m: s.m, l: s.l } : { m: s.m }));
    const slots = series.map((_, j) => j);
    return {
      id: `sim-${i}`,
      series,
      values: Float64Array.from(samples, (s) => s.v ?? NaN),
      shape: { version: 1, slots },
    };
  });
}

console.log(`# alert engine memory, ${rules.length} shipped rules, ${seconds} s fed; ${machine()}`);
const points = [];
for (const hosts of sizes) {
  let now = 1_800_000_000_000;
  const batches = fleet(hosts, now);
  const seriesCount = batches.reduce((n, b) => n + b.series.length, 0);
  const before = used();
  const engine = engineAlone(rules, () => now);
  for (let s = 0; s < seconds; s++) {
    now += 1000;
    for (const b of batches) {
      // Values that move a little each second, as the simulator's do, so no window holds a constant.
      for (let j = 0; j < b.values.length; j++) b.values[j] = b.values[j] * (0.995 + ((s + j) % 3) * 0.005);
      engine.ingestValues(b.id, now, b.series, b.values, b.shape);
    }
  }
  const bytes = used() - before;
  points.push({ hosts, series: seriesCount, bytes });
  console.log(JSON.stringify({ hosts, series: seriesCount, engineBytes: bytes, bytesPerSeries: bytes / seriesCount }));
  engine.stop();
}
if (points.length > 1) {
  const [a, b] = [points[0], points[points.length - 1]];
  console.log(
    `slope: ${((b.bytes - a.bytes) / (b.series - a.series)).toFixed(0)} bytes per series (${a.hosts} → ${b.hosts} hosts)`,
  );
}
