import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, getJson, runCli, tempDir, until } from '../helpers/process.js';
import { startAlertmanager } from '../helpers/tsdb.js';
import { startFleet, type ScriptedHost } from '../helpers/scripted-fleet.js';

const TOKEN = 't';

interface Health {
  ha: { peer: string; directReceivers: string[]; warning: string | null } | null;
}
interface AlertsAnswer {
  alerts: { rule: string; host: string; state: string; labels: Record<string, string> }[];
  notifications: { delivered: number };
}
interface AmWebhook {
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string> }[];
}

/** The shipped DiskSaturated with its windows shortened (2 s for, 2 s keep firing) so an episode fits in a test. */
const RULES = `rules:
  - name: DiskSaturated
    severity: critical
    when: { metric: disk_saturated, op: '>=', value: 1 }
    for: 2s
    keep_firing_for: 2s
    summary: 'Disk {{device}} on {{host}} is saturated'
    resolved: 'Disk {{device}} on {{host}} keeps up again'
`;

/** One server of a pair on `port`: its own data directory and config, Alertmanager as its only receiver (plus `extra`). */
async function pairServer(port: number, amUrl: string, peerPort: number, extraArgs: string[] = []) {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'rules.yaml'), RULES);
  writeFileSync(
    path.join(dir, 'tidemark.yaml'),
    `alerts:\n  defaultRules: false\n  rules: [rules.yaml]\n  receivers:\n    - { name: am, type: alertmanager, url: ${amUrl} }\n`,
  );
  const server = runCli([
    'server',
    '--port',
    String(port),
    '--token',
    TOKEN,
    '--data-dir',
    path.join(dir, 'data'),
    '--config',
    path.join(dir, 'tidemark.yaml'),
    '--ha-peer',
    `http://127.0.0.1:${peerPort}`,
    ...extraArgs,
  ]);
  await server.waitFor(/dashboard at/);
  return { server, port, base: `http://127.0.0.1:${port}` };
}

describe('HA pair: two servers, the same agents, one real Alertmanager', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const f of stops.reverse()) await f();
  });

  it('a disk-saturation episode gives exactly one notification and one resolve at the webhook', async () => {
    const hook = await startReceiver();
    stops.push(() => hook.close());
    const am = await startAlertmanager(
      [
        'route:',
        '  receiver: hook',
        "  group_by: ['alertname', 'host', 'device']",
        '  group_wait: 1s',
        '  group_interval: 2s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: hook',
        '    webhook_configs:',
        `      - url: ${hook.url}/am-hook`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    stops.push(() => am.stop());
    // Each names the other as its peer: both ports are picked before either starts.
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await pairServer(portA, am.base, portB);
    stops.push(() => a.server.stop());
    const b = await pairServer(portB, am.base, portA);
    stops.push(() => b.server.stop());
    for (const base of [a.base, b.base]) {
      const h = await getJson<Health>(`${base}/healthz`);
      expect(h.ha?.directReceivers).toEqual([]);
      expect(h.ha?.warning).toBeNull();
    }

    // Every host streams to both servers (an agent per server on each host), the same samples to each.
    const hosts: ScriptedHost[] = [
      { id: 'db-ha-1', trouble: null },
      { id: 'db-ha-2', trouble: null },
    ];
    const fleets = [a, b].map((s) => startFleet(`ws://127.0.0.1:${s.port}`, TOKEN, hosts, 500));
    stops.push(...fleets.map((f) => () => f.stop()));
    await until(
      async () => {
        const lists = await Promise.all([a, b].map((s) => getJson<{ id: string }[]>(`${s.base}/api/hosts`)));
        return lists.every((l) => l.length === 2);
      },
      15_000,
      'both servers see both hosts',
    );

    const firingOn = async (base: string) =>
      (await getJson<AlertsAnswer>(`${base}/api/alerts`)).alerts.filter(
        (x) => x.rule === 'DiskSaturated' && x.host === 'db-ha-1' && x.state === 'firing',
      ).length;
    const hookCalls = () => hook.received.filter((r) => r.path === '/am-hook').map((r) => r.body as AmWebhook);

    hosts[0]!.trouble = 'saturated'; // sdb of db-ha-1 saturates
    await until(async () => (await firingOn(a.base)) === 1 && (await firingOn(b.base)) === 1, 20_000, 'both fire');
    await until(() => hookCalls().length >= 1, 20_000, 'the page at the webhook');

    hosts[0]!.trouble = null; // the episode ends
    await until(async () => (await firingOn(a.base)) === 0 && (await firingOn(b.base)) === 0, 20_000, 'both resolve');
    await until(() => hookCalls().some((c) => c.status === 'resolved'), 20_000, 'the resolve at the webhook');
    // Anything a second copy would cause comes within a group interval or two (2 s each): wait out three.
    await new Promise((r) => setTimeout(r, 6000));

    const calls = hookCalls();
    expect(calls.map((c) => c.status)).toEqual(['firing', 'resolved']);
    for (const c of calls) {
      expect(c.alerts).toHaveLength(1);
      expect(c.alerts[0]!.labels).toMatchObject({ alertname: 'DiskSaturated', host: 'db-ha-1', device: 'sdb' });
    }
    // Both servers did post, each its trigger and its resolve: the single page is Alertmanager's deduplication.
    for (const s of [a, b]) {
      const n = (await getJson<AlertsAnswer>(`${s.base}/api/alerts`)).notifications;
      expect(n.delivered).toBeGreaterThanOrEqual(2);
    }
  }, 120_000);

  it('warns at start, in the log and /healthz, when a pair member has receivers that page directly', async () => {
    const hook = await startReceiver();
    stops.push(() => hook.close());
    const srv = await pairServer(await freePort(), 'http://127.0.0.1:9', 1, ['--webhook', `${hook.url}/direct`]);
    stops.push(() => srv.server.stop());
    await srv.server.waitFor(/direct receivers in an HA pair page twice/);
    const h = await getJson<Health>(`${srv.base}/healthz`);
    expect(h.ha?.peer).toBe('http://127.0.0.1:1');
    expect(h.ha?.directReceivers).toEqual(['webhook-1 (webhook)']);
    expect(h.ha?.warning).toMatch(/webhook-1 \(webhook\) would get every notification twice/);
    // Without --ha-peer the same receivers are no concern of this check.
    const single = runCli(['server', '--port', '0', '--token', TOKEN, '--data-dir', tempDir()]);
    stops.push(() => single.stop());
    await single.waitFor(/dashboard at http:\/\/127\.0\.0\.1:(\d+)/);
    const port = single.output().match(/dashboard at http:\/\/127\.0\.0\.1:(\d+)/)![1];
    expect((await getJson<Health>(`http://127.0.0.1:${port}/healthz`)).ha).toBeNull();
  }, 60_000);
});
