import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesRef } from '../../../shared/protocol.js';
import { silentLogger } from '../../../shared/log.js';
import { Alerts } from '../../../server/alerts/index.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { tempDir, until } from '../../helpers/process.js';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});
const running: Alerts[] = [];
afterEach(() => {
  for (const a of running.splice(0)) a.stop();
  receiver.received.length = 0;
});

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
