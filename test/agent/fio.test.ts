import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { TidemarkServer } from '../../server/server.js';
import { silentLogger } from '../../shared/log.js';
import { REPO, until } from '../helpers/process.js';
import { deviceOf } from '../helpers/device.js';

/**
 * Real disk load: fio writes to a temp file with O_DIRECT at queue depth 32,
 * and the agent's own samples of that file's device must show it.
 */
function fio(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('fio', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fio exited ${code}: ${err}`))));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('real disk load', () => {
  // On the repo's disk rather than os.tmpdir(), which may be tmpfs (no block device to watch).
  const dir = mkdtempSync(path.join(REPO, '.fio-'));
  const device = deviceOf(dir);
  const server = new TidemarkServer({ host: '127.0.0.1', port: 0, agentToken: 't', apiToken: null, log: silentLogger });
  let agent: Agent | null = null;

  afterAll(async () => {
    await agent?.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`raises %util, aqu-sz and in-flight of the device under fio (libaio, iodepth 32)`, async () => {
    const port = await server.listen();
    agent = new Agent({
      serverUrl: `ws://127.0.0.1:${port}`,
      token: 't',
      root: '/',
      agentId: 'load',
      intervalMs: 250,
      bufferCapacity: 1000,
      inventoryIntervalMs: 3_600_000,
      log: silentLogger,
    });
    await agent.start();
    const idleFrom = Date.now();
    await sleep(2500); // the scenario: an idle baseline of 2.5 s to compare the load with
    const loadFrom = Date.now();
    await fio([
      '--name=tidemark-load',
      `--filename=${path.join(dir, 'load.dat')}`,
      '--size=128M',
      '--rw=randwrite',
      '--bs=4k',
      '--ioengine=libaio',
      '--iodepth=32',
      '--direct=1',
      '--time_based',
      '--runtime=5',
      '--output-format=terse',
    ]);
    const loadTo = Date.now();
    const values = (metric: string, from: number, to: number) =>
      server.store.query({ host: 'load', metric, labels: { device }, from, to })[0]?.points.map(([, v]) => v ?? 0) ??
      [];
    // Samples taken after the run mean every sample of the run is stored.
    await until(() => values('disk_util_percent', loadTo + 250, Date.now()).length, 10_000, 'samples after the run');
    const max = (xs: number[]) => Math.max(0, ...xs);
    const idleUtil = values('disk_util_percent', idleFrom, loadFrom);
    const loadUtil = values('disk_util_percent', loadFrom + 500, loadTo);
    const idleInFlight = values('disk_in_flight', idleFrom, loadFrom);
    const loadInFlight = values('disk_in_flight', loadFrom + 500, loadTo);
    const idleQueue = values('disk_aqu_sz', idleFrom, loadFrom);
    const loadQueue = values('disk_aqu_sz', loadFrom + 500, loadTo);
    console.log(
      `device ${device}: util idle max ${max(idleUtil).toFixed(1)} % → load max ${max(loadUtil).toFixed(1)} %; ` +
        `in-flight idle max ${max(idleInFlight)} → load max ${max(loadInFlight)}; aqu-sz idle max ${max(idleQueue).toFixed(2)} → load max ${max(loadQueue).toFixed(2)}`,
    );
    expect(loadUtil.length).toBeGreaterThanOrEqual(10);
    expect(max(loadUtil)).toBeGreaterThan(max(idleUtil) + 20);
    expect(max(loadInFlight)).toBeGreaterThan(max(idleInFlight));
    expect(max(loadInFlight)).toBeGreaterThanOrEqual(4);
    expect(max(loadQueue)).toBeGreaterThan(max(idleQueue) + 1);
  });

  it('raises I/O pressure "some" under a synchronous multi-job run (psync, 4 jobs, O_DIRECT)', async () => {
    const pressure = (metric: string, from: number, to: number) =>
      server.store
        .query({ host: 'load', metric, labels: { kind: 'some' }, from, to })[0]
        ?.points.map(([, v]) => v ?? 0) ?? [];
    const max = (xs: number[]) => Math.max(0, ...xs);
    const idleFrom = Date.now();
    await sleep(2500); // the scenario: an idle baseline of 2.5 s to compare the load with
    const loadFrom = Date.now();
    await fio([
      '--name=tidemark-sync',
      `--directory=${dir}`,
      '--size=32M',
      '--rw=randwrite',
      '--bs=4k',
      '--ioengine=psync',
      '--numjobs=4',
      '--direct=1',
      '--time_based',
      '--runtime=5',
      '--group_reporting',
      '--output-format=terse',
    ]);
    const loadTo = Date.now();
    // avg10 is read up to 600 ms past the run: wait until the store holds a sample from past that point.
    await until(
      () => pressure('io_pressure_avg10_percent', loadTo + 600, Date.now()).length,
      10_000,
      'samples 600 ms after the run',
    );
    const idleStall = pressure('io_pressure_stall_percent', idleFrom, loadFrom);
    const loadStall = pressure('io_pressure_stall_percent', loadFrom + 500, loadTo);
    const idleAvg10 = pressure('io_pressure_avg10_percent', idleFrom, loadFrom);
    const loadAvg10 = pressure('io_pressure_avg10_percent', loadFrom, loadTo + 600);
    console.log(
      `I/O pressure some: stall idle max ${max(idleStall).toFixed(1)} % → load max ${max(loadStall).toFixed(1)} %; avg10 idle max ${max(idleAvg10)} → load max ${max(loadAvg10)}`,
    );
    expect(loadStall.length).toBeGreaterThanOrEqual(10);
    expect(max(loadStall)).toBeGreaterThan(max(idleStall) + 10);
    expect(max(loadAvg10)).toBeGreaterThan(max(idleAvg10));
  });
});
