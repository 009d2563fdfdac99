import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesRef } from '../../../shared/protocol.js';
import { silentLogger } from '../../../shared/log.js';
import { Alerts } from '../../../server/alerts/index.js';
import { hookEvents, useReceiver } from '../../helpers/receiver.js';
import { tempDir, until } from '../../helpers/process.js';

const { receiver, running } = useReceiver<Alerts>();

/** A rule on iowait averaged over 10 s above 30 for 5 s, selecting the CPUs `match` names. */
const rule = (match: string) => `rules:
  - name: IowaitTest
    severity: warning
    when: { metric: cpu_iowait_percent, match: { cpu: '${match}' }, fn: avg, over: 10s, op: '>', value: 30 }
    for: 5s
    summary: 'iowait on {{host}}'
`;

/** An engine on one rule file, fed as the server feeds it (one session's series, a Float64Array, a shape). */
function setup(match: string) {
  const dir = tempDir();
  const file = path.join(dir, 'iowait.yaml');
  writeFileSync(file, rule(match));
  let now = 1_800_000_000_000;
  const alerts = new Alerts(
    { rulePaths: [file], receivers: [{ name: 'hook', type: 'webhook', url: receiver.url }], stateFile: null },
    silentLogger,
    () => new Map(),
    () => now,
  );
  running.push(alerts);
  const cpu = (c: string): SeriesRef => ({ m: 'cpu_iowait_percent', l: { cpu: c } });
  const series = [cpu('all'), cpu('0'), cpu('1'), { m: 'mongod_up' }];
  const shape = { version: 1, slots: [0, 1, 2, 3] };
  return {
    alerts,
    /** `seconds` batches of [all, cpu 0, cpu 1, mongod_up] at 1 s. */
    feed(values: number[], seconds: number) {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        alerts.engine.ingestValues('db1', now, series, Float64Array.from(values), shape);
        alerts.engine.tick(now);
      }
    },
    reload(match: string) {
      writeFileSync(file, rule(match));
      alerts.ruleSet.reload();
    },
    kept: () =>
      alerts.engine
        .keptSeries('db1')
        .map((s) => `${s.metric} ${s.labels.cpu}`)
        .sort(),
    firing: () =>
      alerts.engine
        .list()
        .filter((a) => a.state === 'firing')
        .map((a) => a.labels.cpu)
        .sort(),
  };
}

const events = async (n: number) => {
  await until(() => hookEvents(receiver).length >= n, 5000, `${n} notifications`);
  await new Promise((r) => setTimeout(r, 50)); // room for an unexpected extra one
  return hookEvents(receiver).map((e) => `${e.kind} ${e.alert.labels.cpu}`);
};

describe('windows only for the series a rule selects', () => {
  it('keeps no window for per-CPU series the rule does not select, and still fires and resolves on cpu="all"', async () => {
    const t = setup('all');
    // all at 50 (avg 50 > 30 from the first batch: pending, firing once 5 s have passed, i.e. at the 6th batch);
    // the per-CPU series at 90 would fire too were they read.
    t.feed([50, 90, 90, 1], 5);
    expect(t.kept()).toEqual(['cpu_iowait_percent all']);
    expect(t.firing()).toEqual([]);
    t.feed([50, 90, 90, 1], 1);
    expect(t.firing()).toEqual(['all']);
    t.feed([50, 90, 90, 1], 6); // 12 samples of 50 now: the 10 s range is full of them
    // all at 0: over 10 s (11 samples at 1 s, both ends counted) the average is 50·(11 − k)/11 after k zeros,
    // at most 30 from k = 5 on (50·6/11 = 27.3; at k = 4, 50·7/11 = 31.8 still holds).
    t.feed([0, 90, 90, 1], 4);
    expect(t.firing()).toEqual(['all']);
    t.feed([0, 90, 90, 1], 1);
    expect(t.firing()).toEqual([]);
    expect(await events(2)).toEqual(['trigger all', 'resolve all']);
    expect(t.kept()).toEqual(['cpu_iowait_percent all']);
  });

  it('starts windows for the newly selected series when the rule is reloaded with a wider matcher', async () => {
    const t = setup('all');
    t.feed([10, 10, 90, 1], 10);
    expect(t.kept()).toEqual(['cpu_iowait_percent all']);
    t.reload('~.*');
    // cpu 1's window starts at the reload: its first average is 90, it fires after 5 s (the 6th batch).
    t.feed([10, 10, 90, 1], 5);
    expect(t.kept()).toEqual(['cpu_iowait_percent 0', 'cpu_iowait_percent 1', 'cpu_iowait_percent all']);
    expect(t.firing()).toEqual([]);
    t.feed([10, 10, 90, 1], 1);
    expect(t.firing()).toEqual(['1']);
    // Narrowed again: cpu 1 is read by no rule; its alert resolves (the rule's series are no longer evaluated
    // there, so it goes stale) and it is fed no more.
    t.reload('all');
    t.feed([10, 10, 90, 1], 10);
    expect(t.firing()).toEqual([]);
    expect(await events(2)).toEqual(['trigger 1', 'resolve 1']);
  });
});
