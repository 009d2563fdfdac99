import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesRef } from '../../../shared/protocol.js';
import { AlertEngine } from '../../../server/alerts/engine.js';
import { parseRules } from '../../../server/alerts/rules.js';
import type { HostWindows } from '../../../server/alerts/windows.js';
import { drivenEngine } from '../../helpers/engine-drive.js';
import { tempDir } from '../../helpers/process.js';

/**
 * An alert's id is made when it opens and kept on its window only while it is
 * open (server/alerts/links.ts): the ids the API and receivers see, staleness
 * and restored alerts are as they were when every window kept an id per rule.
 */
const { rules } = parseRules(
  `rules:
  - name: RaidDegraded
    when: { metric: raid_disks_missing, op: '>', value: 0 }
`,
  'links.yaml',
);
const T0 = 1_800_000_000_000;
const md = (array: string): SeriesRef => ({ m: 'raid_disks_missing', l: Object.freeze({ array }) });

/** An engine on RaidDegraded, its clock, and a feed of one batch a second of host db1 (values per series). */
function setup(stateFile: string | null = null, start = T0) {
  let now = start;
  const seen = new Map<string, number>();
  const { engine, said } = drivenEngine(
    AlertEngine,
    () => rules,
    () => now,
    seen,
    { stateFile },
  );
  const shape = (series: SeriesRef[]) => ({ version: series.length, slots: series.map((_, i) => i) });
  return {
    engine,
    said,
    feed(series: SeriesRef[], values: number[], seconds: number) {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        seen.set('db1', now);
        engine.ingestValues('db1', now, series, Float64Array.from(values), shape(series));
        engine.tick(now);
      }
    },
    get now() {
      return now;
    },
    states: () => engine.list().map((a) => `${a.rule} ${a.labels.array} ${a.state}`),
    /** Every window's open links (null: none). */
    links: () => {
      const windows = (engine as unknown as { windows: HostWindows }).windows;
      return [...(windows.get('db1')?.get('raid_disks_missing')?.series.values() ?? [])].map((w) => w.open);
    },
    /** Notifications as kind, rule, array and how it resolved. */
    told: () =>
      said.map((s) => {
        const [kind, a] = JSON.parse(s) as [string, { rule: string; labels: { array: string }; resolvedBy?: string }];
        return `${kind} ${a.rule} ${a.labels.array}${a.resolvedBy ? ` ${a.resolvedBy}` : ''}`;
      }),
  };
}

/** The id the README documents: sha-256 of rule, host and series key (labels sorted), NUL-separated, 32 hex digits. */
const idOf = (rule: string, host: string, key: string) =>
  createHash('sha256').update(`${rule}\u0000${host}\u0000${key}`).digest('hex').slice(0, 32);

describe('alert ids made when an alert opens', () => {
  it('are the documented ids, in the API and the pages, and only an open alert holds one', () => {
    const h = setup();
    const [md0, md1] = [md('md0'), md('md1')];
    h.feed([md0, md1], [0, 0], 3);
    expect(h.links()).toEqual([null, null]); // healthy: no window holds an id
    h.feed([md0, md1], [1, 0], 1);
    const id = idOf('RaidDegraded', 'db1', '{array="md0"}');
    expect(h.engine.list().map((a) => [a.id, a.state])).toEqual([[id, 'firing']]);
    expect(h.links()).toEqual([['RaidDegraded', id], null]);
    expect((JSON.parse(h.said[0]!) as [string, { id: string }])[1].id).toBe(id);
    h.feed([md0, md1], [0, 0], 1);
    expect(h.links()).toEqual([null, null]); // resolved: the link goes with it
    expect(h.told()).toEqual(['trigger RaidDegraded md0', 'resolve RaidDegraded md0 condition']);
  });

  it('staleness resolves the alert of a window gone quiet, not its neighbour, and it can fire again', () => {
    const h = setup();
    const [md0, md1] = [md('md0'), md('md1')];
    h.feed([md0, md1], [1, 1], 2);
    expect(h.states()).toEqual(['RaidDegraded md0 firing', 'RaidDegraded md1 firing']);
    // md0 stops arriving: stale after 5 sampling intervals (5 s), while md1 keeps firing.
    h.feed([md1], [1], 6);
    expect(h.states()).toEqual(['RaidDegraded md1 firing']);
    expect(h.links()).toEqual([null, ['RaidDegraded', idOf('RaidDegraded', 'db1', '{array="md1"}')]]);
    h.feed([md0, md1], [1, 1], 1);
    expect(h.states()).toEqual(['RaidDegraded md1 firing', 'RaidDegraded md0 firing']);
    expect(h.told()).toEqual([
      'trigger RaidDegraded md0',
      'trigger RaidDegraded md1',
      'resolve RaidDegraded md0 stale',
      'trigger RaidDegraded md0',
    ]);
  });

  it('a restored alert rests on its window again: it resolves when its condition clears, not when it goes stale', () => {
    const file = path.join(tempDir(), 'state.json');
    const first = setup(file);
    first.feed([md('md0')], [1], 2);
    expect(first.states()).toEqual(['RaidDegraded md0 firing']);
    expect(first.engine.saveNow()).toBe(true);
    first.engine.stop();
    // Restarted: an alert resting on no window would sit out the 30 s reconnect grace, then go stale.
    const second = setup(file, first.now + 10_000);
    expect(second.states()).toEqual(['RaidDegraded md0 firing']);
    second.feed([md('md1'), md('md0')], [0, 1], 2); // a new session's table: md0 is the second series now
    expect(second.states()).toEqual(['RaidDegraded md0 firing']);
    second.feed([md('md1'), md('md0')], [0, 0], 1);
    expect(second.states()).toEqual([]);
    expect(second.told()).toEqual(['resolve RaidDegraded md0 condition']);
    second.engine.stop();
  });
});

describe('the labels of a window', () => {
  it('are the batch’s own object when frozen (shared by every host), else a copy', () => {
    const h = setup();
    const frozen = md('md0');
    const open: SeriesRef = { m: 'raid_disks_missing', l: { array: 'md1' } };
    h.feed([frozen, open], [0, 0], 1);
    const kept = h.engine.keptSeries('db1');
    expect(kept[0]!.labels).toBe(frozen.l);
    expect(kept[1]!.labels).not.toBe(open.l);
    open.l!.array = 'changed'; // the caller's object changes: the window's does not
    expect(kept[1]!.labels).toEqual({ array: 'md1' });
  });
});
