import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMdstat } from '../../agent/procfs/mdstat.js';
import { readMdSysfs } from '../../agent/sysfs/md.js';
import { buildArrayReports, type ArrayReport } from '../../agent/raid/arrays.js';
import { hostCollectors } from '../../agent/collectors/host.js';
import { sampleOnce } from '../../agent/sampler.js';
import { PROCFS } from '../helpers/fixtures.js';
import { REPO } from '../helpers/process.js';

/** Hand-written mdstat (test/fixtures-local/README.md) in md.c's layout; expectations read from its text. */
const CONSTRUCTED = path.join(REPO, 'test/fixtures-local/procfs/constructed-mdstat');

const reportsOf = async (root: string): Promise<Map<string, ArrayReport>> => {
  const mdstat = parseMdstat(readFileSync(path.join(root, 'proc/mdstat'), 'utf8'));
  expect(mdstat.errors).toEqual([]);
  return new Map(buildArrayReports(mdstat, await readMdSysfs(root)).map((a) => [a.name, a]));
};
const roles = (a: ArrayReport) =>
  a.members.map((m) => `${m.name}:${m.state}${m.writeMostly ? '+W' : ''}${m.journal ? '+J' : ''}`);

describe('md arrays whose mdstat lines disagree (reshape, level change)', () => {
  it('raid5→raid6 with [5/6] [UUUU_]: read in full, the map decides what is up, the disagreement listed', async () => {
    const md0 = (await reportsOf(CONSTRUCTED)).get('md0')!;
    expect(md0).toMatchObject({
      kind: 'array',
      level: 'raid6',
      state: 'active',
      health: 'degraded', // slot 4 (the new Q disk) is not in sync while the level changes
      degraded: true,
      disks: { expected: 5, active: 4, missing: 1, failed: 0, spare: 0 },
      missingSlots: [4],
      sync: { action: 'reshape', status: 'running', percent: 0.9, speedKBps: 47796, etaSeconds: 60750 },
      disagreements: ['/proc/mdstat: [5/6] says 6 working, the slot map [UUUU_] shows 4 up'],
    });
    expect(md0.error).toBeUndefined();
  });

  it('raid5 growing 3→4 with [4/3] [UUUU]: all four up, reshaping, the stale count listed', async () => {
    expect((await reportsOf(CONSTRUCTED)).get('md1')).toMatchObject({
      health: 'reshaping',
      degraded: false,
      disks: { expected: 4, active: 4, missing: 0 },
      sync: { action: 'reshape', percent: 17.3 },
      disagreements: ['/proc/mdstat: [4/3] says 3 working, the slot map [UUUU] shows 4 up'],
    });
  });

  it('a map shorter than n: n disks expected, the map’s three up, both disagreements listed', async () => {
    expect((await reportsOf(CONSTRUCTED)).get('md2')).toMatchObject({
      level: 'raid10',
      health: 'degraded',
      disks: { expected: 4, active: 3, missing: 1 },
      disagreements: [
        '/proc/mdstat: slot map [UUU] has 3 slots for 4 raid disks',
        '/proc/mdstat: [4/4] says 4 working, the slot map [UUU] shows 3 up',
      ],
    });
  });
});

describe('sync lines md.c prints for a clustered array', () => {
  it('"recover=REMOTE" (md.c\'s spelling) and "resync=REMOTE": another node syncs, the array is read', () => {
    const text = (line: string) =>
      `Personalities : [raid1]\nmd0 : active raid1 sdb[1] sda[0]\n      1048512 blocks super 1.2 [2/1] [U_]\n      ${line}\n\nunused devices: <none>\n`;
    const recover = parseMdstat(text('\trecover=REMOTE'));
    expect(recover.errors).toEqual([]);
    expect(recover.arrays[0]!.sync).toMatchObject({ action: 'recovery', status: 'remote', percent: null });
    const resync = parseMdstat(text('\tresync=REMOTE'));
    expect(resync.arrays[0]!.sync).toMatchObject({ action: 'resync', status: 'remote' });
    // not running here: degraded, not rebuilding
    expect(buildArrayReports(recover, [])[0]).toMatchObject({ health: 'degraded', missingSlots: [1] });
  });
});

describe('a line of an unknown kind costs that line, not the array', () => {
  it('md6 with an extra line of no known kind: read in full, the line named as its error', () => {
    const original = readFileSync(path.join(PROCFS, 'prometheus-procfs/proc/mdstat'), 'utf8');
    // after md6's status line "195310144 blocks [2/1] [U_]" (line 16) a line no kernel wrote so far
    const text = original.replace(
      '195310144 blocks [2/1] [U_]\n',
      '195310144 blocks [2/1] [U_]\n      journal: 3/7 pages\n',
    );
    const mdstat = parseMdstat(text);
    expect(mdstat.errors).toEqual([{ array: 'md6', line: 17, message: 'unrecognised line "journal: 3/7 pages"' }]);
    const md6 = buildArrayReports(mdstat, []).find((a) => a.name === 'md6')!;
    // md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]  [2/1] [U_]  recovery = 8.5% (the line after the new one)
    expect(md6).toMatchObject({
      health: 'rebuilding',
      disks: { expected: 2, active: 1, failed: 1, spare: 1, missing: 1 },
      sync: { action: 'recovery', percent: 8.5 },
      error: '/proc/mdstat line 17: unrecognised line "journal: 3/7 pages"',
    });
  });
});

describe('member roles as md.c prints them', () => {
  it('(J) is the write journal, not a data disk', async () => {
    const md3 = (await reportsOf(CONSTRUCTED)).get('md3')!;
    expect(roles(md3)).toEqual(['sdq1:journal+J', 'sdp1:in_sync', 'sdo1:in_sync', 'sdn1:in_sync']);
    expect(md3).toMatchObject({ health: 'clean', disks: { expected: 3, active: 3, journal: 1, spare: 0, missing: 0 } });
  });

  it('(R) is a replacement being built, (W) a write-mostly data disk', async () => {
    const md4 = (await reportsOf(CONSTRUCTED)).get('md4')!;
    expect(roles(md4)).toEqual(['sdt1:replacement', 'sds1:in_sync+W', 'sdr1:in_sync']);
    expect(md4).toMatchObject({ health: 'rebuilding', degraded: false, disks: { active: 2, replacement: 1 } });
  });

  it('(W)(J)(F): a faulty journal counts as failed and is still known as the journal', async () => {
    const md5 = (await reportsOf(CONSTRUCTED)).get('md5')!;
    expect(roles(md5)).toEqual(['sdx1:faulty+W+J', 'sdw1:in_sync', 'sdv1:in_sync', 'sdu1:in_sync']);
    expect(md5.disks).toMatchObject({ failed: 1, journal: 0, active: 3 });
  });
});

describe('external-metadata containers are not arrays', () => {
  it('imsm and ddf containers are containers, never inactive; the array inside names its container', async () => {
    const all = await reportsOf(CONSTRUCTED);
    expect(all.get('md127')).toMatchObject({
      kind: 'container',
      health: 'container',
      degraded: false,
      metadata: 'external:imsm',
    });
    expect(all.get('md125')).toMatchObject({ kind: 'container', health: 'container', metadata: 'external:ddf' });
    expect(all.get('md126')).toMatchObject({ kind: 'array', container: 'md127', health: 'clean' });
    // a stopped native array is still "inactive"
    expect(all.get('md124')).toMatchObject({ kind: 'array', health: 'inactive', container: null });
  });

  it('the recorded samples: mdstat md219 (super external:imsm) and sysfs md7 (level container)', async () => {
    const root = path.join(PROCFS, 'prometheus-procfs');
    const mdstat = parseMdstat(readFileSync(path.join(root, 'proc/mdstat'), 'utf8'));
    const all = new Map(buildArrayReports(mdstat, await readMdSysfs(root)).map((a) => [a.name, a]));
    expect(all.get('md219')).toMatchObject({ kind: 'container', health: 'container', degraded: false });
    // md7 is an active raid6 in this (assembled) mdstat but a container in its sysfs: mdstat decides, the
    // level disagreement is listed; with sysfs alone it is a container
    expect(all.get('md7')).toMatchObject({ kind: 'array', level: 'raid6' });
    expect(all.get('md7')!.disagreements).toContain('level: /proc/mdstat says raid6, sysfs says container');
    const sysOnly = buildArrayReports(null, await readMdSysfs(root)).find((a) => a.name === 'md7');
    expect(sysOnly).toMatchObject({ kind: 'container', health: 'container', degraded: false, sources: ['sysfs'] });
    expect(all.get('md126')).toMatchObject({ kind: 'array', container: 'md127', health: 'clean' });
    expect(all.get('md4')).toMatchObject({ kind: 'array', health: 'inactive' });
  });

  it('the RAID collector sends every array with a state, containers without disk counts, and no error', async () => {
    const collectors = hostCollectors(CONSTRUCTED);
    const s = await sampleOnce(collectors);
    expect(s.collectors.find((c) => c.name === 'raid')).toEqual({ name: 'raid', state: 'ok' });
    expect(s.states.map((x) => x.key)).toEqual([
      'md0',
      'md1',
      'md2',
      'md3',
      'md4',
      'md5',
      'md127',
      'md126',
      'md125',
      'md124',
    ]);
    const v = (m: string, array: string) => s.samples.find((x) => x.m === m && x.l?.array === array)?.v;
    expect(v('raid_disks_missing', 'md0')).toBe(1);
    expect(v('raid_disks_missing', 'md1')).toBe(0);
    expect(v('raid_disks_expected', 'md127')).toBeUndefined();
    expect(v('raid_disks_expected', 'md126')).toBe(2);
  });
});
