// History query latency: 24 h of 1 s data (86 400 points per series, 12 series of one host)
// in the SQLite store, then the series API's queries for 24 h, 6 h, 1 h and 15 min.
// Usage: node bench/history-query.mjs [runs]   (run `npm run build` first)
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../dist/server/store/sqlite.js';
import { machine, summary, fmt } from './lib.mjs';

const runs = Number(process.argv[2] ?? 30);
const store = new SqliteStore({ file: path.join(mkdtempSync(path.join(os.tmpdir(), 'tidemark-hq-')), 'h.db') });
const now = Date.now();
const start = now - 24 * 3_600_000;
const devices = ['sda', 'sdb', 'sdc', 'sdd'];
const metrics = ['disk_util_percent', 'disk_aqu_sz', 'disk_w_await_ms'];
const loadStart = performance.now();
const ids = metrics.flatMap((m) => devices.map((device) => store.seriesId('db1', m, { device })));
for (let ts = start; ts <= now; ts += 1000) {
  const v = Math.abs(Math.sin(ts / 600_000)) * 100;
  store.appendValues(
    ts,
    ids,
    ids.map(() => v),
  );
}
store.flush();
await store.whenDurable(); // the writer thread has written it all, so queries do not race the load
const loadS = (performance.now() - loadStart) / 1000;
const results = {};
for (const [label, range] of /** @type {[string, number][]} */ ([
  ['24h', 24 * 3_600_000],
  ['6h', 6 * 3_600_000],
  ['1h', 3_600_000],
  ['15m', 900_000],
])) {
  const times = [];
  let points = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = store.query({ host: 'db1', metric: 'disk_util_percent', from: now - range, to: now });
    times.push(performance.now() - t);
    points = r.reduce((n, s) => n + s.points.length, 0);
  }
  results[label] = { ...summary(times), points, series: devices.length };
}
console.log(
  JSON.stringify({
    figure: 'history query latency',
    samplesLoaded: 86_401 * 12,
    loadSeconds: loadS,
    results,
    machine: machine(),
  }),
);
for (const [label, r] of Object.entries(results)) {
  console.log(
    `${label} range, ${r.series} series (${r.points} points): median ${fmt(r.median, 2)} ms, p90 ${fmt(r.p90, 2)} ms, range ${fmt(r.min, 2)}–${fmt(r.max, 2)} ms`,
  );
}
console.log(
  `loaded ${86_401 * 12} samples in ${fmt(loadS)} s (${fmt((86_401 * 12) / loadS, 0)} samples/s, chunks and rollups included)`,
);
await store.close();
