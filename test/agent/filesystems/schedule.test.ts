import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemsCollector } from '../../../agent/collectors/filesystems.js';
import type { CollectResult } from '../../../agent/collectors/collector.js';
import { NOT_FILLING_SECONDS } from '../../../agent/filesystems/forecast.js';
import { tempDir } from '../../helpers/process.js';

const isRoot = process.getuid?.() === 0;
const T0 = 1_700_000_000_000;

/** A root whose proc/mounts lists `lines` (mount points are real paths: statfs reads them, not the root). */
function rootWithMounts(lines: string[]): string {
  const root = path.join(tempDir('tidemark-fs-schedule-'), 'root');
  mkdirSync(path.join(root, 'proc'), { recursive: true });
  writeFileSync(path.join(root, 'proc/mounts'), lines.map((l) => `${l}\n`).join(''));
  return root;
}

const value = (r: CollectResult, metric: string) => r.samples.find((s) => s.m === metric)?.v;

describe('file systems on a slower schedule (statfs every 10 ticks, spread)', () => {
  it('measures every mount on the first tick, then each once every 10 ticks, spread over them', async () => {
    const dir = tempDir('tidemark-fs-spread-');
    const points = Array.from({ length: 12 }, (_, i) => path.join(dir, `m${i}`));
    for (const p of points) mkdirSync(p);
    const fs = new FilesystemsCollector(rootWithMounts(points.map((p) => `/dev/sdz1 ${p} ext4 rw 0 0`)));
    const first = await fs.collect({ nowMs: T0, monoMs: 0 });
    expect(first.status).toEqual({ name: 'filesystems', state: 'ok' });
    // size, avail, avail %, time to full and inodes free % for each of the 12
    expect(first.samples.filter((s) => s.m === 'fs_avail_bytes')).toHaveLength(12);
    // Gone from now on: a statfs of one fails, so the tick that measures it names it.
    for (const p of points) rmdirSync(p);
    // Mount i was counted as measured i % 10 ticks before tick 1, so it is due on tick 11 - i % 10:
    // m9 on tick 2, m8 on 3, …, m1 and m11 on 10, m0 and m10 on 11.
    const due = (i: number) => 11 - (i % 10);
    for (let tick = 2; tick <= 11; tick++) {
      const r = await fs.collect({ nowMs: T0 + (tick - 1) * 1000, monoMs: (tick - 1) * 1000 });
      const failing = points.filter((_p, i) => due(i) <= tick);
      // a failed statfs is retried every tick, as before; the others repeat their last figures
      expect(r.status.message ?? '', `tick ${tick}`).toMatch(/^cannot statfs /);
      for (const p of failing) expect(r.status.message, `tick ${tick}`).toContain(`${p}: `);
      for (const p of points.filter((q) => !failing.includes(q))) expect(r.status.message ?? '').not.toContain(`${p}:`);
      expect(r.samples.filter((s) => s.m === 'fs_avail_bytes')).toHaveLength(12 - failing.length);
    }
  });

  describe.skipIf(!isRoot)('on a real tmpfs', () => {
    const dir = tempDir('tidemark-fs-tmpfs-');
    const mnt = path.join(dir, 'data');
    afterAll(() => {
      try {
        execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
    });

    it('repeats the last figures between statfs, counts time to full down, and sends states on change', async () => {
      mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tidemark-sched', mnt]);
      const fs = new FilesystemsCollector(rootWithMounts([`tidemark-sched ${mnt} tmpfs rw 0 0`]), { minPoints: 3 });
      const file = path.join(mnt, 'data.bin');
      const chunk = Buffer.alloc(256 * 1024, 1); // 64 pages of 4 KiB: tmpfs counts exactly that
      const results: CollectResult[] = [];
      // ticks 1 s apart; 256 KiB written just before ticks 1, 11, 21 (the statfs ticks) and before tick 25
      for (let tick = 1; tick <= 30; tick++) {
        if (tick % 10 === 1 || tick === 25) appendFileSync(file, chunk);
        results.push(await fs.collect({ nowMs: T0 + (tick - 1) * 1000, monoMs: (tick - 1) * 1000 }));
      }
      const at = (tick: number) => results[tick - 1]!;
      const size = 8 * 1024 * 1024;
      // statfs on ticks 1, 11 and 21 only: 256, 512 and 768 KiB used
      expect(value(at(1), 'fs_avail_bytes')).toBe(size - 256 * 1024);
      expect(value(at(11), 'fs_avail_bytes')).toBe(size - 512 * 1024);
      expect(value(at(21), 'fs_avail_bytes')).toBe(size - 768 * 1024);
      // between them the last figures, though 256 KiB more was written before tick 25
      for (const tick of [2, 10]) expect(value(at(tick), 'fs_avail_bytes')).toBe(size - 256 * 1024);
      for (const tick of [22, 25, 30]) expect(value(at(tick), 'fs_avail_bytes')).toBe(size - 768 * 1024);
      // Three points 10 s apart, 256 KiB less each: 25.6 KiB/s, an exact line. At tick 21 (20 s),
      // 8 MiB − 768 KiB = 7 424 KiB left fills in 7 424 / 25.6 = 290 s; each later tick is 1 s nearer.
      expect(value(at(11), 'fs_time_to_full_seconds')).toBe(NOT_FILLING_SECONDS); // two points: fewer than minPoints
      expect(value(at(21), 'fs_time_to_full_seconds')).toBeCloseTo(290, 6);
      for (let tick = 22; tick <= 30; tick++)
        expect(value(at(tick), 'fs_time_to_full_seconds'), `tick ${tick}`).toBeCloseTo(290 - (tick - 21), 6);
      // states: on tick 1, and on the statfs ticks whose figures changed (11 and 21); not in between
      const withStates = results.flatMap((r, i) => (r.stateKinds ? [i + 1] : []));
      expect(withStates).toEqual([1, 11, 21]);
      expect(at(21).states).toEqual([
        expect.objectContaining({
          kind: 'filesystem',
          key: mnt,
          value: expect.objectContaining({ availBytes: size - 768 * 1024, timeToFullSeconds: expect.any(Number) }),
        }),
      ]);
    });

    it('sends the states in full every 30 ticks when nothing changed', async () => {
      const still = path.join(dir, 'still');
      mkdirSync(still);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tidemark-still', still]);
      try {
        const fs = new FilesystemsCollector(rootWithMounts([`tidemark-still ${still} tmpfs rw 0 0`]));
        const withStates: number[] = [];
        for (let tick = 1; tick <= 125; tick++) {
          const r = await fs.collect({ nowMs: T0 + tick * 1000, monoMs: tick * 1000 });
          if (r.stateKinds) withStates.push(tick);
          expect(r.samples.filter((s) => s.m === 'fs_avail_bytes')).toHaveLength(1);
        }
        expect(withStates).toEqual([1, 31, 61, 91, 121]);
      } finally {
        execFileSync('umount', ['-l', still], { stdio: 'ignore' });
      }
    });

    it('measures a mount at once when the mount table puts another file system there', async () => {
      const spot = path.join(dir, 'spot');
      mkdirSync(spot);
      const mounts = path.join(rootWithMounts([`/dev/sdz1 ${spot} ext4 rw 0 0`]), 'proc/mounts');
      const fs = new FilesystemsCollector(path.dirname(path.dirname(mounts)));
      const before = await fs.collect({ nowMs: T0, monoMs: 0 });
      expect(before.samples[0]!.l).toEqual({ mountpoint: spot, device: '/dev/sdz1', fstype: 'ext4' });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tidemark-spot', spot]);
      try {
        writeFileSync(mounts, `tidemark-spot ${spot} tmpfs rw 0 0\n`);
        const after = await fs.collect({ nowMs: T0 + 1000, monoMs: 1000 });
        expect(after.samples[0]!.l).toEqual({ mountpoint: spot, device: 'tidemark-spot', fstype: 'tmpfs' });
        expect(value(after, 'fs_size_bytes')).toBe(2 * 1024 * 1024);
        expect(after.stateKinds).toEqual(['filesystem']);
      } finally {
        execFileSync('umount', ['-l', spot], { stdio: 'ignore' });
      }
    });
  });
});
