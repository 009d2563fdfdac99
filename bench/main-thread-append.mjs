// The server main thread's per-sample store and fleet-health work, without sockets or the writer thread:
// Appender.appendValues (heads, write-ahead log rows, sealing) and FleetHealth.observe over a fleet of hosts
// of 93 series each, one batch per host and simulated second. CPU time of this process per sample.
// Each host appends through one ids array, as a steady agent session does, so the store stages its batches as
// rows of a block (server/store/staged-rows.ts) from its second batch on.
// Usage: node bench/main-thread-append.mjs [hosts] [seconds]   (run `npm run build` first)
const hosts = Number(process.argv[2] ?? 3000);
const seconds = Number(process.argv[3] ?? 150);
const PER = 93;
const WARMUP_S = 60;
const { Appender } = await import('../dist/server/store/appender.js');
const { FleetHealth } = await import('../dist/server/fleet-health.js');
const { HostRegistry } = await import('../dist/server/hosts.js');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Appends one batch per host and second, values drifting like gauges; sealing as the store's maintenance does. */
function append() {
  const n = hosts * PER;
  let now = 1_700_000_000_000;
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
  for (let s = 0; s < seconds; s++) {
    if (s === WARMUP_S) [t0, samples] = [cpuMs(), 0];
    now += 1000;
    for (let h = 0; h < hosts; h++) {
      const v = values[h];
      for (let j = 0; j < PER; j++) if ((j + s) % 3 === 0) v[j] = Math.round((v[j] + Math.random() - 0.5) * 100) / 100;
      app.appendValues(now + (h % 1000), ids[h], v);
      samples += PER;
      if (h % 300 === 0) app.take(); // a commit every ~100 ms at one batch per host and second
    }
    app.sealDue(now);
    app.take();
  }
  return ((cpuMs() - t0) * 1e6) / samples;
}

/** The simulator's shape: 4 disks of 12 series, mongod tickets, queues and lock, the rest untracked. */
function observe() {
  const disks = ['sda', 'sdb', 'sdc', 'sdd'];
  const diskMetrics = ['disk_r_per_s', 'disk_w_per_s', 'disk_rkb_per_s', 'disk_wkb_per_s', 'disk_r_await_ms'];
  diskMetrics.push('disk_w_await_ms', 'disk_await_ms', 'disk_aqu_sz', 'disk_util_percent', 'disk_in_flight');
  diskMetrics.push('disk_queue_fill_percent', 'disk_saturated');
  const health = new FleetHealth(new HostRegistry(), () => 0);
  const shapes = Array.from({ length: hosts }, () => {
    const series = [];
    for (const d of disks) for (const m of diskMetrics) series.push({ m, l: { device: d } });
    for (const op of ['read', 'write']) series.push({ m: 'mongod_tickets_util_percent', l: { op } });
    for (const op of ['readers', 'writers', 'total']) series.push({ m: 'mongod_queued', l: { op } });
    series.push({ m: 'mongod_lock_percent', l: { type: 'wait' } });
    for (let i = series.length; i < PER; i++) series.push({ m: `other_${i}`, l: { i: String(i) } });
    return series;
  });
  const values = new Float64Array(PER).map((_, i) => (i * 7) % 100);
  let samples = 0;
  let t0 = 0;
  for (let s = 0; s < seconds; s++) {
    if (s === WARMUP_S) [t0, samples] = [cpuMs(), 0];
    for (let h = 0; h < hosts; h++) {
      health.observe(`h${h}`, { type: 'batch', seq: s + 1, ts: 1e12 + s * 1000, series: shapes[h], values });
      samples += PER;
    }
  }
  return ((cpuMs() - t0) * 1e6) / samples;
}

console.log(`hosts ${hosts}, ${PER} series each, ${seconds} s simulated (first ${WARMUP_S} s not counted)`);
console.log(`appendValues (heads, log rows, sealing): ${append().toFixed(1)} ns CPU per sample`);
console.log(`FleetHealth.observe: ${observe().toFixed(1)} ns CPU per sample`);
