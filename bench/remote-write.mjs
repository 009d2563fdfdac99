// Remote-write throughput and queue size: H simulated hosts' batches (the simulator's ~93 series)
// queued for S seconds of fleet time while the remote store is down, then real VictoriaMetrics
// started and the drain timed: samples per second through encode + snappy + HTTP on this machine.
// Also the queue's bytes per sample, hence its disk use per hour of outage.
// Usage: node bench/remote-write.mjs [hosts] [seconds] [shards]   (run `npm run build` first; needs victoria-metrics)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RemoteWrite } from '../dist/server/remote-write/index.js';
import { SimulatedHost } from '../dist/agent/simulator.js';
import { silentLogger } from '../dist/shared/log.js';
import { machine, fmt } from './lib.mjs';

const hosts = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 60);
const shards = Number(process.argv[4] ?? 4);

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tidemark-rw-bench-'));
const rw = new RemoteWrite({
  dir: path.join(tmp, 'queue'),
  targets: [{ url: `http://127.0.0.1:${port}/api/v1/write`, shards, maxBackoffMs: 200 }],
  log: silentLogger,
});

// Queue S seconds of H hosts (timestamps one second apart, as agents send them).
const sims = Array.from(
  { length: hosts },
  (_, i) => new SimulatedHost(i, `sim-${i}`, 'ws://127.0.0.1:9', 't', silentLogger),
);
const t0 = Date.now() - seconds * 1000;
// As the server gets them from protocol-2 agents: one series object per series and session, reused every second.
const refs = sims.map(() => []);
const seriesOf = (i, samples) =>
  samples.map((x, j) => {
    const r = refs[i][j];
    return r && r.m === x.m && r.l === x.l ? r : (refs[i][j] = x.l ? { m: x.m, l: x.l } : { m: x.m });
  });
let queued = 0;
const qStart = performance.now();
for (let k = 0; k < seconds; k++) {
  for (let i = 0; i < hosts; i++) {
    const { samples } = sims[i].sample(t0 + k * 1000);
    const values = Float64Array.from(samples, (s) => s.v ?? NaN);
    rw.ingest(sims[i].id, { type: 'batch', seq: k + 1, ts: t0 + k * 1000, series: seriesOf(i, samples), values });
    queued += values.filter((v) => !Number.isNaN(v)).length;
  }
}
rw.queue.flush();
const queueMs = performance.now() - qStart;
const bytes = rw.queue.totalBytes;

const vmDir = path.join(tmp, 'vm');
const vm = spawn(
  'victoria-metrics',
  [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${vmDir}`, '-retentionPeriod=100y'],
  {
    stdio: 'ignore',
  },
);
const start = performance.now();
const cpu0 = process.cpuUsage();
for (;;) {
  const t = rw.stats().targets[0];
  if (t.pending === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
const drainMs = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const sent = rw.stats().targets[0].sent;
await rw.close(0);
vm.kill('SIGTERM');
await new Promise((r) => vm.once('exit', r));
rmSync(tmp, { recursive: true, force: true });

const perSample = bytes / queued;
console.log(machine());
console.log(`hosts ${hosts}, fleet seconds ${seconds}, shards ${shards}`);
console.log(
  `queued ${queued} samples in ${fmt(queueMs, 0)} ms (${fmt(queued / (queueMs / 1000) / 1000, 0)} k samples/s into the queue)`,
);
console.log(`queue on disk ${fmt(bytes / 2 ** 20)} MiB = ${fmt(perSample, 2)} bytes/sample`);
console.log(
  `per hour of outage: ${fmt((perSample * (queued / seconds) * 3600) / 2 ** 30, 2)} GiB for these ${hosts} hosts, ${fmt((perSample * (queued / seconds / hosts) * 3600) / 2 ** 20, 1)} MiB per host`,
);
console.log(
  `drained ${sent} samples in ${fmt(drainMs / 1000)} s (includes VictoriaMetrics start-up): ${fmt(sent / (drainMs / 1000) / 1000, 0)} k samples/s; Tidemark CPU ${fmt((cpu.user + cpu.system) / 1e6)} s`,
);
