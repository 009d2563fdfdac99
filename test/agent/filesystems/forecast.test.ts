import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { History, linearFit, NOT_FILLING_SECONDS, timeToFullSeconds } from '../../../agent/filesystems/forecast.js';
import { deviceChain } from '../../../agent/filesystems/chain.js';
import { mountOf } from '../../../agent/collectors/filesystems.js';
import { parseMountTable } from '../../../agent/fs/mounts.js';
import { tempDir } from '../../helpers/process.js';

const T0 = 1_700_000_000_000; // any epoch: the fit is centred, so large timestamps lose no precision

describe('time to full', () => {
  it('fits a line by least squares', () => {
    // points (0,10) (1,8) (2,7) (3,3) s: mean t 1.5, mean v 7; Sxy = -1.5·3 - 0.5·1 + 0.5·0 + 1.5·(-4) = -11, Sxx = 5
    const pts = [10, 8, 7, 3].map((v, i) => ({ t: T0 + i * 1000, v }));
    const fit = linearFit(pts, T0 + 3000)!;
    expect(fit.slope * 1000).toBeCloseTo(-11 / 5, 12); // per second
    expect(fit.valueAt).toBeCloseTo(7 - 2.2 * 1.5, 9); // 3.7 at t = 3 s
    // 3.7 left at 2.2 a second: 1.6818… s
    expect(timeToFullSeconds(pts, T0 + 3000, 2)).toBeCloseTo(3.7 / 2.2, 9);
  });
  it('reads a year when not filling, with too few points, and 0 when already past full', () => {
    const rising = [1, 2, 3].map((v, i) => ({ t: T0 + i * 1000, v }));
    expect(timeToFullSeconds(rising, T0 + 2000, 2)).toBe(NOT_FILLING_SECONDS);
    const falling = [3, 2, 1].map((v, i) => ({ t: T0 + i * 1000, v }));
    expect(timeToFullSeconds(falling, T0 + 2000, 4)).toBe(NOT_FILLING_SECONDS);
    expect(timeToFullSeconds(falling, T0 + 10_000, 2)).toBe(0);
    // 1 byte an hour from 1 TB: ~114 years, capped at one
    const slow = [1e12, 1e12 - 1].map((v, i) => ({ t: T0 + i * 3600_000, v }));
    expect(timeToFullSeconds(slow, T0 + 3600_000, 2)).toBe(NOT_FILLING_SECONDS);
  });
  it('keeps its window and at most its point bound, thinning rather than shortening the span', () => {
    const h = new History(10_000, 8);
    for (let i = 0; i <= 20; i++) h.add(T0 + i * 1000, i);
    expect(h.points[0]!.t).toBeGreaterThanOrEqual(T0 + 10_000);
    expect(h.points.at(-1)!.t).toBe(T0 + 20_000);
    expect(h.points.length).toBeLessThanOrEqual(8);
    const wide = new History(3600_000, 8);
    for (let i = 0; i < 100; i++) wide.add(T0 + i * 1000, i);
    expect(wide.points.length).toBeLessThanOrEqual(8);
    expect(wide.points[0]!.t).toBe(T0); // the span survives thinning
    expect(wide.points.at(-1)!.t).toBe(T0 + 99_000);
  });
});

describe('path → mount → device → md array', () => {
  it('finds the deepest mount and the array members from sysfs', () => {
    const mounts = parseMountTable(
      '/dev/sda1 / ext4 rw 0 0\n/dev/md2 /data xfs rw 0 0\n/dev/md2p1 /data/log xfs rw 0 0\n',
    );
    expect(mountOf('/data/db', mounts)?.device).toBe('/dev/md2');
    expect(mountOf('/data/log/mongod.log', mounts)?.device).toBe('/dev/md2p1');
    expect(mountOf('/var/log', mounts)?.mountPoint).toBe('/');
    const root = tempDir();
    for (const m of ['sdc1', 'sdb1']) mkdirSync(path.join(root, 'sys/block/md2/slaves', m), { recursive: true });
    writeFileSync(path.join(root, 'constructed-tree'), 'made by the test\n');
    expect(deviceChain(root, '/dev/md2')).toEqual({ device: '/dev/md2', array: 'md2', members: ['sdb1', 'sdc1'] });
    expect(deviceChain(root, '/dev/md2p1').array).toBe('md2');
    expect(deviceChain(root, '/dev/sda1')).toEqual({ device: '/dev/sda1', array: null, members: [] });
    expect(deviceChain(root, 'tmpfs')).toEqual({ device: 'tmpfs', array: null, members: [] });
  });
});
