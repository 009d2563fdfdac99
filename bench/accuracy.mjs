// Accuracy of the agent's disk figures against iostat (sysstat), side by side under fio.
//
//   node bench/accuracy.mjs [seconds-per-phase]     (default 12; needs fio and iostat; run `npm run build` first)
//
// For each fio phase the agent's disks collector (from dist/, reading the real /proc every 1 s) and
// `iostat -dx -y -o JSON 1` watch the block device holding a scratch file in the repo, started in the same
// instant one second into the phase, for the phase minus two seconds. Their means over those seconds are
// compared: error = (agent - iostat) / iostat. Other load on a shared machine reaches the same device and
// is seen by both, so it does not bias the comparison, but it widens the spread between runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DisksCollector } from '../dist/agent/collectors/disks.js';
import { parseDiskstats } from '../dist/agent/procfs/diskstats.js';
import { partitionParent } from '../dist/agent/procfs/devices.js';
import { fmt, machine } from './lib.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const phaseSeconds = Number(process.argv[2] ?? 12);

/** Agent metric name → iostat JSON field. @type {[string, string][]} */
const METRICS = [
  ['disk_r_per_s', 'r/s'],
  ['disk_w_per_s', 'w/s'],
  ['disk_rkb_per_s', 'rkB/s'],
  ['disk_wkb_per_s', 'wkB/s'],
  ['disk_r_await_ms', 'r_await'],
  ['disk_w_await_ms', 'w_await'],
  ['disk_aqu_sz', 'aqu-sz'],
  ['disk_util_percent', 'util'],
];

/** @type {[string, string[]][]} */
const PHASES = [
  ['randread 4k libaio QD32', ['--rw=randread', '--bs=4k', '--ioengine=libaio', '--iodepth=32']],
  ['randwrite 4k psync ×8', ['--rw=randwrite', '--bs=4k', '--ioengine=psync', '--numjobs=8']],
  ['seq write 1M libaio QD1', ['--rw=write', '--bs=1M', '--ioengine=libaio', '--iodepth=1']],
  ['seq write 1M libaio QD16', ['--rw=write', '--bs=1M', '--ioengine=libaio', '--iodepth=16']],
];

function wholeDiskOf(file) {
  const dev = statSync(file).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const all = parseDiskstats(readFileSync('/proc/diskstats', 'utf8'));
  const found = all.find((d) => d.major === major && d.minor === minor);
  if (!found) throw new Error(`${file} is not on a block device`);
  return partitionParent(found.name, new Set(all.map((d) => d.name))) ?? found.name;
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

/**
 * The agent's disks collector, primed now and then read `count` times at 1 s steps, started in the same
 * instant as iostat so that both cover the same seconds (up to iostat's start-up, a few ms).
 */
async function agentReadings(device, count) {
  const disks = new DisksCollector('/');
  const rows = [];
  let next = performance.now();
  for (let i = 0; i <= count; i++) {
    const r = await disks.collect({ nowMs: Date.now(), monoMs: performance.now() });
    if (i > 0) rows.push(Object.fromEntries(r.samples.filter((x) => x.l?.device === device).map((x) => [x.m, x.v])));
    next += 1000;
    await sleep(Math.max(0, next - performance.now()));
  }
  return rows;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function phase(name, args, file, device) {
  const fio = run('fio', [
    '--name=accuracy',
    `--filename=${file}`,
    '--size=512M',
    '--direct=1',
    '--time_based',
    `--runtime=${phaseSeconds}`,
    '--group_reporting',
    '--output-format=terse',
    ...args,
  ]);
  await sleep(1000);
  const count = phaseSeconds - 2;
  const [iostat, ours] = await Promise.all([
    run('iostat', ['-dx', '-y', '-o', 'JSON', '1', String(count), device]),
    agentReadings(device, count),
  ]);
  await fio;
  const stats = JSON.parse(iostat).sysstat.hosts[0].statistics.map((s) => s.disk.find((d) => d.disk_device === device));
  return METRICS.map(([m, field]) => {
    const a = mean(ours.map((r) => r[m] ?? 0));
    const b = mean(stats.map((s) => s[field]));
    return { phase: name, metric: field, agent: a, iostat: b, errorPercent: b === 0 ? NaN : (100 * (a - b)) / b };
  });
}

const dir = mkdtempSync(path.join(REPO, '.fio-accuracy-'));
const file = path.join(dir, 'load.dat');
try {
  const device = wholeDiskOf(dir);
  await run('fio', ['--name=layout', `--filename=${file}`, '--size=512M', '--create_only=1']);
  console.log(`# agent vs iostat -dx 1 on ${device}, ${phaseSeconds} s per phase; ${machine()}`);
  console.log('| phase | metric | iostat | agent | error |\n| --- | --- | --- | --- | --- |');
  const all = [];
  for (const [name, args] of PHASES) {
    for (const r of await phase(name, args, file, device)) {
      all.push(r);
      console.log(
        `| ${r.phase} | ${r.metric} | ${fmt(r.iostat, 2)} | ${fmt(r.agent, 2)} | ${fmt(r.errorPercent, 2)} % |`,
      );
    }
  }
  const worst = Object.fromEntries(
    METRICS.map(([, f]) => [
      f,
      Math.max(
        ...all.filter((r) => r.metric === f && Number.isFinite(r.errorPercent)).map((r) => Math.abs(r.errorPercent)),
      ),
    ]),
  );
  console.log('\nlargest |error| per metric over the phases (%):', JSON.stringify(worst));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
