/* eslint-disable @typescript-eslint/no-unsafe-return -- captured payloads are untyped JSON, checked field by field */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../../../shared/protocol.js';
import type { Receiver as ReceiverConfig } from '../../../server/alerts/notify.js';
import { alertHarness } from '../../helpers/alert-harness.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { until } from '../../helpers/process.js';

/**
 * Captured payloads checked field by field against each service's documented
 * format: PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert
 * Event": routing_key, event_action trigger|acknowledge|resolve, dedup_key,
 * payload.summary/source/severity required on trigger), Alertmanager API v2
 * (POST /api/v2/alerts: a list of postableAlert with labels, annotations,
 * startsAt, endsAt, generatorURL), Slack incoming webhooks (text, blocks of
 * section/context with mrkdwn), and Tidemark's webhook ({version: 2, groupKey, groupLabels, status,
 * alerts: [{kind, status, …alert}], link}).
 */
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => rx.close());
const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
  rx.received.length = 0;
  rx.refused.length = 0;
  rx.status = null;
});
function harness(receivers: ReceiverConfig[]) {
  const h = alertHarness({ receivers, dashboardUrl: 'https://tidemark.example/' });
  stops.push(() => h.alerts.stop());
  return h;
}
const at = (p: string) => rx.received.filter((x) => x.path === p);
const degraded: WireSample[] = [{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }];
const whole: WireSample[] = [{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 0 }];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('PagerDuty Events API v2', () => {
  it('trigger, acknowledge and resolve share the dedup_key and carry the documented fields', async () => {
    const h = harness([
      { name: 'pd', type: 'pagerduty', url: `${rx.url}/v2/enqueue`, routingKey: 'R0UTINGKEY32CHARSXXXXXXXXXXXXXXX' },
    ]);
    h.feed(degraded, 1);
    await until(() => at('/v2/enqueue').length === 1, 5000, 'trigger');
    const id = h.alerts.engine.list()[0]!.id;
    h.alerts.engine.ack(id);
    await until(() => at('/v2/enqueue').length === 2, 5000, 'acknowledge');
    h.feed(whole, 1);
    await until(() => at('/v2/enqueue').length === 3, 5000, 'resolve');
    const [trigger, ack, resolve] = at('/v2/enqueue').map((x) => x.body as Record<string, any>);
    expect(Object.keys(trigger!).sort()).toEqual(
      ['client', 'client_url', 'dedup_key', 'event_action', 'links', 'payload', 'routing_key'].sort(),
    );
    expect(trigger).toMatchObject({
      routing_key: 'R0UTINGKEY32CHARSXXXXXXXXXXXXXXX',
      event_action: 'trigger',
      dedup_key: id,
      client: 'Tidemark',
    });
    const p = trigger!.payload as Record<string, any>;
    expect(p.summary).toBe('md array md0 on db1 is degraded: 1 disk(s) missing');
    expect(p.summary.length).toBeLessThanOrEqual(1024);
    expect(p).toMatchObject({
      source: 'db1',
      severity: 'critical',
      component: 'md0',
      group: 'db1',
      class: 'RaidDegraded',
    });
    expect(p.timestamp).toMatch(ISO);
    expect(p.custom_details).toMatchObject({ value: '1 disk(s)', labels: { array: 'md0' } });
    expect(trigger!.client_url).toMatch(/^https:\/\/tidemark\.example\/\?from=\d+&to=\d+#db1$/);
    expect(trigger!.links[0]).toEqual({ href: trigger!.client_url, text: 'Dashboard: db1' });
    expect(ack).toEqual({
      routing_key: 'R0UTINGKEY32CHARSXXXXXXXXXXXXXXX',
      dedup_key: id,
      event_action: 'acknowledge',
    });
    expect(resolve).toEqual({
      routing_key: 'R0UTINGKEY32CHARSXXXXXXXXXXXXXXX',
      dedup_key: id,
      event_action: 'resolve',
    });
    expect(at('/v2/enqueue').every((x) => x.headers['content-type'] === 'application/json')).toBe(true);
  });

  it('a 400 is not retried: logged, counted and listed; a 429 is retried', async () => {
    rx.status = 400;
    const h = harness([{ name: 'pd', type: 'pagerduty', url: `${rx.url}/v2/enqueue`, routingKey: 'bad' }]);
    h.feed(degraded, 1);
    await until(() => h.alerts.notifier.rejected === 1, 5000, 'the rejection');
    await new Promise((r) => setTimeout(r, 1500)); // a retry would come after 1 s
    expect(rx.refused).toEqual([{ path: '/v2/enqueue', status: 400 }]);
    expect(h.alerts.notifier.pending).toHaveLength(0);
    expect(h.alerts.notifier.rejections[0]).toMatchObject({
      receiver: 'pd',
      rule: 'RaidDegraded',
      kind: 'trigger',
      status: 400,
    });
    expect(h.alerts.notifier.rejections[0]!.body).toContain('Invalid routing key');

    rx.status = 429;
    h.feed([{ m: 'raid_disks_missing', l: { array: 'md1' }, v: 1 }], 1);
    await until(() => rx.refused.length >= 2, 5000, 'the 429');
    rx.status = null;
    await until(() => at('/v2/enqueue').length === 1, 5000, 'the retry after 429');
    expect(h.alerts.notifier.rejected).toBe(1);
  });
});

describe('Alertmanager API v2', () => {
  it('re-posts a firing alert every interval with endsAt ahead, then one resolve with endsAt at the end', async () => {
    const h = harness([
      {
        name: 'am',
        type: 'alertmanager',
        url: `${rx.url}/am`,
        resendMs: 1000,
        headers: { authorization: 'Bearer am-token' },
      },
    ]);
    h.feed(degraded, 1);
    await until(() => at('/am/api/v2/alerts').length === 1, 5000, 'first post');
    // the engine's clock: three more seconds of ticks, each past the 1 s interval
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1100)); // re-posts go by wall-clock time: let the interval pass
      h.feed(degraded, 1);
    }
    await until(() => at('/am/api/v2/alerts').length === 4, 5000, 'three re-posts');
    h.feed(whole, 1);
    await until(() => at('/am/api/v2/alerts').length === 5, 5000, 'resolve');
    const posts = at('/am/api/v2/alerts');
    for (const p of posts) {
      expect(p.headers.authorization).toBe('Bearer am-token');
      expect(Array.isArray(p.body)).toBe(true);
      expect(p.body).toHaveLength(1);
      const a = p.body[0] as Record<string, any>;
      expect(Object.keys(a).sort()).toEqual(['annotations', 'endsAt', 'generatorURL', 'labels', 'startsAt']);
      expect(a.labels).toEqual({ alertname: 'RaidDegraded', host: 'db1', severity: 'critical', array: 'md0' });
      expect(Object.values(a.labels).every((v) => typeof v === 'string')).toBe(true);
      expect(a.startsAt).toMatch(ISO);
      expect(a.endsAt).toMatch(ISO);
      expect(Object.values(a.annotations).every((v) => typeof v === 'string')).toBe(true);
    }
    for (const p of posts.slice(0, 4)) {
      // firing: valid for 4 re-post intervals from the post
      const ends = Date.parse(p.body[0].endsAt as string);
      expect(ends).toBeGreaterThan(p.at + 3000);
      expect(ends).toBeLessThanOrEqual(p.at + 4000);
    }
    const resolved = posts[4]!.body[0] as Record<string, any>;
    expect(Date.parse(resolved.endsAt as string)).toBe(h.now); // the engine's time of the resolve
    expect(resolved.annotations.summary).toBe('md array md0 on db1 is whole again');
    await new Promise((r) => setTimeout(r, 1500)); // a window past the 1 s interval in which nothing may come
    h.feed(whole, 1);
    expect(at('/am/api/v2/alerts')).toHaveLength(5); // nothing after the resolve
  });
});

describe('Slack incoming webhook', () => {
  it('text with severity and figure, and section/context blocks with the dashboard link', async () => {
    const h = harness([{ name: 'slack', type: 'slack', url: `${rx.url}/slack` }]);
    h.feed(degraded, 1);
    h.feed(whole, 1);
    await until(() => at('/slack').length === 2, 5000, 'two messages');
    const [fire, done] = at('/slack').map((x) => x.body as { text: string; blocks: any[] });
    expect(fire!.text.split('\n')[0]).toBe(
      ':red_circle: *CRITICAL* md array md0 on db1 is degraded: 1 disk(s) missing',
    );
    expect(fire!.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    expect(fire!.blocks[0].text).toEqual({ type: 'mrkdwn', text: fire!.text.split('\n')[0] });
    const context = fire!.blocks[2].elements[0] as { type: string; text: string };
    expect(context.type).toBe('mrkdwn');
    expect(context.text).toMatch(
      /^RaidDegraded on db1 · value 1 disk\(s\) · <https:\/\/tidemark\.example\/\?from=\d+&to=\d+#db1\|Dashboard: db1> · <.+\|Runbook>$/,
    );
    expect(done!.text.split('\n')[0]).toBe(':white_check_mark: *RESOLVED* md array md0 on db1 is whole again');
  });
});

describe('webhook', () => {
  it('custom headers, credentials in the URL as Basic auth, and an HMAC signature the receiver can verify', async () => {
    const secret = 'a-long-shared-secret';
    const url = new URL(`${rx.url}/hook`);
    url.username = 'ops';
    url.password = 'p@ss';
    const h = harness([{ name: 'hook', type: 'webhook', url: url.toString(), headers: { 'x-team': 'dba' }, secret }]);
    h.feed(degraded, 1);
    await until(() => at('/hook').length === 1, 5000, 'the post');
    const got = at('/hook')[0]!;
    expect(got.headers['x-team']).toBe('dba');
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('ops:p@ss').toString('base64')}`);
    const ts = got.headers['x-tidemark-timestamp'] as string;
    expect(Math.abs(Number(ts) * 1000 - got.at)).toBeLessThan(5000);
    const expected = createHmac('sha256', secret).update(`${ts}.${got.text}`).digest('hex');
    expect(got.headers['x-tidemark-signature']).toBe(`sha256=${expected}`);
    // version 2: one group (rule and host) and its alerts, like Alertmanager's webhook
    expect(Object.keys(got.body).sort()).toEqual(['alerts', 'groupKey', 'groupLabels', 'link', 'status', 'version']);
    expect(got.body).toMatchObject({
      version: 2,
      groupKey: 'db1/RaidDegraded',
      groupLabels: { host: 'db1', alertname: 'RaidDegraded' },
      status: 'firing',
    });
    expect(got.body.alerts).toHaveLength(1);
    expect(got.body.alerts[0]).toMatchObject({
      kind: 'trigger',
      status: 'firing',
      rule: 'RaidDegraded',
      host: 'db1',
      severity: 'critical',
      valueText: '1 disk(s)',
      labels: { array: 'md0' },
      endsAt: null,
    });
    expect(got.body.link).toMatch(/#db1$/);
    expect(got.body.alerts[0].link).toBe(got.body.link);
  });
});

describe('routing and inhibition', () => {
  it('severity filters: warnings to one receiver, criticals to another', async () => {
    const h = harness([
      { name: 'slack', type: 'slack', url: `${rx.url}/warn`, route: { severity: ['warning'] } },
      { name: 'pd', type: 'webhook', url: `${rx.url}/crit`, route: { severity: ['critical'] } },
    ]);
    h.feed([...degraded, { m: 'logpath_check_ok', l: { check: 'logrotate' }, v: 0 }], 1);
    await until(() => rx.received.length === 2, 5000, 'two');
    await new Promise((r) => setTimeout(r, 200)); // a window for a wrongly routed third copy to show up
    expect(at('/warn').map((x) => (x.body as { text: string }).text.split('\n')[0])).toEqual([
      ':large_orange_circle: *WARNING* logrotate on db1 would fail or skip a log',
    ]);
    expect(hookEvents(rx, '/crit').map((x) => x.alert.rule)).toEqual(['RaidDegraded']);
  });

  it('MongodDown inhibits the ticket alert of its host', async () => {
    const h = harness([{ name: 'hook', type: 'webhook', url: `${rx.url}/hook` }]);
    h.feed([{ m: 'mongod_up', v: 0 }], 16);
    h.feed(
      [
        { m: 'mongod_up', v: 0 },
        { m: 'mongod_tickets_util_percent', l: { op: 'write' }, v: 100 },
      ],
      31,
    );
    expect(
      h.alerts.engine
        .list()
        .map((a) => `${a.rule} ${a.state} ${a.inhibitedBy ?? '-'}`)
        .sort(),
    ).toEqual(['MongodDown firing -', 'MongodTicketsExhausted firing MongodDown']);
    await until(() => rx.received.length >= 1, 5000, 'the MongodDown page');
    await new Promise((r) => setTimeout(r, 300)); // a window in which the inhibited ticket alert must not come
    expect(hookEvents(rx).map((x) => x.alert.rule)).toEqual(['MongodDown']);
  });
});
