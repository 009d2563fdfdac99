import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesRef, WireSample } from '../../../shared/protocol.js';
import { silentLogger } from '../../../shared/log.js';
import { Alerts } from '../../../server/alerts/index.js';
import { defaultRulesDir } from '../../../server/alerts/ruleset.js';
import type { Receiver as ReceiverConfig } from '../../../server/alerts/notify.js';
import type { BatchShape } from '../../../server/alerts/engine.js';
import { hookEvents, useReceiver } from '../../helpers/receiver.js';
import { tempDir, until } from '../../helpers/process.js';

const { receiver, running } = useReceiver<Alerts>();

/** An alert engine on the shipped default rules (or given files), a webhook to the loopback receiver, and a clock the test drives. */
function setup(opts: { rulePaths?: string[]; stateFile?: string | null; receivers?: ReceiverConfig[] } = {}) {
  let now = 1_800_000_000_000;
  const lastSeen = new Map<string, number>();
  const alerts = new Alerts(
    {
      rulePaths: opts.rulePaths ?? [defaultRulesDir()],
      receivers: opts.receivers ?? [{ name: 'hook', type: 'webhook', url: receiver.url }],
      stateFile: opts.stateFile ?? null,
    },
    silentLogger,
    () => lastSeen,
    () => now,
  );
  running.push(alerts);
  return {
    alerts,
    /** Advances the clock by `stepMs` `times` times, sending `samples` each step as host `h`. */
    feed(samples: WireSample[], seconds: number, stepMs = 1000, host = 'db1') {
      for (let i = 0; i < (seconds * 1000) / stepMs; i++) {
        now += stepMs;
        lastSeen.set(host, now);
        alerts.engine.ingest(host, now, samples);
        alerts.engine.tick(now);
      }
    },
    /**
     * As the server feeds batches: one session's series objects reused every second, values in a Float64Array
     * (NaN: null), and the batch's shape (its series-table version and slots) when given.
     */
    feedValues(series: SeriesRef[], values: number[], seconds: number, host = 'db1', shape?: BatchShape) {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        lastSeen.set(host, now);
        alerts.engine.ingestValues(host, now, series, Float64Array.from(values), shape);
        alerts.engine.tick(now);
      }
    },
    idle(seconds: number) {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        alerts.engine.tick(now);
      }
    },
    seen: lastSeen,
    get now() {
      return now;
    },
  };
}

/** Webhook notifications of one alert each, as the receiver saw them (a grouped post counts each of its alerts). */
const events = () => hookEvents(receiver);
const delivered = async (n: number) => {
  await until(() => events().length >= n, 5000, `${n} notifications`);
  await new Promise((r) => setTimeout(r, 50)); // a window for an unexpected extra notification to show up
  return events().map((x) => `${x.kind} ${x.alert.rule}`);
};

/** For each default rule: samples that make it fire, samples that resolve it, and how long each needs. */
const cases: { rule: string; fire: WireSample[]; fireFor: number; clear: WireSample[]; clearFor: number }[] = [
  {
    rule: 'DiskSaturated',
    fire: [{ m: 'disk_saturated', l: { device: 'sdb' }, v: 1 }],
    fireFor: 31,
    clear: [{ m: 'disk_saturated', l: { device: 'sdb' }, v: 0 }],
    clearFor: 61,
  },
  {
    rule: 'IowaitHigh',
    fire: [{ m: 'cpu_iowait_percent', l: { cpu: 'all' }, v: 45 }],
    fireFor: 301,
    clear: [{ m: 'cpu_iowait_percent', l: { cpu: 'all' }, v: 5 }],
    clearFor: 300,
  },
  {
    rule: 'RaidDegraded',
    fire: [{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }],
    fireFor: 1,
    clear: [{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 0 }],
    clearFor: 1,
  },
  {
    rule: 'RaidRebuilding',
    fire: [{ m: 'raid_sync_running', l: { array: 'md0', action: 'recovery' }, v: 1 }],
    fireFor: 1,
    clear: [{ m: 'raid_sync_running', l: { array: 'md0', action: 'recovery' }, v: 0 }],
    clearFor: 1,
  },
  {
    rule: 'MongodLockWaitHigh',
    fire: [{ m: 'mongod_lock_percent', l: { kind: 'wait' }, v: 80 }],
    fireFor: 121,
    clear: [{ m: 'mongod_lock_percent', l: { kind: 'wait' }, v: 1 }],
    clearFor: 61,
  },
  {
    rule: 'MongodOperationsQueued',
    fire: [{ m: 'mongod_queued', l: { op: 'total' }, v: 40 }],
    fireFor: 61,
    clear: [{ m: 'mongod_queued', l: { op: 'total' }, v: 0 }],
    clearFor: 1,
  },
  {
    rule: 'MongodTicketsExhausted',
    fire: [{ m: 'mongod_tickets_util_percent', l: { op: 'write' }, v: 100 }],
    fireFor: 31,
    clear: [{ m: 'mongod_tickets_util_percent', l: { op: 'write' }, v: 20 }],
    clearFor: 1,
  },
  { rule: 'MongodDown', fire: [{ m: 'mongod_up', v: 0 }], fireFor: 16, clear: [{ m: 'mongod_up', v: 1 }], clearFor: 1 },
  {
    rule: 'ReplsetNoPrimary',
    fire: [{ m: 'replset_has_primary', l: { set: 'rs' }, v: 0 }],
    fireFor: 31,
    clear: [{ m: 'replset_has_primary', l: { set: 'rs' }, v: 1 }],
    clearFor: 1,
  },
  {
    rule: 'ReplsetFaultToleranceLow',
    fire: [{ m: 'replset_live_fault_tolerance', l: { set: 'rs' }, v: 0 }],
    fireFor: 61,
    clear: [{ m: 'replset_live_fault_tolerance', l: { set: 'rs' }, v: 1 }],
    clearFor: 1,
  },
  {
    rule: 'LogPathInvalid',
    fire: [{ m: 'logpath_check_ok', l: { check: 'mongod-config' }, v: 0 }],
    fireFor: 1,
    clear: [{ m: 'logpath_check_ok', l: { check: 'mongod-config' }, v: 1 }],
    clearFor: 1,
  },
  {
    rule: 'LogrotateCheckFailing',
    fire: [{ m: 'logpath_check_ok', l: { check: 'logrotate' }, v: 0 }],
    fireFor: 1,
    clear: [{ m: 'logpath_check_ok', l: { check: 'logrotate' }, v: 1 }],
    clearFor: 1,
  },
];

describe('every default rule fires and resolves', () => {
  it.each(cases)('$rule', async (c) => {
    const t = setup();
    t.feed(c.fire, c.fireFor - 1 > 0 ? c.fireFor - 1 : 0);
    // one step short of `for`: still pending, nothing sent
    if (c.fireFor > 1) expect(t.alerts.engine.list().map((a) => `${a.rule}:${a.state}`)).toEqual([`${c.rule}:pending`]);
    t.feed(c.fire, 1);
    expect(t.alerts.engine.list().map((a) => `${a.rule}:${a.state}`)).toEqual([`${c.rule}:firing`]);
    t.feed(c.clear, c.clearFor);
    expect(t.alerts.engine.list()).toEqual([]);
    expect(await delivered(2)).toEqual([`trigger ${c.rule}`, `resolve ${c.rule}`]);
    expect(events()[0]!.alert.id).toBe(events()[1]!.alert.id);
  });

  it('RaidMismatchGrowing: only parity arrays, only while the count grows', async () => {
    const t = setup();
    // raid1 mismatches grow: no alert
    for (let i = 0; i < 5; i++)
      t.feed([{ m: 'raid_mismatch_cnt', l: { array: 'md1', level: 'raid1' }, v: 128 * i }], 60);
    expect(t.alerts.engine.list()).toEqual([]);
    // raid6 grows from 0 to 256 within the window
    t.feed([{ m: 'raid_mismatch_cnt', l: { array: 'md2', level: 'raid6' }, v: 0 }], 60);
    t.feed([{ m: 'raid_mismatch_cnt', l: { array: 'md2', level: 'raid6' }, v: 256 }], 1);
    expect(t.alerts.engine.list().map((a) => a.rule)).toEqual(['RaidMismatchGrowing']);
    // flat for more than 30 minutes: the window holds no growth, so it resolves
    t.feed([{ m: 'raid_mismatch_cnt', l: { array: 'md2', level: 'raid6' }, v: 256 }], 31 * 60, 10_000);
    expect(t.alerts.engine.list()).toEqual([]);
    expect(await delivered(2)).toEqual(['trigger RaidMismatchGrowing', 'resolve RaidMismatchGrowing']);
  });

  it('AgentSilent: fires after 30 s without data and resolves when the agent is back', async () => {
    const t = setup();
    // past the 30 s reconnect grace after the engine's start (see test/server/alerts/staleness.test.ts)
    t.feed([{ m: 'disk_saturated', l: { device: 'sda' }, v: 0 }], 35);
    t.idle(29);
    expect(t.alerts.engine.list()).toEqual([]);
    t.idle(2);
    expect(t.alerts.engine.list().map((a) => `${a.rule} ${a.state} ${a.host} ${a.summary}`)).toEqual([
      'AgentSilent firing db1 no data from db1 for 31 s',
    ]);
    t.feed([{ m: 'disk_saturated', l: { device: 'sda' }, v: 0 }], 1);
    expect(await delivered(2)).toEqual(['trigger AgentSilent', 'resolve AgentSilent']);
  });
});

describe('batches of one session (the same series objects every second)', () => {
  it('sees each second’s values, and series that appear mid-session', async () => {
    const t = setup();
    const sda: SeriesRef = { m: 'disk_saturated', l: { device: 'sda' } };
    const up: SeriesRef = { m: 'mongod_up' };
    // the session's table: sda 0, mongod_up 1, then sdb 2 (defined mid-session: the version stays)
    const v = (...slots: number[]): BatchShape => ({ version: 7, slots });
    t.feedValues([sda, up], [0, 1], 5, 'db1', v(0, 1));
    t.feedValues([sda, up], [1, 1], 31, 'db1', v(0, 1)); // the same series, new values: sda saturated for 31 s
    expect(t.alerts.engine.list().map((a) => `${a.rule} ${a.labels.device} ${a.state}`)).toEqual([
      'DiskSaturated sda firing',
    ]);
    // A disk appears: the batch names one more series, in the middle. sda has been clear for 61 s (keep_firing_for 1 m).
    const sdb: SeriesRef = { m: 'disk_saturated', l: { device: 'sdb' } };
    t.feedValues([sda, sdb, up], [0, 1, 1], 61, 'db1', v(0, 2, 1));
    t.feedValues([sda, sdb, up], [0, 1, NaN], 16, 'db1', v(0, 2, 1)); // mongod_up null: not "down"
    expect(t.alerts.engine.list().map((a) => `${a.rule} ${a.labels.device} ${a.state}`)).toEqual([
      'DiskSaturated sdb firing',
    ]);
    t.feedValues([sda, sdb, up], [0, 1, 0], 16, 'db1', v(0, 2, 1));
    expect(
      t.alerts.engine
        .list()
        .map((a) => `${a.rule} ${a.labels.device ?? '-'} ${a.state}`)
        .sort(),
    ).toEqual(['DiskSaturated sdb firing', 'MongodDown - firing']);
    await delivered(4);
    // (Notifications are posted concurrently, so they arrive in any order.)
    expect(
      events()
        .map((x) => `${x.kind} ${x.alert.rule} ${x.alert.labels.device ?? '-'}`)
        .sort(),
    ).toEqual([
      'resolve DiskSaturated sda',
      'trigger DiskSaturated sda',
      'trigger DiskSaturated sdb',
      'trigger MongodDown -',
    ]);
  });
});

describe('the plan cache and the series-table version', () => {
  it('a new table version whose slot 0 names another series is planned anew', () => {
    const t = setup();
    const sda: SeriesRef = { m: 'disk_saturated', l: { device: 'sda' } };
    const sdb: SeriesRef = { m: 'disk_saturated', l: { device: 'sdb' } };
    t.feedValues([sda], [1], 31, 'db1', { version: 1, slots: [0] });
    expect(t.alerts.engine.list().map((a) => `${a.labels.device} ${a.state}`)).toEqual(['sda firing']);
    // a reconnect: the new session's table puts sdb at index 0. Were the plan kept by slots alone, sdb's values
    // would land in sda's window: sda would stay firing and sdb never fire.
    t.feedValues([sdb], [1], 31, 'db1', { version: 2, slots: [0] });
    expect(t.alerts.engine.list().map((a) => `${a.labels.device} ${a.state}`)).toEqual(['sdb firing']);
  });
});

describe('paging behaviour', () => {
  const on = [{ m: 'disk_saturated', l: { device: 'sdb' }, v: 1 }];
  const off = [{ m: 'disk_saturated', l: { device: 'sdb' }, v: 0 }];

  it('a value flapping around the threshold pages once (keep_firing_for)', async () => {
    const t = setup();
    t.feed(on, 31);
    for (let i = 0; i < 10; i++) {
      t.feed(off, 20);
      t.feed(on, 10);
    }
    t.feed(off, 61);
    expect(await delivered(2)).toEqual(['trigger DiskSaturated', 'resolve DiskSaturated']);
    await new Promise((r) => setTimeout(r, 200)); // a window in which no further page may come
    expect(events()).toHaveLength(2);
  });

  it('a separate clear condition holds the alert inside the hysteresis band', async () => {
    const t = setup();
    const iowait = (v: number) => [{ m: 'cpu_iowait_percent', l: { cpu: 'all' }, v }];
    t.feed(iowait(50), 301);
    // between clear (< 20) and fire (> 30): stays firing for ten minutes
    t.feed(iowait(25), 600);
    expect(t.alerts.engine.list().map((a) => a.state)).toEqual(['firing']);
    t.feed(iowait(10), 300);
    expect(await delivered(2)).toEqual(['trigger IowaitHigh', 'resolve IowaitHigh']);
  });

  it('a receiver answering 500 gets the notification after a retry', async () => {
    receiver.failNext = 1;
    const t = setup();
    t.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 1);
    expect(await delivered(1)).toEqual(['trigger RaidDegraded']);
    expect(t.alerts.notifier.delivered).toBe(1);
    expect(t.alerts.notifier.pending).toHaveLength(0);
  });

  it('a slow receiver does not hold up evaluation', async () => {
    const hang = await import('node:http').then(({ default: http }) => {
      const s = http.createServer(() => {});
      return new Promise<import('node:http').Server>((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
    });
    const url = `http://127.0.0.1:${(hang.address() as { port: number }).port}`;
    const t = setup({
      receivers: [
        { name: 'slow', type: 'webhook', url },
        { name: 'hook', type: 'webhook', url: receiver.url },
      ],
    });
    const started = performance.now();
    t.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 1);
    t.feed([{ m: 'raid_disks_missing', l: { array: 'md1' }, v: 1 }], 1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await delivered(2)).toEqual(['trigger RaidDegraded', 'trigger RaidDegraded']);
    hang.closeAllConnections();
    hang.close();
  });

  it('a silence holds back an episode, and once it has expired the next episode pages', async () => {
    const t = setup();
    const s = t.alerts.engine.addSilence({
      matchers: [
        { label: 'alertname', value: 'RaidDegraded', regex: false },
        { label: 'host', value: 'db.*', regex: true },
      ],
      startsAt: t.now,
      endsAt: t.now + 120_000,
      comment: 'disk swap',
      createdBy: 'test',
    });
    t.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 10);
    expect(t.alerts.engine.list()[0]).toMatchObject({ state: 'firing', silencedBy: s.id });
    t.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 0 }], 130); // the silence expires
    t.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 2);
    expect(await delivered(1)).toEqual(['trigger RaidDegraded']);
    await new Promise((r) => setTimeout(r, 200)); // a window in which no second trigger may come
    expect(events()).toHaveLength(1);
  });

  it('repeats a firing alert after the repeat interval unless acknowledged', async () => {
    const t = setup();
    const missing = [{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }];
    t.feed(missing, 1);
    t.feed(missing, 4 * 3600, 10_000);
    expect(await delivered(2)).toEqual(['trigger RaidDegraded', 'repeat RaidDegraded']);
    expect(t.alerts.engine.ack(t.alerts.engine.list()[0]!.id)).toBe(true);
    t.feed(missing, 5 * 3600, 10_000);
    await new Promise((r) => setTimeout(r, 200)); // a window for a wrong repeat to show up before the count
    // the acknowledgement itself is told (webhooks and PagerDuty), and nothing repeats after it
    expect(await delivered(3)).toEqual(['trigger RaidDegraded', 'repeat RaidDegraded', 'acknowledge RaidDegraded']);
  });

  it('a restart mid-incident neither re-triggers nor loses the resolve', async () => {
    const stateFile = path.join(tempDir(), 'alerts-state.json');
    const first = setup({ stateFile });
    first.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 5);
    expect(await delivered(1)).toEqual(['trigger RaidDegraded']);
    first.alerts.stop(); // saves
    const second = setup({ stateFile });
    expect(second.alerts.engine.list().map((a) => `${a.rule}:${a.state}`)).toEqual(['RaidDegraded:firing']);
    second.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 5);
    second.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 0 }], 1);
    expect(await delivered(2)).toEqual(['trigger RaidDegraded', 'resolve RaidDegraded']);
    expect(events()[1]!.alert.id).toBe(events()[0]!.alert.id);
  });
});

describe('rule files', () => {
  it('a bad file keeps the previous rules and says why', () => {
    const dir = tempDir();
    const file = path.join(dir, 'custom.yaml');
    writeFileSync(file, 'rules:\n  - name: Custom\n    when: { metric: disk_util_percent, op: ">", value: 99 }\n');
    const t = setup({ rulePaths: [dir] });
    expect(t.alerts.ruleSet.rules().map((r) => r.name)).toEqual(['Custom']);
    writeFileSync(file, 'rules:\n  - name: Custom\n    when: { metric: disk_util_percent, op: ">", value: high }\n');
    t.alerts.ruleSet.reload();
    expect(t.alerts.ruleSet.rules().map((r) => r.name)).toEqual(['Custom']);
    expect(t.alerts.ruleSet.status()[0]).toMatchObject({
      keptPrevious: true,
      errors: [{ line: 3, message: 'when needs a numeric value to compare with' }],
    });
  });
});
