#!/usr/bin/env node
/**
 * The SQLite store's writer thread on its own: CPU time per sample of
 * HistoryWriter.commit() fed a steady fleet's commits (issue 20).
 *
 *   node bench/history-writer.mjs [TREE] [--series 60000] [--seconds 200] [--prefill 1] [--hour-at S]
 *
 * TREE (default: this checkout) is a built tree whose dist/server/store is
 * measured, so two builds can be compared with the same input. The commits
 * are built beforehand, as the store's main thread builds them: every 100 ms
 * one tenth of the hosts' one-second batches (93 series a host) as log
 * entries, their agents' sequence numbers, the chunks of the heads that reach
 * their age (each series every 90 s, staggered), and the log trimmed to
 * 120 s back. The first 130 s of commits warm up; the rest are measured
 * (process CPU, user + system, on this one thread; and wall time).
 *
 * --prefill 1 first gives every series the rollup rows a server that has run
 * for days has (2 hours of minute rows, 100 hours of hour rows, all before the
 * first commit), so each series' newest rows sit on B-tree pages of their own
 * as in the steady state, not packed many series to a page as in a new file.
 * --hour-at S puts an hour boundary S seconds into the simulated time (by
 * default it is at 0, so no chunk of the run crosses one): at 100, nearly
 * every chunk of the measured part crosses it, the costliest case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const tree = path.resolve(args[0] && !args[0].startsWith('--') ? args[0] : '.');
const SERIES = opt('--series', 60_000);
const SECONDS = opt('--seconds', 200);
const PREFILL = opt('--prefill', 0) === 1;
const HOUR_AT = opt('--hour-at', 0);
const PER_HOST = 93;
const CHUNK_S = 90;
const load = (m) => import(pathToFileURL(path.join(tree, 'dist/server/store', m)).href);
const { HistoryWriter } = await load('history-writer.js');
const { openHistoryDb, prepareSchema } = await load('schema.js');
const { ChunkEncoder } = await load('chunk-codec.js');

const hosts = Math.ceil(SERIES / PER_HOST);
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 4 * 3_600_000 - HOUR_AT * 1000;
const value = (id, s) =>
  Math.round(100 * (50 + 40 * Math.sin(id + s / 30))) / 100 + (s % 7 === 0 ? 0 : 0.01 * (id % 3));

/** One commit of tick k (100 ms each). */
function commitAt(k, walIdBase) {
  const s = Math.floor(k / 10);
  const wal = [];
  const bytes = [];
  let at = 0;
  const seqs = [];
  const series = [];
  let samples = 0;
  if (k === 0)
    for (let id = 1; id <= SERIES; id++)
      series.push([
        id,
        `h${Math.floor(id / PER_HOST)}\u0000m${id % PER_HOST}`,
        `h${Math.floor(id / PER_HOST)}`,
        `m${id % PER_HOST}`,
        '{}',
      ]);
  for (let h = k % 10; h < hosts; h += 10) {
    const first = h * PER_HOST + 1;
    const last = Math.min(SERIES, first + PER_HOST - 1);
    const b = Buffer.alloc((last - first + 1) * 9);
    for (let id = first, i = 0; id <= last; id++, i++) {
      b[i * 9] = i === 0 ? 0 : 2; // the first id's step is patched below when it does not fit a byte
      b.writeDoubleLE(value(id, s), i * 9 + 1);
    }
    // The first id as a real varint step from 0.
    const lead = [];
    let z = 2 * first;
    while (z >= 0x80) (lead.push((z % 0x80) | 0x80), (z = Math.floor(z / 0x80)));
    lead.push(z);
    const row = Buffer.concat([Buffer.from(lead), b.subarray(1)]);
    wal.push(walIdBase + wal.length / 5, t0 + s * 1000, last - first + 1, at, at + row.length);
    bytes.push(row);
    at += row.length;
    samples += last - first + 1;
    seqs.push([`agent-${h}`, 'session-0123456789abcdef', s + 1]);
  }
  // Chunks: series id is sealed at ticks where (k + id * 7) % (CHUNK_S * 10) === 0, covering the 90 s before.
  const chunks = [];
  const chunkBytes = [];
  let cat = 0;
  if (s >= CHUNK_S)
    for (let id = 1; id <= SERIES; id++) {
      if ((k + id * 7) % (CHUNK_S * 10) !== 0) continue;
      const enc = new ChunkEncoder(512);
      for (let j = s - CHUNK_S; j < s; j++) enc.push(t0 + j * 1000, value(id, j));
      const c = enc.bytes();
      chunks.push(id, enc.firstTs, enc.lastTs, enc.count, cat, cat + c.length);
      chunkBytes.push(c);
      cat += c.length;
    }
  return {
    series,
    wal: new Float64Array(wal),
    walBytes: new Uint8Array(Buffer.concat(bytes)),
    chunks: new Float64Array(chunks),
    chunkBytes: new Uint8Array(Buffer.concat(chunkBytes)),
    seqs,
    samples,
    batches: wal.length / 5,
  };
}

/** Rollup rows of the hours before t0 for every series (see --prefill), written in one transaction by SQL. */
function prefill(db) {
  const hour0 = Math.floor(t0 / 3_600_000) * 3_600_000;
  const fill = (table, step, rows) =>
    db
      .prepare(
        `WITH RECURSIVE s(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM s WHERE id < ${SERIES}),
         k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${rows})
         INSERT INTO ${table} (series_id, ts, min, max, sum, count, last, last_ts)
         SELECT id, ${hour0} - i * ${step}, 10, 90, 50.0 * ${step / 1000}, ${step / 1000}, 50, ${hour0} - (i - 1) * ${step} - 1000 FROM s, k`,
      )
      .run();
  db.transaction(() => {
    fill('rollup_1m', 60_000, 120);
    fill('rollup_1h', 3_600_000, 100);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-writer-bench-'));
const db = openHistoryDb(path.join(dir, 'w.db'));
prepareSchema(db);
if (PREFILL) prefill(db);
const writer = new HistoryWriter(db, { rawMs: 48 * 3_600_000, minuteMs: 30 * 86_400_000, hourMs: 365 * 86_400_000 });
const ticks = SECONDS * 10;
// Measured once chunks are written and the log is trimmed (both from 120 s on), as in a server that has run a while.
const WARM_TICKS = 1300;
if (ticks <= WARM_TICKS + 100) throw new Error('--seconds must be over 140');
let walId = 1;
const walStart = [];
const commits = [];
for (let k = 0; k < ticks; k++) {
  const c = commitAt(k, walId);
  walStart.push(walId);
  walId += c.batches;
  commits.push(c);
}
let samples = 0;
let chunks = 0;
let cpu = null;
let wall = 0;
for (let k = 0; k < ticks; k++) {
  if (k === WARM_TICKS) {
    cpu = process.cpuUsage();
    wall = performance.now();
  }
  const c = commits[k];
  const trimWalBelow = k >= 1200 ? walStart[k - 1200] : 0;
  writer.commit({ ...c, seq: k + 1, trimWalBelow });
  if (cpu) {
    samples += c.samples;
    chunks += c.chunks.length / 6;
  }
}
const used = process.cpuUsage(cpu);
wall = performance.now() - wall;
db.close();
rmSync(dir, { recursive: true, force: true });
const cpuS = (used.user + used.system) / 1e6;
console.log(
  JSON.stringify({
    tree,
    series: SERIES,
    seconds: SECONDS,
    measuredSamples: samples,
    measuredChunks: chunks,
    cpuSeconds: +cpuS.toFixed(3),
    wallSeconds: +(wall / 1000).toFixed(3),
    cpuSecondsPerMillionSamples: +((cpuS / samples) * 1e6).toFixed(4),
  }),
);
