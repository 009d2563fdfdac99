import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WireSample } from '../../../shared/protocol.js';
import { alertHarness } from '../../helpers/alert-harness.js';
import type { Alerts } from '../../../server/alerts/index.js';
import { hookEvents, useReceiver } from '../../helpers/receiver.js';
import { tempDir, until } from '../../helpers/process.js';

/**
 * A null sample is unknown, not false (ARCHITECTURE.md "Trustworthy alerts"):
 * an agent reports null for a figure it cannot know (a down mongod's
 * replica-set view). An unknown evaluation moves no alert; a figure unknown
 * past the staleness bound (5 of the host's 1 s intervals here) resolves its
 * alert as stale, never as "the condition cleared". The shipped
 * ReplsetNoPrimary rule: replset_has_primary < 1 for 30 s.
 */
const { receiver, running } = useReceiver<Alerts>();
function harness(opts: { rulePaths?: string[] } = {}) {
  const h = alertHarness({ receivers: [{ name: 'hook', type: 'webhook', url: receiver.url }], ...opts });
  running.push(h.alerts);
  return h;
}
const got = async (n: number) => {
  await until(() => hookEvents(receiver).length >= n, 5000, `${n} notifications`);
  await new Promise((r) => setTimeout(r, 50)); // a window for an unexpected extra notification to show up
  return hookEvents(receiver);
};
const said = (events: Awaited<ReturnType<typeof got>>) =>
  events.map((b) => `${b.kind} ${b.alert.rule}${b.alert.resolvedBy ? ` ${b.alert.resolvedBy}` : ''}`);

const primary = (v: number | null): WireSample => ({ m: 'replset_has_primary', l: { set: 'rs0' }, v });
const AGAIN = 'replica set rs0 (seen from db1) has a primary again';

describe('a null sample under a firing alert', () => {
  it('keeps the alert firing while the figure is unknown within the staleness bound', async () => {
    const h = harness();
    h.feed([primary(0)], 31);
    expect(h.states()).toEqual(['ReplsetNoPrimary firing']);
    h.feed([primary(null)], 4); // 4 s unknown < 5 × 1 s
    expect(h.states()).toEqual(['ReplsetNoPrimary firing']);
    expect(said(await got(1))).toEqual(['trigger ReplsetNoPrimary']);
  });

  it('resolves it as stale, not by its condition, once unknown past the staleness bound', async () => {
    const h = harness();
    h.feed([primary(0)], 31);
    h.feed([primary(null)], 4);
    expect(h.states()).toEqual(['ReplsetNoPrimary firing']);
    h.feed([primary(null)], 2); // 6 s since the last known value > 5 s
    expect(h.states()).toEqual([]);
    const events = await got(2);
    expect(said(events)).toEqual(['trigger ReplsetNoPrimary', 'resolve ReplsetNoPrimary stale']);
    const resolve = events[1]!.alert;
    expect(resolve.summary).not.toBe(AGAIN);
    expect(resolve.summary).toBe('No longer known (no data): replica set rs0 (seen from db1) has no primary');
    expect(resolve.valueText).toBe('unknown (last known: no)');
  });

  it('resolves it by its condition when a known value that fails it follows the nulls', async () => {
    const h = harness();
    h.feed([primary(0)], 31);
    h.feed([primary(null)], 3);
    expect(h.states()).toEqual(['ReplsetNoPrimary firing']);
    h.feed([primary(1)], 1);
    expect(h.states()).toEqual([]);
    const events = await got(2);
    expect(said(events)).toEqual(['trigger ReplsetNoPrimary', 'resolve ReplsetNoPrimary condition']);
    expect(events[1]!.alert.summary).toBe(AGAIN);
  });
});

describe('a null sample under a pending or no alert', () => {
  it('neither fires nor drops a pending alert; its next known value decides', () => {
    const h = harness();
    h.feed([primary(0)], 29); // pending since the first sample
    expect(h.states()).toEqual(['ReplsetNoPrimary pending']);
    h.feed([primary(null)], 3); // `for` is up, but nothing is known
    expect(h.states()).toEqual(['ReplsetNoPrimary pending']);
    h.feed([primary(0)], 1); // known again and still true: 33 s since it became true
    expect(h.states()).toEqual(['ReplsetNoPrimary firing']);
  });

  it('drops a pending alert whose figure stays unknown past the staleness bound, telling nobody', async () => {
    const h = harness();
    h.feed([primary(0)], 20);
    h.feed([primary(null)], 6);
    expect(h.states()).toEqual([]);
    h.feed([primary(0)], 5); // true again: pending anew, `for` counts from here
    expect(h.states()).toEqual(['ReplsetNoPrimary pending']);
    await new Promise((r) => setTimeout(r, 100));
    expect(hookEvents(receiver)).toEqual([]);
  });

  it('never opens an alert on a figure that is only ever unknown', async () => {
    const h = harness();
    h.feed([primary(null)], 60);
    expect(h.states()).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(hookEvents(receiver)).toEqual([]);
  });
});

describe('a range function over nulls', () => {
  it('is unknown when its range holds no known value: the alert keeps firing until stale', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'avg.yaml'),
      'rules:\n  - name: LockHigh\n    when: { metric: mongod_lock_percent, fn: avg, over: 2s, op: ">", value: 50 }\n',
    );
    const h = harness({ rulePaths: [dir] });
    const lock = (v: number | null): WireSample => ({ m: 'mongod_lock_percent', l: {}, v });
    h.feed([lock(80)], 3);
    expect(h.states()).toEqual(['LockHigh firing']);
    h.feed([lock(null)], 4); // the 2 s range holds only nulls: unknown, not "below 50"
    expect(h.states()).toEqual(['LockHigh firing']);
    h.feed([lock(null)], 2);
    expect(h.states()).toEqual([]);
    expect(said(await got(2))).toEqual(['trigger LockHigh', 'resolve LockHigh stale']);
  });
});

describe('a joined condition with an unknown part', () => {
  const rule =
    'rules:\n  - name: BusyWhileRebuilding\n    when: { all: [ { metric: raid_disks_missing, op: ">=", value: 0 }, { metric: raid_sync_running, op: ">=", value: 1 } ] }\n';
  const missing = (v: number): WireSample => ({ m: 'raid_disks_missing', l: { array: 'md0' }, v });
  const sync = (v: number | null): WireSample => ({
    m: 'raid_sync_running',
    l: { array: 'md0', action: 'recovery' },
    v,
  });

  it('is unknown while no part is false (all: true and unknown), and false as soon as one is', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'join.yaml'), rule);
    const h = harness({ rulePaths: [dir] });
    h.feed([missing(0), sync(1)], 3);
    expect(h.states()).toEqual(['BusyWhileRebuilding firing']);
    h.feed([missing(0), sync(null)], 3); // true and unknown: unknown, it keeps firing
    expect(h.states()).toEqual(['BusyWhileRebuilding firing']);
    h.feed([missing(-1), sync(null)], 1); // false and unknown: false, whatever the unknown part
    expect(h.states()).toEqual([]);
    expect(said(await got(2))).toEqual(['trigger BusyWhileRebuilding', 'resolve BusyWhileRebuilding condition']);
  });
  it('resolves as stale, not by its condition, once the unknown part is unknown past the staleness bound', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'join.yaml'), rule);
    const h = harness({ rulePaths: [dir] });
    h.feed([missing(0), sync(1)], 3);
    h.feed([missing(0), sync(null)], 8); // the sync part unknown for 8 s > 5 × 1 s: only its going stale ends it
    expect(h.states()).toEqual([]);
    const events = await got(2);
    expect(said(events)).toEqual(['trigger BusyWhileRebuilding', 'resolve BusyWhileRebuilding stale']);
    expect(events[1]!.alert.summary).toMatch(/^No longer known \(no data\): /);
  });
});
