import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../shared/protocol.js';
import { PROCFS } from '../helpers/fixtures.js';
import { getJson, runCli, serverProcess, until, type Running } from '../helpers/process.js';

interface Series {
  series: { labels: Record<string, string>; points: unknown[] }[];
}

describe('tidemark agent --no-collector.NAME', () => {
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
  });

  it('streams no metrics, states or status of a disabled collector; the others arrive', async () => {
    const { port, base, start } = await serverProcess();
    running.push(await start());
    const agentArgs = ['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'db', '--interval-ms', '200'];
    const root = ['--root', path.join(PROCFS, 'prometheus-procfs')];
    running.push(runCli([...agentArgs, ...root, '--no-collector.raid'], { TIDEMARK_TOKEN: 't' }));
    const host = async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db');
    // a few batches, so a raid status would have had every chance to arrive
    await until(async () => ((await host())?.stats.batches ?? 0) >= 5, 20_000, 'five batches');
    const h = (await host())!;
    expect(h.collectors.map((c) => c.name)).toEqual(['cpu', 'disks', 'pressure', 'logpaths', 'filesystems']);
    expect(h.states.raid_array).toBeUndefined();
    const series = (metric: string) => getJson<Series>(`${base}/api/series?host=db&metric=${metric}&from=now-1m`);
    expect((await series('raid_disks_active')).series).toEqual([]);
    expect((await series('disk_util_percent')).series.length).toBeGreaterThan(0);
  }, 40_000);
});
