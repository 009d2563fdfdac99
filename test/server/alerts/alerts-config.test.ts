import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertsOptions } from '../../../cli/alerts-config.js';
import { tempDir } from '../../helpers/process.js';

/** alerts.receivers: routing, headers, signing and re-post options, and a clear error for each bad value. */
function load(receivers: string, extra = '') {
  const d = tempDir();
  const file = path.join(d, 'tidemark.yaml');
  writeFileSync(file, `alerts:\n${extra}  receivers:\n${receivers}`);
  return alertsOptions({ config: file }, d, {});
}

describe('alerts.receivers', () => {
  it('reads severity, match, headers, secret, resendInterval and externalUrl', () => {
    const o = load(
      [
        '    - { type: pagerduty, routingKey: K, severity: critical }',
        "    - { type: slack, url: 'https://hooks.slack.test/x', severity: [warning, info], match: { host: '~db.*', alertname: '!AgentSilent' } }",
        "    - { type: alertmanager, url: 'http://am:9093', resendInterval: 30s, headers: { Authorization: 'Bearer x' } }",
        "    - { type: webhook, url: 'https://ops.test/hook', secret: '0123456789abcdef' }",
        '',
      ].join('\n'),
      "  externalUrl: 'https://monitor.test'\n",
    );
    expect(o.dashboardUrl).toBe('https://monitor.test');
    const [pd, slack, am, hook] = o.receivers;
    expect(pd!.route).toEqual({ severity: ['critical'], match: undefined });
    expect(slack!.route!.severity).toEqual(['warning', 'info']);
    expect(slack!.route!.match!.map((m) => [m.label, m.value, m.negate, !!m.re])).toEqual([
      ['host', '~db.*', false, true],
      ['alertname', 'AgentSilent', true, false],
    ]);
    expect(am).toMatchObject({ resendMs: 30_000, headers: { Authorization: 'Bearer x' } });
    expect(hook!.secret).toBe('0123456789abcdef');
    // grouping: webhooks and Slack get the defaults (10 s, 1 m); PagerDuty and Alertmanager group on their side
    expect(hook!.group).toEqual({ waitMs: 10_000, intervalMs: 60_000 });
    expect(slack!.group).toEqual({ waitMs: 10_000, intervalMs: 60_000 });
    expect(pd!.group).toBeUndefined();
    expect(am!.group).toBeUndefined();
  });

  it('reads groupWait and groupInterval globally and per receiver, the receiver setting winning', () => {
    const o = load(
      [
        "    - { type: webhook, url: 'https://ops.test/a' }",
        "    - { type: slack, url: 'https://hooks.slack.test/x', groupWait: 0s, groupInterval: 1h }",
        '',
      ].join('\n'),
      '  groupWait: 1m\n  groupInterval: 0s\n',
    );
    expect(o.receivers.map((r) => r.group)).toEqual([
      { waitMs: 60_000, intervalMs: 0 },
      { waitMs: 0, intervalMs: 3_600_000 },
    ]);
  });

  it.each([
    [
      "    - { type: alertmanager, url: 'http://am', resendInterval: 5m }\n",
      /resendInterval: alertmanager only, from 1s to 4m/,
    ],
    ["    - { type: alertmanager, url: 'http://am', resendInterval: 500ms }\n", /resendInterval/],
    ["    - { type: webhook, url: 'http://h', resendInterval: 1m }\n", /resendInterval: alertmanager only/],
    ["    - { type: webhook, url: 'http://h', secret: short }\n", /secret: webhooks only, at least 16 characters/],
    ['    - { type: pagerduty, routingKey: K, headers: { X: y } }\n', /headers: only for alertmanager and webhook/],
    ["    - { type: slack, url: 'http://s', severity: urgent }\n", /severity: critical, warning or info/],
    ["    - { type: slack, url: 'http://s', match: { host: '~(' } }\n", /match.host: bad pattern/],
    ["    - { type: webhook, url: 'http://h', groupWait: 61s }\n", /\[0\]\.groupWait: a duration from 0s to 1m/],
    ["    - { type: slack, url: 'http://s', groupInterval: 61m }\n", /groupInterval: a duration from 0s to 1h/],
    ["    - { type: webhook, url: 'http://h', groupWait: soon }\n", /groupWait: a duration from 0s to 1m/],
    [
      '    - { type: pagerduty, routingKey: K, groupWait: 5s }\n',
      /groupWait and groupInterval are for webhook and slack/,
    ],
  ])('refuses %s', (yaml, message) => {
    expect(() => load(yaml)).toThrow(message);
  });

  it('refuses a global groupWait over 1m, naming it', () => {
    expect(() => load("    - { type: webhook, url: 'http://h' }\n", '  groupWait: 2m\n')).toThrow(
      /alerts\.groupWait in .*: a duration from 0s to 1m/,
    );
  });
});
