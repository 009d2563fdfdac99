// Server ingestion side by side: a `tidemark server` (its default SQLite store, fed over the agent protocol)
// and VictoriaMetrics (fed over Prometheus remote write) get the same samples from the same load generator
// (bench/ingest-load.mjs: hosts of 93 series at 1 s, the shape of `tidemark simulate`), one target after the
// other at each step of a ladder of host counts, each on a loopback port and temp directory of its own.
// Per target and step: samples/s offered and kept, server CPU (% of one core, all threads and child
// processes), RSS and bytes per active series, delivery latency (Tidemark: sample timestamp -> dashboard
// WebSocket; VictoriaMetrics: sample timestamp -> first seen by /api/v1/query, polled), generator CPU.
// Usage: node bench/ingest-peers.mjs [--hosts 1000,2000,4000,6000,8000,10000] [--reps 3] [--measure 30]
//   [--warmup 60] [--targets tidemark,vm] [--tidemark-dir DIR] [--snappy literal|snappyjs] [--pin-generator CPU]
//   [--from FILE]   (prints the tables of an earlier run's output, e.g. one stopped before the end)
//   (run `npm run build` first; needs the Debian package victoria-metrics; Tidemark's hosts speak protocol 3,
//   the agent's binary batches, or protocol 2 with TIDEMARK_BENCH_PROTOCOL=2 in the environment)
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, generatorHandle, machine, arg, numberArg, summary, fmt } from './lib.mjs';
import { hostId } from './ingest-frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ladder = arg('hosts', '1000,2000,4000,6000,8000,10000').split(',').map(Number);
const reps = numberArg('reps', 3);
const measureS = numberArg('measure', 30);
const warmupS = numberArg('warmup', 60);
const tidemarkDir = path.resolve(arg('tidemark-dir', path.join(here, '..')));
const snappy = arg('snappy', 'literal');
const pinCpu = arg('pin-generator', null);
const LAUNCHER = path.join(tidemarkDir, 'bin', 'tidemark');
const WATCHED = 100; // Tidemark: hosts the dashboard client subscribes to
const POLLED = 10; // VictoriaMetrics: hosts whose newest sample is polled
const POLL_MS = 200;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of a process and its descendants (all threads: /proc/PID/stat counts them), and its RSS in MB. */
function procTree(pid) {
  let cpuS = 0;
  let rssMB = 0;
  const visit = (p, top) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      cpuS += (Number(stat[11]) + Number(stat[12])) / 100;
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      if (top) rssMB = rss;
      else rssMB += rss;
      for (const t of readdirSync(`/proc/${p}/task`))
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean))
          visit(Number(c), false);
    } catch {
      // exited between reads
    }
  };
  visit(pid, true);
  return { cpuS, rssMB };
}

/** Share of the last minute some task waited for a CPU (/proc/pressure/cpu), %: how contended the machine was. */
function cpuPressure() {
  try {
    return Number(/some avg10=[\d.]+ avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return NaN;
  }
}

async function waitUntil(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A busy target gets `tries` of 20 s each: the machine is shared. */
async function getText(url, tries = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(url, { signal: AbortSignal.timeout(20_000) })).text();
    } catch (err) {
      if (attempt === tries)
        throw new Error(`${url} did not answer: ${err.cause?.message ?? err.message}`, { cause: err });
    }
  }
}
const getJson = async (url, tries = 3) => JSON.parse(await getText(url, tries));

/** The generator process (pinned to one CPU with taskset if asked), resolved once its hosts are sending. */
function startGenerator(target, base, hosts) {
  const script = path.join(here, 'ingest-load.mjs');
  const args = [target, base, String(hosts), snappy];
  const child = pinCpu
    ? spawn('taskset', ['-c', pinCpu, process.execPath, script, ...args], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return generatorHandle(child);
}

/** Tidemark: the server's own counters; latency seen by a dashboard client watching WATCHED hosts. */
async function tidemarkTarget(dir, port) {
  const base = `http://127.0.0.1:${port}`;
  const log = openSync(path.join(dir, 'server.log'), 'a');
  const proc = spawn(
    // Through the tree's launcher, as `npm start` runs it (its malloc settings; an older tree's runs node alone).
    LAUNCHER,
    // Every agent connects from 127.0.0.1: the per-address bound (10 000 by default) must leave room for the fleet.
    [
      'server',
      '--port',
      String(port),
      '--token',
      't',
      '--data-dir',
      dir,
      '--log-level',
      'warn',
      '--max-connections-per-address',
      '100000',
      // A million samples a second at 1 s is more than a million series: the default bound (1 000 000) would
      // refuse the newest hosts' series (the ladders before session 28 lost 2 % of the 11 000-host step so).
      '--max-series',
      '4000000',
    ],
    { stdio: ['ignore', log, log] },
  );
  await waitUntil(async () => (await fetch(`${base}/healthz`)).ok, 30_000, 'tidemark server');
  return {
    proc,
    base,
    kept: async () => {
      const h = await getJson(`${base}/healthz`, 1);
      return { kept: h.ingested.samples, persisted: h.persistedSamples, connected: h.agentsConnected };
    },
    watch(hosts, latencies, measuring) {
      const watched = Array.from({ length: Math.min(hosts, WATCHED) }, (_, i) =>
        hostId(Math.floor((i * hosts) / Math.min(hosts, WATCHED))),
      );
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
      ws.on('error', () => latencies.push(NaN)); // a dropped watcher shows as a NaN, not a crash
      ws.on('open', () =>
        ws.send(JSON.stringify({ type: 'subscribe', hosts: watched, metrics: ['disk_util_percent'] })),
      );
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (measuring() && m.type === 'samples') latencies.push(Date.now() - m.ts);
      });
      return () => ws.close();
    },
  };
}

/** One counter of VictoriaMetrics' /metrics text (first line that starts with `name`). */
function metric(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** VictoriaMetrics: rows added to storage from /metrics; latency as when a polled series' newest sample shows up. */
async function vmTarget(dir, port) {
  const base = `http://127.0.0.1:${port}`;
  const log = openSync(path.join(dir, 'vm.log'), 'a');
  const proc = spawn(
    'victoria-metrics',
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${path.join(dir, 'vm')}`,
      '-retentionPeriod=1d',
      // Queries see samples as soon as they are searchable, not 30 s later, and answers are not cached.
      '-search.latencyOffset=0s',
      '-search.disableCache',
    ],
    { stdio: ['ignore', log, log] },
  );
  await waitUntil(async () => (await fetch(`${base}/health`)).ok, 30_000, 'victoria-metrics');
  return {
    proc,
    base,
    kept: async () => {
      const text = await getText(`${base}/metrics`, 1);
      const kept = metric(text, 'vm_rows_added_to_storage_total');
      return { kept, persisted: kept, connected: NaN };
    },
    watch(hosts, latencies, measuring) {
      const polled = Array.from({ length: Math.min(hosts, POLLED) }, (_, i) =>
        hostId(Math.floor((i * hosts) / Math.min(hosts, POLLED))),
      );
      const q = `tlast_over_time(tidemark_disk_util_percent{device="sda",host=~"${polled.join('|')}"}[1m])`;
      const newest = new Map();
      let stopped = false;
      (async () => {
        while (!stopped) {
          const started = Date.now();
          try {
            const r = await getJson(`${base}/api/v1/query?query=${encodeURIComponent(q)}`, 1);
            const now = Date.now();
            for (const s of r.data?.result ?? []) {
              const ts = Math.round(Number(s.value[1]) * 1000);
              const before = newest.get(s.metric.host);
              if (before !== undefined && ts > before && measuring()) latencies.push(now - ts);
              newest.set(s.metric.host, ts);
            }
          } catch {
            // a slow answer is a gap in the samples, not a failed run
          }
          await sleep(Math.max(0, POLL_MS - (Date.now() - started)));
        }
      })();
      return () => (stopped = true);
    },
  };
}

/**
 * The target's counters and when they were read; NaN if it did not answer in time (a Tidemark server far
 * behind serves /healthz only after its backlog of frames: the generator's acks still count what it stored).
 */
async function counters(t) {
  try {
    return { ...(await t.kept()), at: Date.now() };
  } catch {
    return { kept: NaN, persisted: NaN, connected: NaN, at: Date.now() };
  }
}

/** One target at one step: start it, feed it, warm up, measure, stop it. */
async function runOne(name, hosts) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ingest-peers-${name}-`));
  const port = await freePort();
  const t = name === 'tidemark' ? await tidemarkTarget(dir, port) : await vmTarget(dir, port);
  const idleRssMB = procTree(t.proc.pid).rssMB;
  const gen = startGenerator(name === 'tidemark' ? 'tidemark' : 'vm', t.base, hosts);
  const latencies = [];
  let measuring = false;
  let failed = false;
  const unwatch = t.watch(hosts, latencies, () => measuring);
  try {
    const ready = /** @type {any} */ (await gen.ready);
    await sleep(warmupS * 1000);
    // The generator and /proc first, at the same instant; the target's own counters after, timed by their answer.
    const [g0, p0, q0, start, load0] = [
      await gen.stats(),
      procTree(t.proc.pid),
      procTree(gen.child.pid),
      Date.now(),
      os.loadavg()[0],
    ];
    const k0 = await counters(t);
    measuring = true;
    await sleep(measureS * 1000);
    measuring = false;
    const [g1, p1, q1, dt] = [
      await gen.stats(),
      procTree(t.proc.pid),
      procTree(gen.child.pid),
      (Date.now() - start) / 1000,
    ];
    const k1 = await counters(t);
    const dk = (k1.at - k0.at) / 1000;
    if (t.proc.exitCode !== null) throw new Error(`${name} exited during the run; logs in ${dir}`);
    const series = hosts * ready.perHost;
    const lat = summary(latencies);
    return {
      target: name,
      hosts,
      series,
      offeredPerS: (g1.generated - g0.generated) / dt,
      sentPerS: (g1.sent - g0.sent) / dt,
      droppedByGeneratorPerS: (g1.dropped - g0.dropped) / dt,
      ackedPerS: (g1.acked - g0.acked) / dt,
      keptPerS: (k1.kept - k0.kept) / dk,
      persistedPerS: (k1.persisted - k0.persisted) / dk,
      cpuPercent: (100 * (p1.cpuS - p0.cpuS)) / dt,
      rssMB: p1.rssMB,
      idleRssMB,
      latencyMs: { p50: lat.median, p99: lat.p99, n: lat.n },
      generatorCpuPercent: (100 * (q1.cpuS - q0.cpuS)) / dt,
      generatorErrors: g1.errors,
      generatorLastError: g1.lastError || undefined,
      generatorMaxLagMs: g1.maxLagMs,
      load: [load0, os.loadavg()[0]],
      cpuPressureSome60: cpuPressure(),
    };
  } catch (err) {
    failed = true; // its logs are kept
    return { target: name, hosts, failed: `${err.message}; logs in ${dir}` };
  } finally {
    unwatch();
    gen.child.kill('SIGKILL');
    t.proc.kill('SIGKILL');
    await new Promise((r) => (t.proc.exitCode !== null ? r(undefined) : t.proc.once('exit', r)));
    if (!failed) rmSync(dir, { recursive: true, force: true });
    await sleep(1000);
  }
}

const TARGETS = arg('targets', 'tidemark,vm').split(',');
const fromFile = arg('from', null);
/** One object per rep, step and target; with --from FILE, those of an earlier run's output (its JSON lines). */
const results = fromFile
  ? readFileSync(fromFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"rep"'))
      .map((l) => JSON.parse(l))
  : [];
if (!fromFile) {
  console.log(
    `# ingest-peers: hosts ${ladder.join(',')}, ${reps} reps, ${warmupS} s warm-up + ${measureS} s per target and step, ` +
      `remote-write snappy ${snappy}, generator ${pinCpu ? `pinned to CPU ${pinCpu}` : 'not pinned'}, tidemark ${tidemarkDir}`,
  );
  console.log(
    `# ${machine()}, load average at start ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (let rep = 0; rep < reps; rep++)
    for (const hosts of ladder)
      for (const target of TARGETS) {
        const r = await runOne(target, hosts);
        console.log(JSON.stringify({ rep, ...r }));
        results.push({ rep, ...r });
      }
}

const ok = results.filter((r) => !r.failed);
const range = (vals, digits = 0) => {
  const s = summary(vals.filter(Number.isFinite));
  if (s.n === 0) return '–';
  if (s.n === 1) return fmt(s.min, digits);
  // Two reps have no median worth the name: their range.
  if (s.n === 2) return `${fmt(s.min, digits)}–${fmt(s.max, digits)}`;
  return `${fmt(s.min, digits)} / ${fmt(s.median, digits)} / ${fmt(s.max, digits)}`;
};
/** Kept: the target's own counter; Tidemark's acks where its /healthz did not answer in time. */
const kept = (r) => (Number.isFinite(r.keptPerS) ? r.keptPerS : r.ackedPerS);
const cpuPerSample = (r) => (1e6 * r.cpuPercent) / 100 / kept(r); // CPU µs per kept sample
const bytesPerSeries = (r) => (r.rssMB * 2 ** 20) / r.series;
const label = (target) => (target === 'vm' ? 'VictoriaMetrics' : 'Tidemark');

console.log(`\n(min / median / max over the reps that completed: ${new Set(results.map((r) => r.rep)).size})\n`);
console.log(
  '| hosts | target | offered samples/s | acked | kept | server CPU % | CPU µs per sample | RSS MB | bytes per series | p50 / p99 delivery ms | generator CPU % | load avg |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const hosts of ladder)
  for (const target of TARGETS) {
    const rs = ok.filter((r) => r.hosts === hosts && r.target === target);
    if (!rs.length) continue;
    const cells = [
      range(rs.map((r) => r.offeredPerS)),
      range(rs.map((r) => r.ackedPerS)),
      range(rs.map((r) => r.keptPerS)),
      range(rs.map((r) => r.cpuPercent)),
      range(rs.map(cpuPerSample), 2),
      range(rs.map((r) => r.rssMB)),
      range(rs.map(bytesPerSeries)),
      `${range(rs.map((r) => r.latencyMs.p50))} / ${range(rs.map((r) => r.latencyMs.p99))}`,
      range(rs.map((r) => r.generatorCpuPercent)),
      range(
        rs.flatMap((r) => r.load),
        1,
      ),
    ];
    console.log(`| ${hosts} | ${label(target)} | ${cells.join(' | ')} |`);
  }

console.log('\nTidemark ÷ VictoriaMetrics, per rep (min / median / max)\n');
console.log('| hosts | kept | CPU per sample | memory per series |');
console.log('| --- | --- | --- | --- |');
for (const hosts of ladder) {
  const pairs = [];
  for (const rep of new Set(results.map((r) => r.rep))) {
    const tm = ok.find((r) => r.rep === rep && r.hosts === hosts && r.target === 'tidemark');
    const vm = ok.find((r) => r.rep === rep && r.hosts === hosts && r.target === 'vm');
    if (tm && vm) pairs.push([tm, vm]);
  }
  if (!pairs.length) continue;
  const ratio = (f) =>
    range(
      pairs.map(([a, b]) => f(a) / f(b)),
      2,
    );
  console.log(`| ${hosts} | ${ratio(kept)} | ${ratio(cpuPerSample)} | ${ratio(bytesPerSeries)} |`);
}
for (const r of results.filter((x) => x.failed))
  console.log(`failed: rep ${r.rep} ${label(r.target)} ${r.hosts} hosts: ${r.failed}`);
