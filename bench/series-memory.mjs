// Memory per active series: a `tidemark server` (its default SQLite store and shipped rules, fed over the agent
// protocol) and VictoriaMetrics (fed over Prometheus remote write) get the same fleet from the load generator
// of bench/ingest-peers.mjs (bench/ingest-load.mjs: hosts of 93 series at 1 s), at a few fleet sizes, one
// target at a time. Per target and size: RSS in steady state (median of readings 2 s apart, after a warm-up
// past Tidemark's chunk sealing, 60–120 s after a series starts), and for Tidemark its V8 heap after a full
// collection and its array buffers (bench/memory-probe.mjs, preloaded). Memory per series is the slope of a
// least-squares line through (series, bytes) over the sizes, so what a server holds whatever its fleet (code,
// caches of fixed size) does not count.
// Usage: node bench/series-memory.mjs [--hosts 200,1000,2000] [--reps 1] [--warmup 150] [--measure 20]
//   [--targets tidemark,vm] [--tidemark-dir DIR] [--snapshots DIR]   (heap snapshots of Tidemark at each size)
//   [--from FILE,FILE]   (prints the tables of earlier runs' output; give --hosts and --targets to match)
//   [--server-env K=V,K=V]   (added to Tidemark's environment, e.g. MALLOC_ARENA_MAX=2)
//   [--node-flags "--flag --flag"]   (Node/V8 flags NODE_OPTIONS takes, for Tidemark's node, e.g. --max-semi-space-size=4)
//   (run `npm run build` first; needs the Debian package victoria-metrics)
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, freePort, generatorHandle, machine, arg, numberArg, procStats, summary, waitHealthy } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sizes = arg('hosts', '200,1000,2000').split(',').map(Number);
const reps = numberArg('reps', 1);
const warmupS = numberArg('warmup', 150);
const measureS = numberArg('measure', 20);
const targets = arg('targets', 'tidemark,vm').split(',');
const tidemarkDir = path.resolve(arg('tidemark-dir', path.join(here, '..')));
const snapshots = arg('snapshots', null);
const serverEnv = Object.fromEntries(
  (arg('server-env', '') || '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const nodeFlags = (arg('node-flags', '') || '').split(' ').filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MB = 2 ** 20;

/** A process's resident set in bytes (all its threads), from /proc; NaN once it has exited. */
function rssOf(pid) {
  try {
    return 1024 * Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return NaN;
  }
}

/** Tidemark's server with the probe preloaded: SIGUSR2 → a full collection and its figures in `probeFile`. */
async function startTidemark(dir) {
  const port = await freePort();
  const log = openSync(path.join(dir, 'server.log'), 'a');
  const probeFile = path.join(dir, 'probe.jsonl');
  // Started the way a user starts it, by the checkout's launcher (with whatever settings it gives the server);
  // the probe and any --node-flags come in through NODE_OPTIONS.
  const proc = spawn(
    path.join(tidemarkDir, 'bin', 'tidemark'),
    [
      'server',
      ...['--port', String(port), '--token', 't', '--data-dir', dir, '--log-level', 'warn'],
      // Every agent connects from 127.0.0.1: the per-address bound must leave room for the fleet.
      ...['--max-connections-per-address', '100000'],
    ],
    {
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        ...serverEnv,
        NODE_OPTIONS: [`--import=${path.join(here, 'memory-probe.mjs')}`, ...nodeFlags].join(' '),
        MEMORY_PROBE_FILE: probeFile,
        MEMORY_PROBE_GC_WINDOW_S: String(measureS),
        ...(snapshots ? { MEMORY_PROBE_SNAPSHOT_DIR: snapshots } : {}),
      },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base);
  return { proc, base, probeFile };
}

async function startVm(dir) {
  const port = await freePort();
  const log = openSync(path.join(dir, 'vm.log'), 'a');
  const proc = spawn(
    'victoria-metrics',
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${path.join(dir, 'vm')}`, '-retentionPeriod=1d'],
    { stdio: ['ignore', log, log] },
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('victoria-metrics did not start');
    await sleep(100);
  }
  return { proc, base, probeFile: null };
}

/** The generator, resolved with its first message once every host is sending; `stats()` asks for its counters. */
function startGenerator(target, base, hosts) {
  const child = fork(path.join(here, 'ingest-load.mjs'), [target, base, String(hosts), 'literal'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return generatorHandle(child);
}

/** Tidemark's probe: a full collection, then its figures (null if it did not answer in a minute). */
async function probe(pid, probeFile) {
  const lines = () => (existsSync(probeFile) ? readFileSync(probeFile, 'utf8').split('\n').filter(Boolean) : []);
  const before = lines().length;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    const all = lines();
    if (all.length > before) return JSON.parse(all[all.length - 1]);
    await sleep(100);
  }
  return null;
}

async function runOne(target, hosts) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `series-memory-${target}-`));
  const t = target === 'tidemark' ? await startTidemark(dir) : await startVm(dir);
  const gen = startGenerator(target, t.base, hosts);
  let failed = false;
  try {
    const ready = /** @type {any} */ (await gen.ready);
    await sleep(warmupS * 1000);
    const g0 = /** @type {any} */ (await gen.stats());
    const load0 = os.loadavg()[0];
    const rss = [];
    const cpu0 = procStats(t.proc.pid);
    const start = Date.now();
    while (Date.now() - start < measureS * 1000) {
      rss.push(rssOf(t.proc.pid));
      await sleep(2000);
    }
    const g1 = /** @type {any} */ (await gen.stats());
    const cpu1 = procStats(t.proc.pid);
    const elapsedS = (Date.now() - start) / 1000;
    if (t.proc.exitCode !== null) throw new Error(`${target} exited during the run; logs in ${dir}`);
    const p = t.probeFile ? await probe(t.proc.pid, t.probeFile) : null;
    return {
      target,
      hosts,
      series: hosts * ready.perHost,
      rss: summary(rss).median,
      heapLive: p?.after.heapUsed ?? NaN,
      arrayBuffers: p?.after.arrayBuffers ?? NaN,
      external: p?.after.external ?? NaN,
      heapBeforeGc: p?.before.heapUsed ?? NaN,
      heapTotal: p?.before.heapTotal ?? NaN,
      // The history writer thread's isolate (the probe's answer from inside it), and RSS by kind of mapping.
      writerHeapTotal: p?.workers?.[0]?.before.heapTotal ?? NaN,
      writerHeapLive: p?.workers?.[0]?.after.heapUsed ?? NaN,
      writerArrayBuffers: p?.workers?.[0]?.after.arrayBuffers ?? NaN,
      mappings: p?.mappings,
      spaces: p?.before.spaces,
      // Whether the target kept up: a server behind holds a backlog that is not per-series memory.
      ackedShare: (g1.acked - g0.acked) / (g1.generated - g0.generated),
      load: [load0, os.loadavg()[0]],
      // CPU seconds per second over the measurement, all threads: what a memory setting costs in CPU.
      cpu: cpu0 && cpu1 ? (cpu1.cpuS - cpu0.cpuS) / elapsedS : NaN,
      snapshot: p?.snapshot ?? undefined,
      // The main thread's garbage-collection pauses over the measurement, by kind (bench/memory-probe.mjs).
      gc: p?.gc,
    };
  } catch (err) {
    failed = true;
    return { target, hosts, failed: `${err.message}; logs in ${dir}` };
  } finally {
    gen.child.kill('SIGKILL');
    t.proc.kill('SIGKILL');
    await new Promise((r) => (t.proc.exitCode !== null ? r(undefined) : t.proc.once('exit', r)));
    if (!failed) rmSync(dir, { recursive: true, force: true });
    await sleep(1000);
  }
}

/** Least-squares slope of y over x: bytes per series. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

console.log(
  `# series-memory: hosts ${sizes.join(',')} × 93 series, ${reps} rep(s), ${warmupS} s warm-up + ${measureS} s, targets ${targets.join(',')}, tidemark ${tidemarkDir}`,
);
console.log(
  `# ${machine()}, load average at start ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const fromFile = arg('from', null);
/** One object per rep, size and target; with --from FILE, those of earlier runs' output (their JSON lines). */
const results = fromFile
  ? fromFile
      .split(',')
      .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
      .filter((l) => l.startsWith('{"rep"'))
      .map((l) => JSON.parse(l))
  : [];
for (let rep = 0; rep < (fromFile ? 0 : reps); rep++)
  for (const hosts of sizes)
    for (const target of targets) {
      const r = { rep, ...(await runOne(target, hosts)) };
      console.log(JSON.stringify(r));
      results.push(r);
    }

// JSON has no NaN: figures a target does not have (VictoriaMetrics' heap) come back from --from as null.
for (const r of results)
  for (const k of ['heapLive', 'heapTotal', 'arrayBuffers', 'external', 'heapBeforeGc']) r[k] ??= NaN;
const ok = results.filter((r) => !r.failed);
const range = (vals, digits = 0) => {
  const s = summary(vals.filter(Number.isFinite));
  if (s.n === 0) return '–';
  if (s.n === 1) return fmt(s.min, digits);
  return `${fmt(s.min, digits)} / ${fmt(s.median, digits)} / ${fmt(s.max, digits)}`;
};
/** What RSS holds besides V8's heap and array buffers: SQLite's page caches, the writer thread, code. */
const rest = (r) => r.rss - r.heapTotal - r.arrayBuffers;
console.log(
  '\n| hosts | series | target | RSS MB | V8 heap total MB | V8 heap live MB | array buffers MB | rest MB | acked ÷ offered | load avg |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const hosts of sizes)
  for (const target of targets) {
    const rs = ok.filter((r) => r.hosts === hosts && r.target === target);
    if (!rs.length) continue;
    const mb = (f) => range(rs.map((r) => f(r) / MB));
    const cells = [
      mb((r) => r.rss),
      mb((r) => r.heapTotal),
      mb((r) => r.heapLive),
      mb((r) => r.arrayBuffers),
      mb(rest),
      range(
        rs.map((r) => r.ackedShare),
        3,
      ),
      range(
        rs.flatMap((r) => r.load),
        1,
      ),
    ];
    console.log(`| ${hosts} | ${rs[0].series} | ${target} | ${cells.join(' | ')} |`);
  }

console.log('\nBytes per active series: slope of a least-squares line over the sizes, per rep (min / median / max)\n');
console.log('| target | RSS | V8 heap total | V8 heap live | array buffers | rest |');
console.log('| --- | --- | --- | --- | --- | --- |');
const slopes = {};
for (const target of targets) {
  const per = (f) =>
    [...new Set(ok.map((r) => r.rep))].map((rep) =>
      slope(ok.filter((r) => r.rep === rep && r.target === target).map((r) => [r.series, f(r)])),
    );
  slopes[target] = per((r) => r.rss);
  console.log(
    `| ${target} | ${[slopes[target], per((r) => r.heapTotal), per((r) => r.heapLive), per((r) => r.arrayBuffers), per(rest)].map((x) => range(x)).join(' | ')} |`,
  );
}
if (slopes.tidemark && slopes.vm) {
  const ratios = slopes.tidemark.map((s, i) => s / slopes.vm[i]);
  console.log(`\nTidemark ÷ VictoriaMetrics, RSS per series: ${range(ratios, 2)}`);
}
for (const r of results.filter((x) => x.failed))
  console.log(`failed: rep ${r.rep} ${r.target} ${r.hosts} hosts: ${r.failed}`);

// Where Tidemark's rest is: the writer thread's V8 heap (its own isolate), and RSS by kind of mapping at the
// probe (bench/memory-probe.mjs): malloc's main arena (the brk heap: the main thread's allocations, SQLite's
// cache of its connection, array buffers' backing stores), its thread arenas (the writer's), other anonymous
// memory (V8's pages of both isolates, blocks malloc mapped alone), files (code). With CPU over the window.
const mapped = (k) => (r) => r.mappings?.[k] ?? NaN;
/** @type {[string, (r: any) => number][]} */
const parts = [
  ['writer heap total', (r) => r.writerHeapTotal ?? NaN],
  ['writer heap live', (r) => r.writerHeapLive ?? NaN],
  ['brk heap', mapped('brkHeap')],
  ['thread arenas', mapped('threadArenas')],
  ['other anonymous', mapped('anon')],
  ['files', mapped('files')],
];
const tidemark = ok.filter((r) => r.target === 'tidemark' && r.mappings);
if (tidemark.length) {
  console.log(`\n| hosts | ${parts.map(([n]) => `${n} MB`).join(' | ')} | CPU, cores |`);
  console.log(`| --- | ${parts.map(() => '---').join(' | ')} | --- |`);
  for (const hosts of sizes) {
    const rs = tidemark.filter((r) => r.hosts === hosts);
    if (!rs.length) continue;
    const cells = parts.map(([, f]) => range(rs.map((r) => f(r) / MB)));
    console.log(
      `| ${hosts} | ${cells.join(' | ')} | ${range(
        rs.map((r) => r.cpu ?? NaN),
        3,
      )} |`,
    );
  }
  const perRep = (f) =>
    [...new Set(tidemark.map((r) => r.rep))].map((rep) =>
      slope(tidemark.filter((r) => r.rep === rep).map((r) => [r.series, f(r)])),
    );
  console.log(`\n| bytes per series | ${parts.map(([n]) => n).join(' | ')} |`);
  console.log(`| --- | ${parts.map(() => '---').join(' | ')} |`);
  console.log(`| tidemark | ${parts.map(([, f]) => range(perRep(f))).join(' | ')} |`);
}

// What the heap's settings cost: the main thread's pauses over the measurement window, by kind, and their
// share of the window's wall time (a pause stops everything on the main thread: receive, append, fan-out).
const withGc = tidemark.filter((r) => r.gc);
if (withGc.length) {
  const kinds = ['minor', 'major', 'incremental'];
  console.log(
    `\n| hosts | ${kinds.map((k) => `${k} GCs per s, p50 / p99 / max ms`).join(' | ')} | GC share of main thread % |`,
  );
  console.log(`| --- | ${kinds.map(() => '---').join(' | ')} | --- |`);
  for (const hosts of sizes) {
    const rs = withGc.filter((r) => r.hosts === hosts);
    if (!rs.length) continue;
    const cells = kinds.map((k) => {
      const f = (g) => rs.map((r) => r.gc[k][g]);
      return `${range(
        rs.map((r) => r.gc[k].n / r.gc.windowS),
        1,
      )}, ${range(f('p50'), 1)} / ${range(f('p99'), 1)} / ${range(f('max'), 1)}`;
    });
    const share = rs.map((r) => (100 * kinds.reduce((a, k) => a + r.gc[k].totalMs, 0)) / (1000 * r.gc.windowS));
    console.log(`| ${hosts} | ${cells.join(' | ')} | ${range(share, 1)} |`);
  }
}
