import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../shared/protocol.js';
import { PROCFS } from '../../helpers/fixtures.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

/**
 * Routing and receivers through real agent and server processes and a real
 * HTTP receiver standing in for Slack, PagerDuty and Alertmanager (issue 13,
 * must show d–f).
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(receivers: string, extraRules = 'rules: []\n') {
  const rx = await startReceiver();
  cleanup.push(() => rx.close());
  const d = tempDir();
  writeFileSync(path.join(d, 'extra.yaml'), extraRules);
  writeFileSync(
    path.join(d, 'tidemark.yaml'),
    `alerts:\n  rules: [${path.join(d, 'extra.yaml')}]\n  receivers:\n${receivers.replaceAll('RX', rx.url)}`,
  );
  const srv = await serverProcess({ dataDir: path.join(d, 'data'), args: ['--config', path.join(d, 'tidemark.yaml')] });
  let server = await srv.start();
  cleanup.push(() => server.stop());
  const root = tempDir();
  mkdirSync(path.join(root, 'proc'));
  const agent: Running = runCli(
    ['agent', '--server', `ws://127.0.0.1:${srv.port}`, '--agent-id', 'db1', '--interval-ms', '500', '--root', root],
    { TIDEMARK_TOKEN: 't' },
  );
  cleanup.push(() => agent.stop());
  await agent.waitFor(/connected to server/);
  return {
    rx,
    root,
    srv,
    agent,
    restart: async (downMs: number) => {
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs)); // the outage itself: its length is the scenario
      server = await srv.start();
    },
  };
}

const at = (rx: Receiver, p: string) => rx.received.filter((x) => x.path === p);

describe('(e) and (f): severity routes, and Alertmanager re-posts', () => {
  it('warnings reach only the warning receiver, criticals only the critical one; Alertmanager sees re-posts and one resolve', async () => {
    const { rx, root } = await setup(
      [
        '    - { name: chat, type: slack, url: RX/slack, severity: warning, groupWait: 1s, groupInterval: 2s }',
        '    - { name: pager, type: pagerduty, url: RX/pd, routingKey: KEY, severity: [critical] }',
        '    - { name: am, type: alertmanager, url: RX/am, resendInterval: 1s }',
        '',
      ].join('\n'),
      // a warning about the rebuild's speed (the recording's 12 kB/s), beside the shipped critical RaidDegraded
      "rules:\n  - name: RebuildSlow\n    severity: warning\n    when: { metric: raid_sync_speed_kbps, op: '<', value: 1000 }\n    summary: 'rebuild of {{array}} on {{host}} runs at {{figure}}'\n",
    );
    const mdstat = path.join(root, 'proc/mdstat');
    copyFileSync(path.join(PROCFS, 'checkraid-pr28_1/proc/mdstat'), mdstat); // md0 [2/1] recovering at 12K/sec
    await until(() => at(rx, '/slack').length >= 1 && at(rx, '/pd').length >= 1, 20_000, 'both pages');
    const degradedPosts = () =>
      at(rx, '/am/api/v2/alerts').filter((x) => {
        const labels = (x.body as { labels: Record<string, string> }[])[0]!.labels;
        return labels.alertname === 'RaidDegraded' && labels.array === 'md0';
      });
    await until(() => degradedPosts().length >= 4, 20_000, 'Alertmanager re-posts');
    copyFileSync(path.join(PROCFS, 'checkraid-pr24/proc/mdstat'), mdstat); // the same array, clean
    const resolvedPost = () =>
      degradedPosts().find((x) => Date.parse((x.body as { endsAt: string }[])[0]!.endsAt) <= x.at);
    await until(resolvedPost, 20_000, 'the resolve at Alertmanager');
    await until(() => at(rx, '/pd').length >= 2, 10_000, 'the PagerDuty resolve');
    // the speed series stops with the rebuild: its warning resolves as stale (3 s at this interval)
    await until(() => at(rx, '/slack').length >= 2, 10_000, 'the Slack resolve');
    await new Promise((r) => setTimeout(r, 2500)); // a re-post would come within 1 s

    // (e) Slack got the warning only, PagerDuty the critical only
    const slack = at(rx, '/slack').map((x) => (x.body as { text: string }).text.split('\n')[0]);
    expect(slack).toEqual([
      ':large_orange_circle: *WARNING* rebuild of md0 on db1 runs at 12 kB/s',
      // a stale resolve says the figure is no longer known, never that the rebuild got faster
      ':white_check_mark: *RESOLVED* No longer known (no data): rebuild of md0 on db1 runs at 12 kB/s',
    ]);
    // both arrays of the recording (md0 and md1) are degraded: a trigger then a resolve each, all critical
    const pd = at(rx, '/pd').map(
      (x) => x.body as { event_action: string; dedup_key: string; payload?: { class: string; severity: string } },
    );
    const keys = [...new Set(pd.map((e) => e.dedup_key))];
    expect(keys).toHaveLength(2);
    for (const k of keys)
      expect(pd.filter((e) => e.dedup_key === k).map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    for (const e of pd.filter((x) => x.event_action === 'trigger'))
      expect(e.payload).toMatchObject({ class: 'RaidDegraded', severity: 'critical' });
    // the specifics, from the recording by hand: md0 : active raid1 sda1[2] sdb1[1], [2/1] [_U], recovery = 3.6 %,
    // finish=259.6min, speed=12K/sec — slot 0 missing, sda1 (descriptor 2 ≥ 2 disks) is the member being rebuilt
    const md0 = at(rx, '/pd')
      .map(
        (x) => x.body as { event_action: string; payload?: { component: string; custom_details: { facts: string[] } } },
      )
      .find((e) => e.event_action === 'trigger' && e.payload!.component === 'md0')!;
    expect(md0.payload!.custom_details.facts).toEqual([
      'md0 (raid1): 1 of 2 disks active',
      'missing slot: 0',
      'rebuilding onto: sda1',
      'recovery 3.6 % done at 12 kB/s, about 260 min left',
    ]);

    // (f) firing posts about 1 s apart, each valid for 4 intervals; exactly one resolve, and nothing after it
    const posts = degradedPosts();
    const resolves = posts.filter((x) => Date.parse((x.body as { endsAt: string }[])[0]!.endsAt) <= x.at);
    expect(resolves).toHaveLength(1);
    expect(posts.at(-1)).toBe(resolves[0]);
    const firing = posts.slice(0, -1);
    expect(firing.length).toBeGreaterThanOrEqual(4);
    // spacing on average: one gap alone carries the delivery jitter of a loaded machine (a late post, then a timely one)
    expect((firing.at(-1)!.at - firing[0]!.at) / (firing.length - 1)).toBeGreaterThanOrEqual(900);
    for (const p of firing)
      expect(Date.parse((p.body as { endsAt: string }[])[0]!.endsAt) - p.at).toBeGreaterThan(3000);
  }, 90_000);
});

describe('(d) the server stopped for 20 s and restarted', () => {
  it('sends no AgentSilent', async () => {
    const { rx, srv, agent, restart } = await setup('    - { type: webhook, url: RX/hook }\n');
    await until(
      async () =>
        (await getJson<HostSummary[]>(`${srv.base}/api/hosts`)).find((h) => h.id === 'db1' && h.stats.batches >= 4),
      10_000,
      'db1 to stream before the stop',
    );
    await restart(20_000);
    const restartedAt = Date.now();
    await agent.waitFor(/connected to server(.|\n)*connected to server/, 45_000);
    // past a naive 30 s count from the last sample before the stop, and past the agent's return
    await until(() => Date.now() - restartedAt > 35_000, 60_000, '35 s after the restart');
    const alerts = await getJson<{ alerts: { rule: string }[] }>(`${srv.base}/api/alerts`);
    expect(alerts.alerts.filter((a) => a.rule === 'AgentSilent')).toEqual([]);
    expect(hookEvents(rx).filter((x) => x.alert.rule === 'AgentSilent')).toEqual([]);
  }, 120_000);
});
