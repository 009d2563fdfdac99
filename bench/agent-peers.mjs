// The Tidemark agent side by side with the agents it replaces, all running at once on this host, each
// sampling every second: node_exporter (matching collectors, and its defaults; scraped every second by
// this script), netdata (proc plugin only, and its defaults) and collectd (cpu + disk). Every peer is
// this script's own process with its own config, directories and loopback port — never a service.
//
// Per process tree (the program and every descendant, e.g. the agent's inventory child or netdata's
// plugins), sampled every second from /proc: CPU as % of one core (utime+stime of the live tree plus
// cutime+cstime of what it reaped, so short-lived children count), mean over the run and the worst
// 5 s window; RSS and PSS (smaps_rollup, summed over the tree), median over the run. Repeated R times;
// each figure is printed as median (min–max) over the repetitions, with Tidemark's ratio to each peer.
//
// Usage: node bench/agent-peers.mjs [--minutes 5] [--seconds S] [--reps 3] [--warmup 20]
//          [--only tidemark,tidemark-matching,node_exporter-matching,node_exporter-defaults,netdata-proc,netdata-defaults,collectd]
//          [--agent-node-flags="--jitless"] [--agent-args="--spool-dir none"]   (Node flags instead of the launcher's; "" for none; more agent flags)
// Needs root (other users' smaps_rollup) and the Debian packages prometheus-node-exporter, netdata and
// collectd (see BENCHMARKS.md), and `npm run build`. The agent is started through bin/tidemark, so the
// launcher's V8 flags apply.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, machine, fmt } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seconds: { type: 'string' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '20' },
    only: { type: 'string' },
    'agent-node-flags': { type: 'string' },
    'agent-args': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
  },
});
const runSeconds = args.seconds ? Number(args.seconds) : Number(args.minutes) * 60;
const reps = Number(args.reps);
const warmupS = Number(args.warmup);
const LAUNCHER = path.resolve('bin/tidemark');
const TICKS = 100; // USER_HZ on Linux
const PAGE_KB = 4;
/**
 * @typedef {{ proc: import('node:child_process').ChildProcess, extra?: import('node:child_process').ChildProcess[],
 *   everySecond?: () => Promise<void>, finish?: () => Promise<Record<string, unknown>> }} Started
 */
/** The agent's collectors beyond node_exporter's diskstats, cpu, pressure and mdadm, turned off for the matching row. */
const MATCHING_OFF = ['filesystems', 'logpaths', 'logrotate_schedule', 'mongod', 'mongod_running'].map(
  (c) => `--no-collector.${c}`,
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The peers, in table order; `start` returns the root process and anything to do each second. */
const PEERS = [
  {
    name: 'tidemark',
    label: 'Tidemark agent, default collectors (cpu, disks, pressure, md, file systems, log-path checks)',
    start: (dir) => startTidemark(dir, 'tidemark', []),
  },
  {
    name: 'tidemark-matching',
    label: 'Tidemark agent, cpu+disks+pressure+raid (the matching collectors)',
    start: (dir) => startTidemark(dir, 'tidemark-matching', MATCHING_OFF),
  },
  {
    name: 'node_exporter-matching',
    label: 'node_exporter, diskstats+cpu+pressure+mdadm, scraped every 1 s',
    start: (dir) =>
      startNodeExporter(dir, [
        '--collector.disable-defaults',
        '--collector.diskstats',
        '--collector.cpu',
        '--collector.pressure',
        '--collector.mdadm',
      ]),
  },
  {
    name: 'node_exporter-defaults',
    label: 'node_exporter, default collectors, scraped every 1 s',
    start: (dir) => startNodeExporter(dir, []),
  },
  { name: 'netdata-proc', label: 'netdata, proc plugin only', start: (dir) => startNetdata(dir, true) },
  { name: 'netdata-defaults', label: 'netdata, defaults', start: (dir) => startNetdata(dir, false) },
  { name: 'collectd', label: 'collectd, cpu+disk', start: startCollectd },
].filter((p) => !args.only || args.only.split(',').includes(p.name));

function version(cmd, argv) {
  try {
    const out = spawnSyncText(cmd, argv);
    return (
      out
        .split('\n')
        .find((l) => /\d+\.\d+/.test(l))
        ?.trim() ?? '?'
    );
  } catch {
    return '?';
  }
}

function spawnSyncText(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

/** @returns {import('node:child_process').StdioOptions} */
function logTo(dir, name) {
  const fd = openSync(path.join(dir, `${name}.log`), 'a');
  return ['ignore', fd, fd];
}

async function waitHttp(url, deadlineMs = 20_000) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch (err) {
      if (Date.now() > end) throw new Error(`${url} did not answer: ${err.message}`, { cause: err });
      await sleep(200);
    }
  }
}

/** @returns {Promise<Started>} */
async function startTidemark(dir, name, collectorFlags) {
  const port = await freePort();
  const data = path.join(dir, `${name}-server-data`);
  mkdirSync(data);
  // The server is the agent's real destination but not measured.
  const server = spawn(
    process.execPath,
    [path.resolve('dist/cli/main.js'), 'server', '--port', String(port), '--token', 't', '--data-dir', data],
    { stdio: logTo(dir, `${name}-server`) },
  );
  await waitHttp(`http://127.0.0.1:${port}/healthz`);
  const extra = args['agent-args'].split(' ').filter(Boolean);
  // Its own spool directory, as each agent needs (the default one may be another agent's on this machine).
  if (!extra.includes('--spool-dir')) extra.push('--spool-dir', path.join(dir, `${name}-spool`));
  const argv = ['agent', '--server', `ws://127.0.0.1:${port}`, '--log-level', 'warn', ...collectorFlags, ...extra];
  const agent = spawn(LAUNCHER, argv, {
    stdio: logTo(dir, `${name}-agent`),
    env: {
      ...process.env,
      TIDEMARK_TOKEN: 't',
      ...(args['agent-node-flags'] !== undefined ? { TIDEMARK_AGENT_NODE_FLAGS: args['agent-node-flags'] } : {}),
    },
  });
  return {
    proc: agent,
    extra: [server],
    finish: async () => {
      const h = /** @type {{ ingested?: { batches: number, samples: number } }} */ (
        await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()
      );
      return { batches: h.ingested?.batches, samples: h.ingested?.samples };
    },
  };
}

/** @returns {Promise<Started>} */
async function startNodeExporter(dir, flags) {
  const port = await freePort();
  const proc = spawn(
    '/usr/bin/prometheus-node-exporter',
    [`--web.listen-address=127.0.0.1:${port}`, ...flags, '--log.level=warn'],
    { stdio: logTo(dir, `node_exporter-${flags.length ? 'matching' : 'defaults'}`) },
  );
  const url = `http://127.0.0.1:${port}/metrics`;
  await waitHttp(url);
  let scrapes = 0;
  let bytes = 0;
  return {
    proc,
    // A scrape every second, as a Prometheus would.
    everySecond: async () => {
      const body = await (await fetch(url)).arrayBuffer();
      scrapes += 1;
      bytes += body.byteLength;
    },
    finish: async () => ({ scrapes, bytesPerScrape: Math.round(bytes / Math.max(1, scrapes)) }),
  };
}

function netdataConfig(dir, port, procOnly) {
  const d = (n) => {
    const p = path.join(dir, n);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const etc = d('etc');
  // Netdata's own opt-out of its anonymous statistics script.
  writeFileSync(path.join(etc, '.opt-out-from-anonymous-statistics'), '');
  const lines = [
    '[global]',
    '  run as user = root',
    '  hostname = tidemark-bench',
    '  update every = 1',
    '[directories]',
    `  config = ${etc}`,
    '  stock config = /usr/lib/netdata/conf.d',
    `  log = ${d('log')}`,
    `  cache = ${d('cache')}`,
    `  lib = ${d('lib')}`,
    `  lock = ${d('lock')}`,
    `  home = ${d('home')}`,
    '  plugins = /usr/lib/netdata/plugins.d',
    '  web = /usr/share/netdata/web',
    `  health config = ${d('etc/health.d')}`,
    '  stock health config = /usr/lib/netdata/conf.d/health.d',
    '[logs]',
    `  debug log = ${path.join(dir, 'log', 'debug.log')}`,
    `  error log = ${path.join(dir, 'log', 'error.log')}`,
    '  access log = none',
    '[web]',
    `  bind to = 127.0.0.1:${port}`,
    '[registry]',
    '  enabled = no',
  ];
  if (procOnly) {
    lines.push(
      '[plugins]',
      '  enable running new plugins = no',
      '  proc = yes',
      ...['diskspace', 'cgroups', 'tc', 'idlejitter', 'checks', 'apps', 'statsd', 'timex', 'netdata monitoring'].map(
        (p) => `  ${p} = no`,
      ),
      '[health]',
      '  enabled = no',
      '[ml]',
      '  enabled = no',
    );
  }
  const file = path.join(etc, 'netdata.conf');
  writeFileSync(file, lines.join('\n') + '\n');
  // No Netdata Cloud connection.
  writeFileSync(path.join(dir, 'lib', 'cloud.conf'), '[global]\n  enabled = no\n');
  return file;
}

/** @returns {Promise<Started>} */
async function startNetdata(dir, procOnly) {
  const port = await freePort();
  const own = path.join(dir, procOnly ? 'netdata-proc' : 'netdata-defaults');
  const conf = netdataConfig(own, port, procOnly);
  const proc = spawn('/usr/sbin/netdata', ['-D', '-c', conf], {
    stdio: logTo(dir, path.basename(own)),
    env: { ...process.env, DO_NOT_TRACK: '1' },
  });
  await waitHttp(`http://127.0.0.1:${port}/api/v1/info`, 60_000);
  return { proc };
}

/** @returns {Promise<Started>} */
async function startCollectd(dir) {
  // Its values go over its network plugin to a UDP sink here, as they would to a collectd server.
  const sink = dgram.createSocket('udp4');
  let packets = 0;
  sink.on('message', () => (packets += 1));
  await new Promise((r) => sink.bind(0, '127.0.0.1', () => r(undefined)));
  const own = path.join(dir, 'collectd');
  mkdirSync(own);
  const conf = path.join(own, 'collectd.conf');
  writeFileSync(
    conf,
    [
      'Hostname "tidemark-bench"',
      'FQDNLookup false',
      `BaseDir "${own}"`,
      `PIDFile "${own}/collectd.pid"`,
      'PluginDir "/usr/lib/collectd"',
      'TypesDB "/usr/share/collectd/types.db"',
      'Interval 1',
      'LoadPlugin cpu',
      'LoadPlugin disk',
      'LoadPlugin network',
      '<Plugin network>',
      `  Server "127.0.0.1" "${sink.address().port}"`,
      '</Plugin>',
      '',
    ].join('\n'),
  );
  const proc = spawn('/usr/sbin/collectd', ['-f', '-C', conf], { stdio: logTo(dir, 'collectd') });
  return {
    proc,
    finish: async () => {
      sink.close();
      return { packets };
    },
  };
}

/** ppid of every process, from one pass over /proc. */
function processTable() {
  const parent = new Map();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited between the listing and the read
    }
  }
  return parent;
}

function tree(root, parent) {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** CPU seconds of a tree (live processes' own time and what they reaped), and its RSS/PSS in MB. */
function treeStats(pids) {
  let ticks = 0;
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of pids) {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // fields 14-17 of stat(5): utime stime cutime cstime (f[0] is field 3)
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rssKb += Number(/^Rss:\s+(\d+)/m.exec(roll)?.[1] ?? Number(f[21]) * PAGE_KB);
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
    } catch {
      // exited; a reaped child's time is in its parent's cutime/cstime
    }
  }
  return { cpuS: ticks / TICKS, rssMB: rssKb / 1024, pssMB: pssKb / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function repetition(rep) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-peers-'));
  /** @type {(Started & { peer: (typeof PEERS)[number] })[]} */
  const running = [];
  try {
    for (const p of PEERS) running.push({ peer: p, ...(await p.start(dir)) });
    for (const r of running) if (r.proc.exitCode !== null) throw new Error(`${r.peer.name} exited at start`);
    await sleep(warmupS * 1000);
    const samples = running.map(() => []);
    const t0 = performance.now();
    for (let s = 0; s <= runSeconds; s++) {
      await sleep(Math.max(0, t0 + s * 1000 - performance.now()));
      const parent = processTable();
      const t = (performance.now() - t0) / 1000;
      running.forEach((r, i) => samples[i].push({ t, ...treeStats(tree(r.proc.pid, parent)) }));
      for (const r of running) r.everySecond?.().catch(() => {});
      for (const r of running)
        if (r.proc.exitCode !== null) throw new Error(`${r.peer.name} exited during the run (see ${dir})`);
    }
    const results = {};
    for (const [i, r] of running.entries()) {
      const xs = samples[i];
      const first = xs[0];
      const last = xs[xs.length - 1];
      let worst = 0;
      let worstAt = 0;
      for (let j = 0; j + 5 < xs.length; j++) {
        const w = (100 * (xs[j + 5].cpuS - xs[j].cpuS)) / (xs[j + 5].t - xs[j].t);
        if (w > worst) [worst, worstAt] = [w, j];
      }
      // where the worst window was (s after the warm-up) and its CPU ms second by second, to tell what made it
      const worstMs = xs
        .slice(worstAt, worstAt + 6)
        .map((x, k, a) => (k ? Math.round(1000 * (x.cpuS - a[k - 1].cpuS)) : 0));
      results[r.peer.name] = {
        cpuMean: (100 * (last.cpuS - first.cpuS)) / (last.t - first.t),
        cpuWorst5s: worst,
        worstWindow: { startS: Math.round(xs[worstAt].t), msPerSecond: worstMs.slice(1) },
        rssMB: median(xs.map((x) => x.rssMB)),
        rssMaxMB: Math.max(...xs.map((x) => x.rssMB)),
        pssMB: median(xs.map((x) => x.pssMB)),
        ...(r.finish ? await r.finish() : {}),
      };
    }
    console.error(`repetition ${rep}: ${JSON.stringify(results)}`);
    return results;
  } finally {
    for (const r of running) for (const p of [r.proc, ...(r.extra ?? [])]) p.kill('SIGTERM');
    await sleep(2000);
    for (const r of running) for (const p of [r.proc, ...(r.extra ?? [])]) if (p.exitCode === null) p.kill('SIGKILL');
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
}

if (process.getuid?.() !== 0) console.error('warning: not root, other users’ smaps_rollup may be unreadable');
for (const bin of ['/usr/bin/prometheus-node-exporter', '/usr/sbin/netdata', '/usr/sbin/collectd'])
  if (!existsSync(bin)) throw new Error(`${bin} is missing: see BENCHMARKS.md for the apt-get line`);

const load0 = os.loadavg();
const runs = [];
for (let rep = 1; rep <= reps; rep++) runs.push(await repetition(rep));
const load1 = os.loadavg();

/** @type {[string, string, number][]} */
const FIGS = [
  ['cpuMean', 'CPU % of one core (mean)', 2],
  ['cpuWorst5s', 'worst 5 s window %', 2],
  ['rssMB', 'RSS MB', 1],
  ['pssMB', 'PSS MB', 1],
];
const span = (xs, d) =>
  xs.length > 1 ? `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})` : fmt(xs[0], d);
const table = {};
console.log(
  `\n${PEERS.length} agents at once, ${runSeconds} s each after ${warmupS} s warm-up, sampled every 1 s; ` +
    `median (min–max) of ${reps} repetition(s); ${machine()}; load average ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`,
);
console.log(
  `versions: node_exporter ${version('/usr/bin/prometheus-node-exporter', ['--version'])}; ` +
    `netdata ${version('/usr/sbin/netdata', ['-V'])}; collectd ${version('/usr/sbin/collectd', ['-h'])}\n`,
);
console.log(`| agent | ${FIGS.map((f) => f[1]).join(' | ')} |`);
console.log(`|---|${FIGS.map(() => '---').join('|')}|`);
for (const p of PEERS) {
  const row = FIGS.map(([k, , d]) =>
    span(
      runs.map((r) => r[p.name][k]),
      d,
    ),
  );
  table[p.name] = Object.fromEntries(FIGS.map(([k]) => [k, runs.map((r) => r[p.name][k])]));
  console.log(`| ${p.label} | ${row.join(' | ')} |`);
}
const ours = PEERS.filter((p) => p.name.startsWith('tidemark'));
const theirs = PEERS.filter((p) => !p.name.startsWith('tidemark'));
for (const t of ours) {
  if (!theirs.length) break;
  console.log(`\n${t.label} ÷ peer, median (min–max) of the per-repetition ratios:\n`);
  console.log(`| peer | ${FIGS.map((f) => f[1].replace(/ MB$| %.*$/, '')).join(' | ')} |`);
  console.log(`|---|${FIGS.map(() => '---').join('|')}|`);
  for (const p of theirs) {
    const row = FIGS.map(
      ([k]) =>
        span(
          runs.map((r) => r[t.name][k] / r[p.name][k]),
          2,
        ) + '×',
    );
    console.log(`| ${p.label} | ${row.join(' | ')} |`);
  }
}
console.log(`\n${JSON.stringify({ figure: 'agent peers', runSeconds, reps, load: [load0, load1], table, runs })}`);
