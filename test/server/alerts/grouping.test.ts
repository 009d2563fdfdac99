import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { groupDueAt, GroupClock } from '../../../server/alerts/grouping.js';
import {
  Notifier,
  type AlertSnapshot,
  type Notification,
  type Receiver as ReceiverConfig,
} from '../../../server/alerts/notify.js';
import { silentLogger } from '../../../shared/log.js';
import { alertHarness } from '../../helpers/alert-harness.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { until } from '../../helpers/process.js';

/**
 * Grouping (README "Alert life cycle", server/alerts/grouping.ts), like
 * Alertmanager's group_by [host, alertname] with group_wait and
 * group_interval; a page (critical trigger) never waits longer than group_wait.
 */
const pending = (kind: Notification['kind'], createdAt: number, severity: AlertSnapshot['severity'] = 'warning') => ({
  kind,
  createdAt,
  alert: { severity } as AlertSnapshot,
});
const T = { waitMs: 10_000, intervalMs: 60_000 };

describe('when a group is due', () => {
  it('a new group waits group_wait after its oldest notification', () => {
    // oldest at 1000 → 1000 + 10 000
    expect(groupDueAt([pending('trigger', 1000), pending('trigger', 4000)], null, T)).toBe(11_000);
  });

  it('a group that went out waits group_interval after that, and at least group_wait', () => {
    // sent at 5000: the next message at 5000 + 60 000, even for a resolve that came at 6000
    expect(groupDueAt([pending('resolve', 6000)], 5000, T)).toBe(65_000);
    // sent long ago: group_wait after the notification (100 000 + 10 000), not at once
    expect(groupDueAt([pending('resolve', 100_000)], 5000, T)).toBe(110_000);
  });

  it('a page is held at most group_wait, whatever the interval', () => {
    // a warning waiting since 6000 would go at 65 000; the critical trigger of 7000 brings the group to 17 000
    expect(groupDueAt([pending('trigger', 6000), pending('trigger', 7000, 'critical')], 5000, T)).toBe(17_000);
    // a critical resolve or repeat is no page: it follows the interval
    expect(groupDueAt([pending('resolve', 7000, 'critical')], 5000, T)).toBe(65_000);
    expect(groupDueAt([pending('repeat', 7000, 'critical')], 5000, T)).toBe(65_000);
  });

  it('no grouping (0 and 0) sends at once', () => {
    expect(groupDueAt([pending('trigger', 3000)], 2999, { waitMs: 0, intervalMs: 0 })).toBe(3000);
  });

  it('forgets a group quiet for longer than the longest interval', () => {
    const c = new GroupClock();
    c.sent('a', 1000);
    c.sent('b', 50_000);
    c.prune(61_001, 60_000); // a: 60 001 ms ago, b: 11 001 ms ago
    expect([c.last('a'), c.last('b')]).toEqual([null, 50_000]);
  });
});

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => rx.close());
const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
  rx.received.length = 0;
});
function harness(receivers: ReceiverConfig[]) {
  const h = alertHarness({ receivers, dashboardUrl: 'https://tidemark.example/' });
  stops.push(() => h.alerts.stop());
  return h;
}
const arrays = (missing: number) =>
  ['md0', 'md1', 'md2'].map((array) => ({ m: 'raid_disks_missing', l: { array }, v: missing }));

describe('grouped payloads', () => {
  it('Slack: three degraded arrays of a host are one message listing each with its summary and figure', async () => {
    const h = harness([
      { name: 'slack', type: 'slack', url: `${rx.url}/slack`, group: { waitMs: 300, intervalMs: 0 } },
    ]);
    h.feed(arrays(1), 1);
    await until(() => rx.received.length >= 1, 5000, 'the message');
    await new Promise((r) => setTimeout(r, 500)); // a window for a wrongly split second message
    expect(rx.received).toHaveLength(1);
    const msg = rx.received[0]!.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    const lines = msg.text.split('\n');
    expect(lines[0]).toBe(':red_circle: *CRITICAL* RaidDegraded on db1: 3 firing');
    for (const a of ['md0', 'md1', 'md2'])
      expect(lines).toContain(`md array ${a} on db1 is degraded: 1 disk(s) missing (1 disk(s))`);
    // a head, one section per alert, and the context with the dashboard link
    expect(msg.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'section', 'context']);
    expect(JSON.stringify(msg.blocks.at(-1))).toContain('<https://tidemark.example/?from=');

    h.feed(arrays(0), 1);
    await until(() => rx.received.length >= 2, 5000, 'the resolve message');
    const done = (rx.received[1]!.body as { text: string }).text.split('\n');
    expect(done[0]).toBe(':white_check_mark: *RESOLVED* RaidDegraded on db1: 3 resolved');
    expect(done.slice(1).sort()).toEqual(
      ['md0', 'md1', 'md2'].map((a) => `:white_check_mark: md array ${a} on db1 is whole again`),
    );
  });

  it('PagerDuty is not grouped here: one event per alert instance, each with its own dedup_key', async () => {
    const h = harness([
      { name: 'pd', type: 'pagerduty', url: `${rx.url}/pd`, routingKey: 'K', group: { waitMs: 60_000, intervalMs: 0 } },
    ]);
    h.feed(arrays(1), 1);
    await until(() => rx.received.length >= 3, 5000, 'three events'); // sooner than the (ignored) 60 s wait
    const events = rx.received.map((x) => x.body as { dedup_key: string; payload: { group: string; class: string } });
    expect(new Set(events.map((e) => e.dedup_key)).size).toBe(3);
    // PagerDuty's own alert grouping gathers them into one incident by group (host) and class (rule)
    for (const e of events) expect(e.payload).toMatchObject({ group: 'db1', class: 'RaidDegraded' });
  });

  it('webhook: other hosts and rules are other groups', async () => {
    const h = harness([
      { name: 'hook', type: 'webhook', url: `${rx.url}/hook`, group: { waitMs: 300, intervalMs: 0 } },
    ]);
    h.feed(arrays(1), 1, 1000, 'db1');
    h.feed(arrays(1), 1, 1000, 'db2');
    await until(() => hookEvents(rx).length >= 6, 5000, 'six alerts');
    const posts = rx.received.map((x) => x.body as { groupKey: string; alerts: { labels: { array: string } }[] });
    expect(posts.map((p) => `${p.groupKey} ${p.alerts.map((a) => a.labels.array).join(',')}`).sort()).toEqual([
      'db1/RaidDegraded md0,md1,md2',
      'db2/RaidDegraded md0,md1,md2',
    ]);
  });
});

describe("the notifier's subscription", () => {
  it('tells each subscriber of a queue change until it unsubscribes', async () => {
    const notifier = new Notifier([{ name: 'hook', type: 'webhook', url: `${rx.url}/hook` }], silentLogger, null);
    stops.push(() => notifier.stop());
    let a = 0;
    let b = 0;
    const offA = notifier.subscribe(() => a++);
    notifier.subscribe(() => b++);
    const alert: AlertSnapshot = {
      id: 'x1',
      rule: 'RaidDegraded',
      host: 'db1',
      labels: {},
      severity: 'critical',
      summary: 's',
      description: '',
      runbook: null,
      value: 1,
      valueText: '1',
      facts: [],
      startsAt: 0,
      endsAt: null,
    };
    notifier.enqueue('trigger', alert);
    expect([a, b]).toEqual([1, 1]); // queued
    await until(() => notifier.pending.length === 0, 5000, 'the delivery');
    expect([a, b]).toEqual([2, 2]); // delivered: off the queue
    offA();
    notifier.enqueue('resolve', { ...alert, endsAt: 1 });
    expect([a, b]).toEqual([2, 3]);
  });
});
