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
    const p = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
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
// As the server gets them from protocol-2 agents: one series object per series and session, reused every second.
const refs = sims.map(() => []);
const seriesOf = (i, samples) =>
  samples.map((x, j) => {
    const r = refs[i][j];
    return r && r.m === x.m && r.l === x.l ? r : (refs[i][j] = x.l ? { m: x.m, l: x.l } : { m: x.m });
  });
const t0 = Date.now() - 2 * seconds * 1000;
let queued = 0;
function queueSeconds(from, count) {
  for (let k = from; k < from + count; k++) {
    for (let i = 0; i < hosts; i++) {
      const { samples } = sims[i].sample(t0 + k * 1000);
      const values = Float64Array.from(samples, (s) => s.v ?? NaN);
      rw.ingest(sims[i].id, { type: 'batch', seq: k + 1, ts: t0 + k * 1000, series: seriesOf(i, samples), values });
      queued += values.filter((v) => !Number.isNaN(v)).length;
    }
  }
}
const qStart = performance.now();
queueSeconds(0, seconds);
rw.queue.flush();
const queueMs = performance.now() - qStart;
const bytes = rw.queue.totalBytes;
const queuedFirst = queued;

const vmDir = path.join(tmp, 'vm');
const startVm = () =>
  spawn(
    'victoria-metrics',
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${vmDir}`, '-retentionPeriod=100y'],
    {
      stdio: 'ignore',
    },
  );
const stopVm = async (vm) => {
  vm.kill('SIGTERM');
  await new Promise((r) => vm.once('exit', r));
};
/** Starts VictoriaMetrics and times the queue's drain into it. */
async function drain() {
  const sentBefore = rw.stats().targets[0].sent;
  const vm = startVm();
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (rw.stats().targets[0].pending > 0) await new Promise((r) => setTimeout(r, 100));
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { vm, ms, sent: rw.stats().targets[0].sent - sentBefore, cpuS: (cpu.user + cpu.system) / 1e6 };
}
// Round 1: every series is new to VictoriaMetrics (it registers them as it goes).
const first = await drain();
await stopVm(first.vm);
// Round 2: the same hosts' next minute, series already known: the steady state of a store that was down.
queueSeconds(seconds, seconds);
const second = await drain();
await stopVm(second.vm);
await rw.close(0);
rmSync(tmp, { recursive: true, force: true });

const perSample = bytes / queuedFirst;
console.log(machine());
console.log(`hosts ${hosts}, fleet seconds ${seconds}, shards ${shards}`);
console.log(
  `queued ${queuedFirst} samples in ${fmt(queueMs, 0)} ms (${fmt(queuedFirst / (queueMs / 1000) / 1000, 0)} k samples/s into the queue)`,
);
console.log(`queue on disk ${fmt(bytes / 2 ** 20)} MiB = ${fmt(perSample, 2)} bytes/sample`);
console.log(
  `per hour of outage: ${fmt((perSample * (queuedFirst / seconds) * 3600) / 2 ** 30, 2)} GiB for these ${hosts} hosts, ${fmt((perSample * (queuedFirst / seconds / hosts) * 3600) / 2 ** 20, 1)} MiB per host`,
);
for (const [name, r] of /** @type {[string, typeof first][]} */ ([
  ['new series', first],
  ['known series', second],
]))
  console.log(
    `${name}: drained ${r.sent} samples in ${fmt(r.ms / 1000)} s (includes VictoriaMetrics start-up): ${fmt(r.sent / (r.ms / 1000) / 1000, 0)} k samples/s; Tidemark CPU ${fmt(r.cpuS)} s (${fmt(r.sent / r.cpuS / 1000, 0)} k samples per CPU second)`,
  );
