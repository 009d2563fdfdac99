// What a decoded batch's collector statuses and states cost the server after decode, against the decode
// itself: N hosts of the ladder's shape (bench/ingest-frames.mjs: 93 values, the agent's collector statuses,
// raid and mongod states every second), one batch per host and simulated second, each decoded by the
// server's decoder in the host's own session table, then recorded in the host registry (HostRegistry.seen:
// last-seen, statuses, states) and fleet health (FleetHealth.observe). CPU time of this process per batch,
// in three parts. The mongod's uptime rises every second, as a live one's does; with --steady it stays put
// (every frame's extras the same bytes, as a host without a live mongod sends them).
// Then HostRegistry.seen alone (no decode between its calls to leave garbage it would be charged for): 4 s of
// batches decoded beforehand, recorded 20 times over; the median. With node --expose-gc, also the heap bytes HostRegistry.seen allocates per batch (one more second, after a GC).
// Usage: node [--expose-gc] bench/states-downstream.mjs [DIST] [hosts] [seconds] [--steady]   (DIST: a build's dist)
import path from 'node:path';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { BinaryBatch, FleetValues, hostId, hostShape } from './ingest-frames.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const dist = path.resolve(args[0] ?? new URL('../dist', import.meta.url).pathname);
const hosts = Number(args[1] ?? 5000);
const seconds = Number(args[2] ?? 60);
const steady = process.argv.includes('--steady');
const WARMUP_S = 15;
const load = (/** @type {string} */ p) => import(pathToFileURL(path.join(dist, p)).href);
const { SessionSeries } = await load('server/agent-frames.js');
const { decodeBinaryFrame } = await load('server/agent-binary-frames.js');
const { HostRegistry } = await load('server/hosts.js');
const { FleetHealth } = await load('server/fleet-health.js');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const { table, levels, extras } = hostShape();
const fleet = new FleetValues(hosts, levels);
const registry = new HostRegistry();
let now = 1_700_000_000_000;
const health = new FleetHealth(registry, () => now);
const ids = Array.from({ length: hosts }, (_, i) => hostId(i));
const sessions = ids.map((id) => {
  registry.connected({ type: 'hello', protocol: 3, agentId: id, session: 's', hostname: id, agentVersion: 'b' }, now);
  const t = new SessionSeries();
  t.reset(table);
  return t;
});
// One frame laid out once, patched per host as the ladder's generator does; --steady: the uptime is never patched.
const frame = new BinaryBatch(table.length, extras);
if (steady) frame.uptimeAt = -1;
const batches = new Array(hosts);
const ms = { decode: 0, seen: 0, observe: 0 };
let counted = 0;
for (let s = 1; s <= seconds; s++) {
  if (s === WARMUP_S + 1) [ms.decode, ms.seen, ms.observe, counted] = [0, 0, 0, 0];
  now += 1000;
  for (let i = 0; i < hosts; i++) fleet.step(i);
  const t0 = cpuMs();
  for (let i = 0; i < hosts; i++) {
    const r = decodeBinaryFrame(frame.patch(s, now - 500, fleet.bytesOf(i)), sessions[i]);
    if (!r.ok) throw new Error(r.message);
    batches[i] = r.value;
  }
  const t1 = cpuMs();
  for (let i = 0; i < hosts; i++) registry.seen(ids[i], now, batches[i]);
  const t2 = cpuMs();
  for (let i = 0; i < hosts; i++) health.observe(ids[i], batches[i]);
  const t3 = cpuMs();
  ms.decode += t1 - t0;
  ms.seen += t2 - t1;
  ms.observe += t3 - t2;
  counted += hosts;
}
const ns = (x) => ((x * 1e6) / counted).toFixed(0).padStart(6);
console.log(
  `${hosts} hosts, ${seconds} s (first ${WARMUP_S} not counted), extras ${steady ? 'steady' : 'live mongod'}`,
);
console.log(`decode         ${ns(ms.decode)} ns CPU per batch`);
console.log(`registry seen  ${ns(ms.seen)} ns CPU per batch`);
console.log(`fleet observe  ${ns(ms.observe)} ns CPU per batch`);

/** @type {(() => void) | undefined} */
const gc = /** @type {any} */ (globalThis).gc;
if (gc) {
  now += 1000;
  for (let i = 0; i < hosts; i++)
    batches[i] = decodeBinaryFrame(frame.patch(seconds + 1, now, fleet.bytesOf(i)), sessions[i]).value;
  gc();
  const before = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < hosts; i++) registry.seen(ids[i], now, batches[i]);
  const bytes = (v8.getHeapStatistics().used_heap_size - before) / hosts;
  console.log(`registry seen  ${bytes.toFixed(0).padStart(6)} heap bytes allocated per batch`);
}

// The registry alone: its own allocations are then the only garbage its loop collects.
const held = [];
for (let s = 0; s < 4; s++) {
  now += 1000;
  held.push(
    ids.map((_, i) => decodeBinaryFrame(frame.patch(seconds + 2 + s, now, fleet.bytesOf(i)), sessions[i]).value),
  );
}
const alone = [];
for (let rep = 0; rep < 20; rep++) {
  const t0 = cpuMs();
  for (const second of held) for (let i = 0; i < hosts; i++) registry.seen(ids[i], now, second[i]);
  alone.push((cpuMs() - t0) / (held.length * hosts));
}
alone.sort((a, b) => a - b);
console.log(`registry seen alone ${(alone[10] * 1e6).toFixed(0).padStart(6)} ns CPU per batch (median of 20)`);
