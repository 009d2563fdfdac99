import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../../../shared/protocol.js';
import { defaultRulesDir } from '../../../server/alerts/ruleset.js';
import { alertHarness } from '../../helpers/alert-harness.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { tempDir, until } from '../../helpers/process.js';

/**
 * Staleness (README "Alert life cycle"): a series not received for
 * stale_after — by default 5 of its host's sampling intervals, at least 3 s —
 * no longer satisfies a condition, so its alert resolves. Absent-data rules
 * count silence only from 30 s (the agents' longest reconnect backoff) after
 * the engine starts.
 */
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => receiver.close());
const running: { alerts: { stop(): void } }[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.alerts.stop();
  receiver.received.length = 0;
});
function harness(opts: { rulePaths?: string[]; stateFile?: string | null } = {}) {
  const h = alertHarness({ receivers: [{ name: 'hook', type: 'webhook', url: receiver.url }], ...opts });
  running.push(h);
  return h;
}
const got = async (n: number) => {
  await until(() => hookEvents(receiver).length >= n, 5000, `${n} notifications`);
  await new Promise((r) => setTimeout(r, 50)); // a window for an unexpected extra notification to show up
  return hookEvents(receiver).map(
    (b) => `${b.kind} ${b.alert.rule}${b.alert.resolvedBy ? ` ${b.alert.resolvedBy}` : ''}`,
  );
};

const rebuilding: WireSample = { m: 'raid_sync_running', l: { array: 'md0', action: 'recovery' }, v: 1 };
const clean: WireSample = { m: 'raid_disks_missing', l: { array: 'md0' }, v: 0 };

describe('a series that stops arriving', () => {
  it('resolves its alert after 5 sampling intervals, while the host keeps reporting other series', async () => {
    const h = harness();
    h.feed([rebuilding, clean], 35); // past the restart grace, so AgentSilent is in play too
    expect(h.states()).toEqual(['RaidRebuilding firing']);
    h.feed([clean], 4); // 4 s without the series: 4 < 5 × 1 s
    expect(h.states()).toEqual(['RaidRebuilding firing']);
    h.feed([clean], 2); // 6 s > 5 s
    expect(h.states()).toEqual([]);
    expect(await got(2)).toEqual(['trigger RaidRebuilding', 'resolve RaidRebuilding stale']);
  });

  it('scales with the host interval: at 10 s a series is stale after 50 s', () => {
    const h = harness();
    h.feed([rebuilding, clean], 100, 10_000);
    h.feed([clean], 40, 10_000);
    expect(h.states()).toEqual(['RaidRebuilding firing']);
    h.feed([clean], 20, 10_000);
    expect(h.states()).toEqual([]);
  });

  it('a whole host going silent resolves its alerts by staleness and raises AgentSilent', async () => {
    const h = harness();
    h.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 40);
    expect(h.states()).toEqual(['RaidDegraded firing']);
    h.idle(4);
    expect(h.states()).toEqual(['RaidDegraded firing']);
    h.idle(2); // 6 s since the last sample: stale
    expect(h.states()).toEqual([]);
    h.idle(26); // 32 s silent
    expect(h.states()).toEqual(['AgentSilent firing']);
    // (different alerts are posted concurrently: compare sorted)
    expect((await got(3)).sort()).toEqual([
      'resolve RaidDegraded stale',
      'trigger AgentSilent',
      'trigger RaidDegraded',
    ]);
  });

  it('honours a rule’s stale_after', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'slow.yaml'),
      'rules:\n  - name: Rebuild\n    when: { metric: raid_sync_running, op: ">=", value: 1 }\n    stale_after: 20s\n',
    );
    const h = harness({ rulePaths: [dir] });
    h.feed([rebuilding, clean], 5);
    h.feed([clean], 19);
    expect(h.states()).toEqual(['Rebuild firing']);
    h.feed([clean], 2);
    expect(h.states()).toEqual([]);
  });

  it('a stale series satisfies no joined condition', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'join.yaml'),
      'rules:\n  - name: BusyWhileRebuilding\n    when: { all: [ { metric: raid_disks_missing, op: ">=", value: 0 }, { metric: raid_sync_running, op: ">=", value: 1 } ] }\n',
    );
    const h = harness({ rulePaths: [dir] });
    h.feed([rebuilding, clean], 5);
    expect(h.states()).toEqual(['BusyWhileRebuilding firing']);
    h.feed([clean], 6); // raid_disks_missing keeps arriving, raid_sync_running is 6 s old
    expect(h.states()).toEqual([]);
  });

  it('an alert restored from the state file whose series never returns resolves after the grace and staleness', async () => {
    const stateFile = path.join(tempDir(), 'alerts-state.json');
    const first = harness({ stateFile });
    first.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 3);
    first.alerts.stop();
    const second = harness({ stateFile });
    expect(second.states()).toEqual(['RaidDegraded firing']);
    second.idle(34); // 30 s grace + 5 s (the default staleness at an unknown interval of 1 s): not yet
    expect(second.states().filter((s) => s.startsWith('Raid'))).toEqual(['RaidDegraded firing']);
    second.idle(2);
    expect(second.states().filter((s) => s.startsWith('Raid'))).toEqual([]);
    expect(await got(2)).toEqual(['trigger RaidDegraded', 'resolve RaidDegraded stale']);
  });
});

describe('absent-data rules after a server start', () => {
  it('a host last seen before the start gets 30 s of reconnect grace on top of for: 30s', () => {
    const h = harness();
    h.seen.set('db9', h.now - 600_000); // known from history, silent for 10 minutes
    h.idle(59);
    expect(h.states()).toEqual([]);
    h.idle(2);
    expect(h.states()).toEqual(['AgentSilent firing']);
  });

  it('an agent that reconnects within the grace raises nothing', async () => {
    const h = harness();
    h.seen.set('db1', h.now - 20_000); // the server was down 20 s
    h.idle(25);
    h.feed([clean], 60);
    expect(h.states()).toEqual([]);
    await new Promise((r) => setTimeout(r, 100)); // a window in which nothing may be sent
    expect(receiver.received).toEqual([]);
  });
});

describe('retiring a host', () => {
  it('resolves its alerts as retired, and its silence raises nothing until it reports again', async () => {
    const h = harness();
    h.feed([{ m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 }], 35);
    h.idle(40);
    expect(h.states()).toEqual(['AgentSilent firing']);
    expect(h.alerts.engine.retire('db1')).toBe(1);
    expect(h.states()).toEqual([]);
    h.idle(120);
    expect(h.states()).toEqual([]);
    expect(h.alerts.engine.retiredHosts()).toEqual(['db1']);
    expect((await got(4)).sort()).toEqual([
      'resolve AgentSilent retired',
      'resolve RaidDegraded stale',
      'trigger AgentSilent',
      'trigger RaidDegraded',
    ]);
    // the host comes back: no longer retired, and silence counts again
    h.feed([clean], 1);
    expect(h.alerts.engine.retiredHosts()).toEqual([]);
    h.idle(31);
    expect(h.states()).toEqual(['AgentSilent firing']);
  });
});

it('the shipped rules dir is the default', () => expect(defaultRulesDir()).toMatch(/rules$/));
