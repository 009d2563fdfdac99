import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../shared/protocol.js';
import { PROCFS } from '../../helpers/fixtures.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

/** DELETE /api/hosts/:id on a real server: refused while connected; then its alerts resolve and its history stays. */
describe('retiring a host', () => {
  let rx: Receiver;
  let server: Running;
  let agent: Running;
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await rx?.close();
  });

  it('resolves its alerts as retired, leaves the list, keeps history, and survives a restart', async () => {
    rx = await startReceiver();
    const d = tempDir();
    writeFileSync(
      path.join(d, 'tidemark.yaml'),
      // each notification at once: grouping's delays are test/server/alerts/grouping.test.ts's subject
      `alerts:\n  groupWait: 0s\n  groupInterval: 0s\n  receivers:\n    - { type: webhook, url: ${rx.url}/hook }\n`,
    );
    const srv = await serverProcess({
      dataDir: path.join(d, 'data'),
      args: ['--config', path.join(d, 'tidemark.yaml')],
    });
    server = await srv.start();
    const root = tempDir();
    mkdirSync(path.join(root, 'proc'));
    copyFileSync(path.join(PROCFS, 'checkraid-pr28_1/proc/mdstat'), path.join(root, 'proc/mdstat'));
    agent = runCli(
      ['agent', '--server', `ws://127.0.0.1:${srv.port}`, '--agent-id', 'old1', '--interval-ms', '500', '--root', root],
      {
        TIDEMARK_TOKEN: 't',
      },
    );
    const rules = () => hookEvents(rx).map((x) => `${x.kind} ${x.alert.rule}`);
    await until(() => rules().includes('trigger RaidDegraded'), 15_000, 'RaidDegraded');
    const del = () => fetch(`${srv.base}/api/hosts/old1`, { method: 'DELETE' });
    const refused = await del();
    expect(refused.status).toBe(409);
    await agent.stop();
    await until(
      async () => (await getJson<HostSummary[]>(`${srv.base}/api/hosts`)).some((h) => h.id === 'old1' && !h.connected),
      10_000,
      'disconnected',
    );
    const res = await del();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ retired: 'old1', history: 'kept' });
    await until(() => hookEvents(rx).filter((x) => x.kind === 'resolve').length >= 2, 10_000, 'resolves');
    for (const x of hookEvents(rx).filter((y) => y.kind === 'resolve'))
      expect(['retired', 'stale']).toContain(x.alert.resolvedBy);
    expect((await getJson<HostSummary[]>(`${srv.base}/api/hosts`)).map((h) => h.id)).not.toContain('old1');
    const history = await getJson<{ series: unknown[] }>(
      `${srv.base}/api/series?host=old1&metric=raid_disks_missing&from=now-5m`,
    );
    expect(history.series.length).toBeGreaterThan(0);
    expect((await del()).status).toBe(404);

    // after a restart it stays retired: not listed, and no AgentSilent
    await server.stop();
    server = await srv.start();
    expect((await getJson<HostSummary[]>(`${srv.base}/api/hosts`)).map((h) => h.id)).not.toContain('old1');
    const alerts = await getJson<{ alerts: unknown[] }>(`${srv.base}/api/alerts`);
    expect(alerts.alerts).toEqual([]);
  }, 60_000);
});
