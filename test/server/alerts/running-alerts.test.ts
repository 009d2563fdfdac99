import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesRef } from '../../../shared/protocol.js';
import { silentLogger } from '../../../shared/log.js';
import { Alerts } from '../../../server/alerts/index.js';
import { PlanCache } from '../../../server/alerts/plan.js';
import { parseRules } from '../../../server/alerts/rules.js';
import type { HostWindows } from '../../../server/alerts/windows.js';
import { hookEvents, useReceiver } from '../../helpers/receiver.js';
import { tempDir, until } from '../../helpers/process.js';

const { receiver, running } = useReceiver<Alerts>();

const DIRTY: SeriesRef = { m: 'mongod_wt_cache_dirty_percent' };
const USED: SeriesRef = { m: 'mongod_wt_cache_used_percent' };
const EVICTIONS: SeriesRef = { m: 'mongod_wt_app_evictions_per_s' };

/**
 * An engine on one rule file, fed one batch a second as the server feeds it
 * (one session's series, a Float64Array, a shape), noting after each batch
 * (numbered from 1) every alert that went pending, fired or went away.
 */
function setup(rules: string) {
  const file = path.join(tempDir(), 'rules.yaml');
  writeFileSync(file, `rules:\n${rules}`);
  let now = 1_800_000_000_000;
  const alerts = new Alerts(
    { rulePaths: [file], receivers: [{ name: 'hook', type: 'webhook', url: receiver.url }], stateFile: null },
    silentLogger,
    () => new Map(),
    () => now,
  );
  running.push(alerts);
  const series = [DIRTY, USED, EVICTIONS];
  const shape = { version: 1, slots: [0, 1, 2] };
  let batch = 0;
  const was = new Map<string, string>();
  const changes: string[] = [];
  return {
    changes,
    /** One batch of [dirty, used, evictions] (NaN: null). */
    feed(values: [number, number, number]) {
      now += 1000;
      batch++;
      alerts.engine.ingestValues('db1', now, series, Float64Array.from(values), shape);
      alerts.engine.tick(now);
      const is = new Map(alerts.engine.list().map((a) => [a.rule, a.state as string]));
      for (const rule of new Set([...was.keys(), ...is.keys()]))
        if (was.get(rule) !== is.get(rule)) changes.push(`${batch} ${rule} ${is.get(rule) ?? 'gone'}`);
      was.clear();
      for (const [k, v] of is) was.set(k, v);
    },
  };
}

const events = async (n: number) => {
  await until(() => hookEvents(receiver).length >= n, 5000, `${n} notifications`);
  await new Promise((r) => setTimeout(r, 50)); // room for an unexpected extra one
  return hookEvents(receiver).map((e) => `${e.kind} ${e.alert.rule}`);
};

describe('alerts on running aggregates fire and resolve where the arithmetic says', () => {
  it('avg over 60 s with a clear condition and for: 10 s', async () => {
    const t = setup(`  - name: DirtyHigh
    when: { metric: mongod_wt_cache_dirty_percent, fn: avg, over: 60s, op: '>', value: 30 }
    clear: { metric: mongod_wt_cache_dirty_percent, fn: avg, over: 60s, op: '<', value: 20 }
    for: 10s
`);
    // 60 s at 1 s holds 61 samples. After 100 of 10, k of 70: avg = 10 + 60k/61, above 30 from k = 21
    // (30.66; k = 20 gives 29.67): pending at batch 121, firing 10 s later at 131.
    for (let b = 1; b <= 100; b++) t.feed([10, 0, 0]);
    for (let b = 101; b <= 170; b++) t.feed([70, 0, 0]);
    // Then j zeros: avg = 70·(61 − j)/61, below 20 from j = 44 (19.51; j = 43 gives 20.66): resolves at 214.
    for (let b = 171; b <= 230; b++) t.feed([0, 0, 0]);
    expect(t.changes).toEqual(['121 DirtyHigh pending', '131 DirtyHigh firing', '214 DirtyHigh gone']);
    expect(await events(2)).toEqual(['trigger DirtyHigh', 'resolve DirtyHigh']);
  });

  it('min over 30 s, through nulls: a low value holds the alert off for exactly the range', async () => {
    const t = setup(`  - name: UsedHigh
    when: { metric: mongod_wt_cache_used_percent, fn: min, over: 30s, op: '>', value: 50 }
`);
    // 80 with a null every 5th batch: the min is 80 (nulls count for nothing); no for: firing at once.
    // A 40 at batch 52 resolves it; 30 s on, at batch 82, the 40 is still in range (both ends count) and at
    // 83 it has left: firing again.
    for (let b = 1; b <= 100; b++) t.feed([0, b === 52 ? 40 : b % 5 === 0 ? NaN : 80, 0]);
    expect(t.changes).toEqual(['1 UsedHigh firing', '52 UsedHigh gone', '83 UsedHigh firing']);
    expect(await events(3)).toEqual(['trigger UsedHigh', 'resolve UsedHigh', 'trigger UsedHigh']);
  });

  it('max over 20 s with for: 5 s, and rate over 60 s of a counter', async () => {
    const t = setup(`  - name: EvictionSpike
    when: { metric: mongod_wt_app_evictions_per_s, fn: max, over: 20s, op: '>', value: 100 }
    for: 5s
  - name: DirtyClimbing
    when: { metric: mongod_wt_cache_dirty_percent, fn: rate, over: 60s, op: '>', value: 1 }
`);
    // One spike of 150 at batch 10: max > 100 from 10 to 30 (it leaves the 20 s range at 31): pending at 10,
    // firing at 15, gone at 31.
    // dirty rises 0.5 a second to batch 100, then 3 a second: at 100 + m the 60 s range runs from batch
    // 40 + m (20 + 0.5m) to 50 + 3m, rate (30 + 2.5m)/60, above 1 from m = 13 (m = 12 gives exactly 1):
    // firing at 113. Flat at 350 from batch 200: at 200 + n the rate is (180 − 3n)/60, at most 1 from
    // n = 40: gone at 240.
    const dirty = (b: number) => (b <= 100 ? 0.5 * b : b < 200 ? 50 + 3 * (b - 100) : 350);
    for (let b = 1; b <= 260; b++) t.feed([dirty(b), 0, b === 10 ? 150 : 1]);
    expect(t.changes).toEqual([
      '10 EvictionSpike pending',
      '15 EvictionSpike firing',
      '31 EvictionSpike gone',
      '113 DirtyClimbing firing',
      '240 DirtyClimbing gone',
    ]);
    expect((await events(4)).sort()).toEqual([
      'resolve DirtyClimbing',
      'resolve EvictionSpike',
      'trigger DirtyClimbing',
      'trigger EvictionSpike',
    ]);
  });
});

describe('an alert that resolved, true again in the same session', () => {
  it('goes pending and fires again, once, rather than being taken for stale', async () => {
    const t = setup(`  - name: CacheFull
    when: { metric: mongod_wt_cache_used_percent, op: '>', value: 90 }
    for: 5s
`);
    // 95 for 10 batches (pending at 1, firing at 6), 50 for 10 (gone at 11), 95 again from 21: pending at 21,
    // firing at 26. (The engine used to forget the window of an alert as it resolved, so the sweep that follows
    // every batch took the new instance for stale and dropped it: it could never fire again.)
    for (let b = 1; b <= 40; b++) t.feed([0, b > 10 && b <= 20 ? 50 : 95, 0]);
    expect(t.changes).toEqual([
      '1 CacheFull pending',
      '6 CacheFull firing',
      '11 CacheFull gone',
      '21 CacheFull pending',
      '26 CacheFull firing',
    ]);
    expect(await events(3)).toEqual(['trigger CacheFull', 'resolve CacheFull', 'trigger CacheFull']);
  });
});

describe('a series twice in one batch', () => {
  it('gets one window, fed from its first sample as the store keeps it, and no ring besides', () => {
    const { rules } = parseRules(
      `rules:
  - name: DirtyHigh
    when: { metric: mongod_wt_cache_dirty_percent, fn: avg, over: 60s, op: '>', value: 30 }
`,
      'dup.yaml',
    );
    const windows: HostWindows = new Map();
    const plans = new PlanCache(
      windows,
      () => {},
      () => ({ cadence: { ts: NaN, intervalMs: 1000 }, open: { n: 0 } }),
    );
    // An indexed batch naming the dirty series twice (slots 0 and 2), as a session's table may.
    const batch = [DIRTY, USED, { m: DIRTY.m }];
    const plan = plans.get('db1', rules, batch, { version: 1, slots: [0, 1, 0] }, 0);
    expect(plan.slab.rings).toBe(1);
    expect([...plan.from]).toEqual([0]);
    expect(windows.get('db1')!.get(DIRTY.m)!.series.size).toBe(1);
    // A new shape for the same session (version 2) plans again: still the one ring.
    const again = plans.get('db1', rules, batch, { version: 2, slots: [0, 1, 0] }, 0);
    expect(again.slab.rings).toBe(1);
    expect([...again.rings]).toEqual([...plan.rings]);
    expect(again.evals).toHaveLength(1);
  });
});
