// The server's decoding of protocol-3 batch frames on its own: CPU time per frame for a simulated host's
// 93 values in table order, (1) with no extras, (2) with the md array and mongod states, (3) with collector
// statuses and those states (what an agent sends every second), (4) as (3) with a mongod state carrying real
// gauges (a recorded mongod 4.2.8 serverStatus) whose uptimeMs rises 1000 per frame, as a live mongod's does:
// extras no two frames share. Rows 1-3 get the same extras frame after frame, as an agent in the steady
// state sends them. Usage:
//   node bench/decode-frames.mjs [DIST] [FRAMES]   (DIST: a build's dist directory, default this tree's)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.argv[2] ?? new URL('../dist', import.meta.url).pathname);
const frames = Number(process.argv[3] ?? 200_000);
const load = (/** @type {string} */ p) => import(pathToFileURL(path.join(dist, p)).href);
const { SessionSeries } = await load('server/agent-frames.js');
const { decodeBinaryFrame } = await load('server/agent-binary-frames.js');
const { writeBinaryBatch } = await load('shared/wire-binary.js');
const { SimulatedHost } = await load('agent/simulator.js');
const { silentLogger } = await load('shared/log.js');
const { parseRecordedReply } = await load('agent/mongod/ejson.js');
const { gauges } = await load('agent/mongod/server-status.js');

// A host outside the simulator's episodes; its first sample carries the states.
const sim = new SimulatedHost(1, 'shape', 'ws://127.0.0.1:9', 't', silentLogger);
const { samples, states } = sim.sample(60_000);
const table = samples.map((s) => (s.l ? [s.m, { ...s.l }] : [s.m]));
const values = Float64Array.from(samples, (s) => s.v ?? 0);
const collectors = ['cpu', 'disks', 'raid', 'pressure', 'mongod'].map((name) => ({ name, state: 'ok' }));
const diagnostic = new URL('../test/fixtures/mongo/4.2.8-wiredtiger/getDiagnosticData.json', import.meta.url);
const realGauges = gauges(parseRecordedReply(fs.readFileSync(diagnostic, 'utf8')).serverStatus);
/** The extras of frame `seq` in row 4: the mongod state's uptime one second on. */
const risingUptime = (/** @type {number} */ seq) => ({
  collectors,
  stateKinds: ['raid_array', 'mongod'],
  states: states.map((s) =>
    s.kind === 'mongod' ? { ...s, value: { ...s.value, gauges: { ...realGauges, uptimeMs: 1000 * seq } } } : s,
  ),
});
const kinds = {
  'no extras': null,
  states: { stateKinds: ['raid_array', 'mongod'], states },
  'collectors and states': { collectors, stateKinds: ['raid_array', 'mongod'], states },
  'mongod uptime rising': risingUptime,
};

/** CPU µs per frame decoding `n` frames of one session; `extras` a function: each frame's own (written beforehand). */
function perFrame(extras, n) {
  const write = (/** @type {unknown} */ x) => writeBinaryBatch(1, 1_700_000_000_000, values, values.length, null, x);
  const same = typeof extras === 'function' ? null : write(extras);
  // At most 1000 distinct frames, written before the clock starts; each still differs from the one before.
  const distinct = same ? [] : Array.from({ length: Math.min(n, 1000) }, (_, i) => write(extras(i + 1)));
  const t = new SessionSeries();
  t.reset(table);
  const start = process.cpuUsage();
  for (let seq = 1; seq <= n; seq++) {
    const frame = same ?? distinct[seq % distinct.length];
    frame.writeDoubleLE(seq, 8);
    const r = decodeBinaryFrame(frame, t);
    if (!r.ok) throw new Error(r.message);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

for (const [name, extras] of Object.entries(kinds)) {
  perFrame(extras, 20_000); // warm-up
  const runs = [0, 1, 2].map(() => perFrame(extras, frames));
  const median = runs.sort((a, b) => a - b)[1];
  console.log(`${name.padEnd(22)} ${(median * 1000).toFixed(0).padStart(6)} ns/frame (median of 3 × ${frames})`);
}
