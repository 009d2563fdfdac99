import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeriesTable } from '../../../server/store/series-table.js';
import { SqliteStore } from '../../../server/store/sqlite.js';
import { appendSamples } from '../../../server/store/store.js';
import { tempDir } from '../../helpers/process.js';

const table = () => {
  let grownTo = 0;
  const t = new SeriesTable(
    0,
    (n) => (grownTo = Math.max(grownTo, n)),
    () => {},
  );
  return { t, grownTo: () => grownTo };
};

describe('series table (names to numbers, shapes shared across hosts)', () => {
  it('numbers each (host, metric, labels) once, from 1, whatever the order of the labels', () => {
    const { t, grownTo } = table();
    const a = t.idOf('db1', 'disk_util_percent', { device: 'sda' });
    const b = t.idOf('db1', 'disk_util_percent', { device: 'sdb' });
    const c = t.idOf('db2', 'disk_util_percent', { device: 'sda' });
    const d = t.idOf('db1', 'mongod_queued', { op: 'total', x: '1' });
    expect([a, b, c, d]).toEqual([1, 2, 3, 4]);
    expect(t.idOf('db1', 'mongod_queued', { x: '1', op: 'total' })).toBe(d);
    expect(t.idOf('db1', 'disk_util_percent', { device: 'sda' })).toBe(a);
    expect(t.find('db2', 'disk_util_percent', { device: 'sda' })).toBe(c);
    expect(t.find('db3', 'disk_util_percent', { device: 'sda' })).toBeUndefined();
    expect(t.find('db2', 'disk_util_percent', { device: 'sdb' })).toBeUndefined();
    expect([t.count(), t.count('db1'), t.count('db2'), t.count('db3')]).toEqual([4, 3, 1, 0]);
    expect([...t.ids()]).toEqual([1, 2, 3, 4]);
    expect([...t.hostIds('db1')].sort()).toEqual([1, 2, 4]);
    // Ids below 5 are in use: the per-series columns were told to grow that far.
    expect(grownTo()).toBe(5);
    expect(t.has(0)).toBe(false);
    expect(t.has(5)).toBe(false);
  });

  it('gives back what a series is, its labels one frozen object per shape for every host', () => {
    const { t } = table();
    const given = { device: 'sda' };
    const a = t.idOf('db1', 'disk_util_percent', given);
    const b = t.idOf('db2', 'disk_util_percent', { device: 'sda' });
    const none = t.idOf('db1', 'mongod_up', undefined);
    expect(t.info(a)).toEqual({ id: a, host: 'db1', metric: 'disk_util_percent', labels: { device: 'sda' } });
    expect(t.info(b)).toEqual({ id: b, host: 'db2', metric: 'disk_util_percent', labels: { device: 'sda' } });
    expect(t.info(none)).toEqual({ id: none, host: 'db1', metric: 'mongod_up', labels: {} });
    expect(t.info(a)!.labels).toBe(t.info(b)!.labels);
    // A copy: the caller's object stays the caller's.
    expect(t.info(a)!.labels).not.toBe(given);
    given.device = 'sdz';
    expect(t.info(a)!.labels).toEqual({ device: 'sda' });
    expect(Object.isFrozen(t.info(a)!.labels)).toBe(true);
    expect(t.get('db2', 'disk_util_percent', { device: 'sda' })).toEqual(t.info(b));
    expect(t.info(99)).toBeUndefined();
  });

  it('hands new series to the next commit once, with the stored key', () => {
    const { t } = table();
    t.idOf('db1', 'disk_util_percent', { device: 'sda' });
    t.idOf('db1', 'disk_util_percent', { device: 'sda' });
    expect(t.hasCreated).toBe(true);
    expect(t.takeCreated()).toEqual([
      [1, 'db1\u0000disk_util_percent{device="sda"}', 'db1', 'disk_util_percent', '{"device":"sda"}'],
    ]);
    expect(t.hasCreated).toBe(false);
    expect(t.takeCreated()).toEqual([]);
  });

  it('takes series read back from the database under their stored ids, and numbers new ones after them', () => {
    const { t } = table();
    const t2 = new SeriesTable(
      7,
      () => {},
      () => {},
    );
    t2.load(
      { id: 7, host: 'db1', metric: 'disk_util_percent', labels: { device: 'sda' } },
      'db1\u0000disk_util_percent{device="sda"}',
    );
    t2.load({ id: 3, host: 'db2', metric: 'mongod_up', labels: {} }, 'db2\u0000mongod_up');
    expect(t2.find('db1', 'disk_util_percent', { device: 'sda' })).toBe(7);
    expect(t2.find('db2', 'mongod_up', {})).toBe(3);
    expect(t2.idOf('db1', 'disk_util_percent', { device: 'sdb' })).toBe(8);
    expect(t2.hasCreated).toBe(true);
    expect(t.count()).toBe(0);
  });
});

describe('the SQLite store’s series across a restart', () => {
  it('keeps every series’ number, host, labels and newest value, and answers queries per host', async () => {
    const file = path.join(tempDir(), 'h.db');
    const t0 = Date.now() - 60_000;
    let store = new SqliteStore({ file });
    for (let i = 0; i < 5; i++) {
      appendSamples(store, 'db1', t0 + i * 1000, [
        { m: 'disk_util_percent', l: { device: 'sda' }, v: i },
        { m: 'disk_util_percent', l: { device: 'sdb' }, v: 10 + i },
        { m: 'mongod_up', v: 1 },
      ]);
      appendSamples(store, 'db2', t0 + i * 1000, [{ m: 'disk_util_percent', l: { device: 'sda' }, v: 100 + i }]);
    }
    const ids = [
      store.findSeriesId('db1', 'disk_util_percent', { device: 'sda' }),
      store.findSeriesId('db1', 'disk_util_percent', { device: 'sdb' }),
      store.findSeriesId('db1', 'mongod_up', undefined),
      store.findSeriesId('db2', 'disk_util_percent', { device: 'sda' }),
    ];
    expect(ids).toEqual([1, 2, 3, 4]);
    await store.close();

    store = new SqliteStore({ file });
    expect([
      store.findSeriesId('db1', 'disk_util_percent', { device: 'sda' }),
      store.findSeriesId('db1', 'disk_util_percent', { device: 'sdb' }),
      store.findSeriesId('db1', 'mongod_up', {}),
      store.findSeriesId('db2', 'disk_util_percent', { device: 'sda' }),
    ]).toEqual(ids);
    expect([store.seriesCount(), store.seriesCount('db1'), store.seriesCount('db2')]).toEqual([4, 3, 1]);
    expect([...store.latest()]).toEqual([
      { host: 'db1', metric: 'disk_util_percent', labels: { device: 'sda' }, ts: t0 + 4000, value: 4 },
      { host: 'db1', metric: 'disk_util_percent', labels: { device: 'sdb' }, ts: t0 + 4000, value: 14 },
      { host: 'db1', metric: 'mongod_up', labels: {}, ts: t0 + 4000, value: 1 },
      { host: 'db2', metric: 'disk_util_percent', labels: { device: 'sda' }, ts: t0 + 4000, value: 104 },
    ]);
    // A new series after the restart takes the next number; the old ones keep theirs.
    expect(store.seriesId('db3', 'disk_util_percent', { device: 'sda' })).toBe(5);
    const q = (host: string, labels?: Record<string, string>) =>
      store.query({ host, metric: 'disk_util_percent', labels, from: t0, to: t0 + 10_000 });
    expect(q('db1').map((s) => [s.labels, s.points.map((p) => p[1])])).toEqual([
      [{ device: 'sda' }, [0, 1, 2, 3, 4]],
      [{ device: 'sdb' }, [10, 11, 12, 13, 14]],
    ]);
    expect(q('db2').map((s) => [s.labels, s.points.map((p) => p[1])])).toEqual([
      [{ device: 'sda' }, [100, 101, 102, 103, 104]],
    ]);
    expect(q('db1', { device: 'sdb' }).map((s) => s.labels)).toEqual([{ device: 'sdb' }]);
    expect(q('db3')).toEqual([{ metric: 'disk_util_percent', labels: { device: 'sda' }, points: [] }]);
    expect(q('db4')).toEqual([]);
    await store.close();
  });
});

describe('series table with many hosts and shapes', () => {
  it('numbers a shape first reported by a later host for that host only, past every host’s first table size', () => {
    const { t } = table();
    const labels = (i: number) => ({ device: `d${i}` });
    // db1 has 50 series (more than a host's first table holds), db2 the same 50 and 30 more shapes nobody had.
    for (let i = 0; i < 50; i++) expect(t.idOf('db1', 'disk_util_percent', labels(i))).toBe(1 + i);
    for (let i = 0; i < 80; i++) expect(t.idOf('db2', 'disk_util_percent', labels(i))).toBe(51 + i);
    expect(t.find('db1', 'disk_util_percent', labels(60))).toBeUndefined();
    expect(t.find('db2', 'disk_util_percent', labels(60))).toBe(111);
    // db1 takes up a shape db2 brought: a new number, db2's stays.
    expect(t.idOf('db1', 'disk_util_percent', labels(60))).toBe(131);
    expect(t.find('db2', 'disk_util_percent', labels(60))).toBe(111);
    expect([t.count(), t.count('db1'), t.count('db2')]).toEqual([131, 51, 80]);
    expect([...t.hostIds('db1')]).toEqual([...Array.from({ length: 50 }, (_, i) => 1 + i), 131]);
    expect([...t.hostIds('db2')]).toEqual(Array.from({ length: 80 }, (_, i) => 51 + i));
    expect(t.info(131)).toEqual({ id: 131, host: 'db1', metric: 'disk_util_percent', labels: { device: 'd60' } });
  });
});
