import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRules } from '../../../server/alerts/rules.js';
import { prometheusRule } from '../../../cli/rules-export.js';
import { CLI, REPO, runCli, serverProcess, tempDir, until } from '../../helpers/process.js';
import { startPrometheus } from '../../helpers/tsdb.js';

const rule = (yaml: string) => {
  const { rules, errors } = parseRules(`rules:\n${yaml}`, 'test.yaml');
  expect(errors).toEqual([]);
  return prometheusRule(rules[0]!);
};

describe('rules export --format prometheus: the translation', () => {
  it('writes a threshold with its matchers, window function, for and keep_firing_for', () => {
    const r = rule(`  - name: Mismatch
    severity: warning
    when: { metric: raid_mismatch_cnt, match: { level: '~raid[456]', array: '!md9' }, fn: rate, over: 30m, op: '>', value: 0 }
    for: 1m
    keep_firing_for: 2m
    summary: 'mismatch on {{array}} of {{host}}: {{value}}'
    labels: { team: db }
`);
    expect(r).toEqual({
      alert: 'Mismatch',
      expr: '(delta(tidemark_raid_mismatch_cnt{level=~"raid[456]",array!="md9"}[1800s]) / 1800) > 0',
      for: '60s',
      keep_firing_for: '120s',
      labels: { severity: 'warning', team: 'db' },
      annotations: { summary: 'mismatch on {{ $labels.array }} of {{ $labels.host }}: {{ $value }}' },
    });
  });

  it('joins all on host and the labels the metrics share, any with or, and keeps an alert up until clear holds', () => {
    const r = rule(`  - name: Busy
    severity: critical
    when: { all: [ { metric: disk_util_percent, fn: avg, over: 1m, op: '>', value: 90 }, { metric: disk_saturated, op: '>=', value: 1 } ] }
    clear: { any: [ { metric: disk_util_percent, op: '<', value: 50 }, { metric: disk_saturated, op: '==', value: 0 } ] }
    summary: 'busy'
`);
    const when =
      '(avg_over_time(tidemark_disk_util_percent[60s]) > 90) and on(host, device) (tidemark_disk_saturated >= 1)';
    // not (a < 50 or b == 0)  =  a >= 50 and b != 0
    const notClear = '(tidemark_disk_util_percent >= 50) and on(host, device) (tidemark_disk_saturated != 0)';
    expect(r.expr).toBe(
      `(${when}) or ((${notClear}) and on(host, device) ALERTS{alertname="Busy",alertstate="firing"})`,
    );
  });

  it('turns a silent agent into "seen in the last hour, not within the window", firing at once', () => {
    const r = rule(`  - name: Silent
    severity: critical
    absent: { agent: true }
    for: 45s
    summary: 'no data from {{host}} for {{value}} s'
`);
    expect(r.expr).toBe(
      'group by (host) (present_over_time(tidemark_agent_buffer_batches[1h])) unless group by (host) (present_over_time(tidemark_agent_buffer_batches[45s]))',
    );
    expect(r.for).toBeUndefined();
    expect(r.annotations.summary).toBe('no data from {{ $labels.host }} for 45 s');
  });
});

describe('rules export with real promtool and Prometheus', () => {
  const running: { stop: () => Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
  });

  it('promtool accepts the output; Prometheus loads every rule and fires one on remote-written data', async () => {
    const dir = tempDir();
    const user = path.join(dir, 'user.yaml');
    // Constructed for the test: true for every simulated disk, so it fires whatever the simulator's episodes do.
    writeFileSync(
      user,
      `rules:
  - name: EveryDisk
    severity: info
    when: { all: [ { metric: disk_util_percent, fn: avg, over: 1m, op: '>=', value: 0 }, { metric: disk_saturated, op: '>=', value: 0 } ] }
    summary: 'disk {{device}} on {{host}}'
`,
    );
    const out = path.join(dir, 'tidemark.rules.yml');
    execFileSync(process.execPath, [CLI, 'rules', 'export', '--format', 'prometheus', '-o', out, user]);
    const shipped = readdirSync(path.join(REPO, 'rules'))
      .map((f) => readFileSync(path.join(REPO, 'rules', f), 'utf8').match(/^ {2}- name: /gm)?.length ?? 0)
      .reduce((a, b) => a + b, 0);
    const check = execFileSync('promtool', ['check', 'rules', out], { encoding: 'utf8' });
    expect(check).toContain(`SUCCESS: ${shipped + 1} rules found`);

    const prom = await startPrometheus([out]);
    running.push(prom);
    const { port, start } = await serverProcess({ args: ['--remote-write', `${prom.base}/api/v1/write`] });
    running.push(await start());
    running.push(
      runCli(['simulate', '--agents', '2', '--server', `ws://127.0.0.1:${port}`, '--duration', '60'], {
        TIDEMARK_TOKEN: 't',
      }),
    );
    type Alert = { labels: Record<string, string>; state: string };
    const firing = await until(
      async () => {
        const body = (await (await fetch(`${prom.base}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } };
        const mine = body.data.alerts.filter((a) => a.labels.alertname === 'EveryDisk' && a.state === 'firing');
        return mine.length === 8 ? mine : null;
      },
      30_000,
      'EveryDisk firing for 2 hosts × 4 disks',
    );
    expect(firing.map((a) => `${a.labels.host}/${a.labels.device}`).sort()).toEqual(
      ['sim-00000', 'sim-00001'].flatMap((h) => ['sda', 'sdb', 'sdc', 'sdd'].map((d) => `${h}/${d}`)),
    );
    type Rules = { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = (await (await fetch(`${prom.base}/api/v1/rules`)).json()) as Rules;
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all).toHaveLength(shipped + 1);
    expect(all.filter((r) => r.health !== 'ok' || r.lastError)).toEqual([]);
  }, 90_000);
});
