import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../shared/protocol.js';
import { episodeAt, SimulatedHost } from '../../../agent/simulator.js';
import { silentLogger } from '../../../shared/log.js';
import { getJson, runCli, until, serverProcess, type Running } from '../../helpers/process.js';

describe('tidemark simulate', () => {
  let server: Running;
  let sim: Running;
  afterAll(async () => {
    await sim?.stop();
    await server?.stop();
  });

  it('streams about 100 series per host from N hosts over the real protocol', async () => {
    const { port, start } = await serverProcess();
    server = await start();
    sim = runCli(
      ['simulate', '--agents', '25', '--server', `ws://127.0.0.1:${port}`, '--interval-ms', '500', '--duration', '30'],
      { TIDEMARK_TOKEN: 't' },
    );
    const base = `http://127.0.0.1:${port}`;
    const hosts = await until(
      async () => {
        const list = await getJson<HostSummary[]>(`${base}/api/hosts`);
        return list.length === 25 && list.every((h) => h.connected && h.stats.batches >= 3) ? list : null;
      },
      20_000,
      '25 simulated hosts streaming',
    );
    expect(hosts.map((h) => h.id)[0]).toBe('sim-00000');
    expect(hosts.every((h) => h.agentVersion?.endsWith('-sim'))).toBe(true);
    const health = await getJson<{ ingested: { batches: number; samples: number } }>(`${base}/healthz`);
    const perBatch = health.ingested.samples / health.ingested.batches;
    expect(perBatch).toBeGreaterThanOrEqual(90);
    expect(perBatch).toBeLessThanOrEqual(115);
    expect(hosts.every((h) => h.stats.duplicates === 0)).toBe(true);
    // As a real agent, each batch says how its collectors fared, here the five whose series a host reports.
    const ok = (name: string) => ({ name, state: 'ok' });
    const statuses = [ok('cpu'), ok('disks'), ok('raid'), ok('pressure'), ok('mongod')];
    for (const h of hosts) expect(h.collectors).toEqual(statuses);
    expect(hosts.every((h) => h.states.raid_array?.md0 && h.states.mongod?.status)).toBe(true);
  });

  it('plays its episodes: saturation, a degraded array, a lock pile-up', () => {
    expect(episodeAt(0, 0)).toBe('saturation');
    const h = new SimulatedHost(0, 'x', 'ws://127.0.0.1:1', 't', silentLogger);
    const during = h.sample(0).samples.find((s) => s.m === 'disk_saturated' && s.l?.device === 'sdb')!;
    expect(during.v).toBe(1);
    // host 17's degraded window, host 23's lock pile-up, each within its 10-minute cycle
    const at = (index: number, ep: string) =>
      Array.from({ length: 600 }, (_, i) => i * 1000).find((t) => episodeAt(index, t) === ep);
    expect(at(17, 'degraded')).toBeDefined();
    expect(at(23, 'lockpile')).toBeDefined();
    expect(at(1, 'saturation')).toBeUndefined();
  });
});
