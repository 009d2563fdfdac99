// Fleet health's main-thread work per batch, alone: HostRegistry.seen and FleetHealth.observe for every batch of
// a fleet (one batch per host and simulated second, the simulator's 93-series shape, values changing as gauges do),
// and every host's tile every 2 s as a subscribed overview asks for them (FleetHealth.unsortedTiles). CPU time of
// this process per batch, split into the per-batch part and the tiles' part.
// Usage: node bench/fleet-health.mjs [hosts] [seconds] [--no-tiles]   (run `npm run build` first)
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const hosts = Number(args[0] ?? 3000);
const seconds = Number(args[1] ?? 120);
const withTiles = !process.argv.includes('--no-tiles');
const PER = 93;
const WARMUP_S = 30;
const TILE_EVERY_S = 2;
const { FleetHealth } = await import('../dist/server/fleet-health.js');
const { HostRegistry } = await import('../dist/server/hosts.js');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The simulator's shape: 4 disks of 12 series, mongod tickets, queues and lock, the rest untracked. */
function shape() {
  const diskMetrics = ['disk_r_per_s', 'disk_w_per_s', 'disk_rkb_per_s', 'disk_wkb_per_s', 'disk_r_await_ms'];
  diskMetrics.push('disk_w_await_ms', 'disk_await_ms', 'disk_aqu_sz', 'disk_util_percent', 'disk_in_flight');
  diskMetrics.push('disk_queue_fill_percent', 'disk_saturated');
  const series = [];
  for (const d of ['sda', 'sdb', 'sdc', 'sdd']) for (const m of diskMetrics) series.push({ m, l: { device: d } });
  for (const op of ['read', 'write']) series.push({ m: 'mongod_tickets_util_percent', l: { op } });
  for (const op of ['readers', 'writers', 'total']) series.push({ m: 'mongod_queued', l: { op } });
  series.push({ m: 'mongod_lock_percent', l: { type: 'wait' } });
  for (let i = series.length; i < PER; i++) series.push({ m: `other_${i}`, l: { i: String(i) } });
  return series;
}

const registry = new HostRegistry();
let now = 1_700_000_000_000;
const health = new FleetHealth(registry, () => now);
const ids = Array.from({ length: hosts }, (_, h) => `h${String(h).padStart(5, '0')}`);
for (const id of ids) {
  registry.connected({ type: 'hello', protocol: 3, agentId: id, session: 's', hostname: id, agentVersion: 'b' }, now);
}
// One series array per host for its whole session, as SessionSeries.inOrder hands it out.
const shapes = ids.map(() => shape());
// Eight batches' values per host, taken in turn (drawn beforehand, so the loop times fleet health, not Math.random):
// gauges 0-100 (a tenth of the disks busy at 90 % and over), disk_saturated 0 but now and then 1.
const series0 = shape();
const figure = (j) => (series0[j].m === 'disk_saturated' ? Number(Math.random() < 0.02) : Math.random() * 100);
const values = ids.map(() => Array.from({ length: 8 }, () => new Float64Array(PER).map((_, j) => figure(j))));
let batches = 0;
let observeMs = 0;
let tilesMs = 0;
let tileCount = 0;
for (let s = 0; s < seconds; s++) {
  if (s === WARMUP_S) [batches, observeMs, tilesMs, tileCount] = [0, 0, 0, 0];
  now += 1000;
  const t0 = cpuMs();
  for (let h = 0; h < hosts; h++) {
    /** @type {import('../dist/shared/protocol.js').DecodedBatch} */
    const batch = { type: 'batch', seq: s + 1, ts: now + (h % 1000), series: shapes[h], values: values[h][s % 8] };
    registry.seen(ids[h], now, batch);
    health.observe(ids[h], batch);
    batches++;
  }
  const t1 = cpuMs();
  observeMs += t1 - t0;
  if (withTiles && s % TILE_EVERY_S === 0) {
    tileCount += health.unsortedTiles(now).length;
    tilesMs += cpuMs() - t1;
  }
}
const perBatch = (ms) => ((ms * 1e6) / batches).toFixed(1);
console.log(`hosts ${hosts}, ${PER} series each, ${seconds} s simulated (first ${WARMUP_S} s not counted)`);
console.log(`seen + observe: ${perBatch(observeMs)} ns CPU per batch`);
console.log(`tiles every ${TILE_EVERY_S} s: ${perBatch(tilesMs)} ns CPU per batch (${tileCount} tiles)`);
console.log(`fleet health in all: ${perBatch(observeMs + tilesMs)} ns CPU per batch`);
