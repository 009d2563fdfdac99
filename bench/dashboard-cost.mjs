// Dashboard cost: main-thread CPU of a Chromium tab showing 16 live charts of a simulated
// host (1 s updates), from the DevTools Performance metrics, and its JS heap at start and end.
// Usage: node bench/dashboard-cost.mjs [seconds]   (default 300; run `npm run build` first)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CLI, machine, fmt, spawnServer } from './lib.mjs';

const seconds = Number(process.argv[2] ?? 300);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { server, port } = await spawnServer({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'tidemark-dash-')) });
const sim = spawn(
  process.execPath,
  [CLI, 'simulate', '--agents', '1', '--server', `ws://127.0.0.1:${port}`, '--log-level', 'error'],
  { stdio: 'ignore', env: { ...process.env, TIDEMARK_TOKEN: 't' } },
);
await sleep(12_000); // twelve seconds of the simulated host's samples and states (array, mongod) first
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 2400 } });
await page.goto(`http://127.0.0.1:${port}/#sim-00000`);
await page.waitForSelector('#mongod-charts .chart canvas', { timeout: 20_000 });
await sleep(3000);
const charts = await page.locator('.chart canvas').count();
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const metrics = async () =>
  Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
const m0 = await metrics();
const t0 = performance.now();
await sleep(seconds * 1000);
const m1 = await metrics();
const wall = (performance.now() - t0) / 1000;
const cpu = (100 * (m1.TaskDuration - m0.TaskDuration)) / wall;
const script = (100 * (m1.ScriptDuration - m0.ScriptDuration)) / wall;
const result = {
  figure: 'dashboard cost',
  seconds,
  charts,
  cpuPercentOfOneCore: cpu,
  scriptPercent: script,
  heapMB: { start: m0.JSHeapUsedSize / 2 ** 20, end: m1.JSHeapUsedSize / 2 ** 20 },
  machine: machine(),
};
console.log(JSON.stringify(result));
console.log(
  `${charts} live charts for ${seconds} s: main-thread CPU ${fmt(cpu, 2)} % of one core (script ${fmt(script, 2)} %), JS heap ${fmt(result.heapMB.start)} → ${fmt(result.heapMB.end)} MB`,
);
await browser.close();
sim.kill('SIGTERM');
server.kill('SIGTERM');
