import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMdstat } from '../../agent/procfs/mdstat.js';
import { parseDiskstats, diskRates } from '../../agent/procfs/diskstats.js';
import { parsePressure } from '../../agent/procfs/pressure.js';
import { readMdSysfs } from '../../agent/sysfs/md.js';
import { buildArrayReports, type ArrayReport } from '../../agent/raid/arrays.js';
import { arrayQueue, mdAccountsTime } from '../../agent/raid/queue.js';
import { assessSaturation } from '../../agent/saturation.js';
import { hostCollectors } from '../../agent/collectors/host.js';
import { Sampler, sampleOnce } from '../../agent/sampler.js';
import { PressureCollector } from '../../agent/collectors/pressure.js';
import type { DeviceReading } from '../../agent/collectors/disks.js';
import { PROCFS, fixtureText } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/process.js';

const reports = async (sample: string): Promise<ArrayReport[]> => {
  const root = path.join(PROCFS, sample);
  const mdstat = parseMdstat(readFileSync(path.join(root, 'proc/mdstat'), 'utf8'));
  return buildArrayReports(mdstat, await readMdSysfs(root));
};
const byName = (list: ArrayReport[], name: string) => list.find((a) => a.name === name)!;

describe('md sysfs reader', () => {
  it('reads every array directory of the procfs sample', async () => {
    const sys = await readMdSysfs(path.join(PROCFS, 'prometheus-procfs'));
    expect(sys.map((s) => s.name)).toEqual(['md0', 'md1', 'md10', 'md4', 'md5', 'md7', 'md8']);
    // md5: raid5, degraded 1, dev-sdp faulty, dev-sdaa spare
    expect(sys.find((s) => s.name === 'md5')).toMatchObject({
      arrayState: 'clean',
      level: 'raid5',
      raidDisks: 3,
      degraded: 1,
      syncAction: 'idle',
      syncCompleted: null,
      members: [
        { name: 'sdaa', state: ['spare'] },
        { name: 'sdn', state: ['in_sync'] },
        { name: 'sdo', state: ['in_sync'] },
        { name: 'sdp', state: ['faulty'] },
      ],
    });
    // md8: raid_disks "11 (10)" during a reshape; md7: an inactive container with an empty raid_disks
    expect(sys.find((s) => s.name === 'md8')).toMatchObject({
      raidDisks: 11,
      syncAction: 'reshape',
      arrayState: 'active',
    });
    expect(sys.find((s) => s.name === 'md7')).toMatchObject({
      level: 'container',
      arrayState: 'inactive',
      raidDisks: null,
      degraded: null,
    });
    // raid0 has no degraded or sync_action file at all
    expect(sys.find((s) => s.name === 'md0')).toMatchObject({ level: 'raid0', degraded: null, syncAction: null });
  });

  it('an absent /sys/block is no arrays', async () => {
    expect(await readMdSysfs(path.join(PROCFS, 'checkraid-pr24'))).toEqual([]);
  });
});

describe('array reports', () => {
  it('names the missing slot, the failed member and the rebuild', async () => {
    const md6 = byName(await reports('prometheus-procfs'), 'md6');
    // md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]  [2/1] [U_]  recovery = 8.5% … finish=17.0min speed=259783K/sec
    expect(md6).toMatchObject({
      health: 'rebuilding',
      degraded: true,
      missingSlots: [1],
      disks: { expected: 2, active: 1, failed: 1, spare: 1, missing: 1 },
      sync: { action: 'recovery', status: 'running', percent: 8.5, speedKBps: 259783, etaSeconds: 17 * 60 },
      sources: ['mdstat'],
      disagreements: [],
    });
    expect(md6.members.map((m) => `${m.name}:${m.state}`)).toEqual(['sdb2:faulty', 'sdc:spare', 'sda2:in_sync']);
  });

  it('tells the disk being rebuilt by its descriptor number past the last slot', async () => {
    // md0 : active raid1 sda1[2] sdb1[1]  [2/1] [_U]  recovery = 0.4%
    const md0 = byName(await reports('checkraid-pr28_0'), 'md0');
    expect(md0.members.map((m) => `${m.name}:${m.state}`)).toEqual(['sda1:rebuilding', 'sdb1:in_sync']);
    expect(md0).toMatchObject({ health: 'rebuilding', missingSlots: [0] });
    // md1 in pr28_1: "sdb2[1]" alone, [2/1] [_U], no sync: degraded, slot 0 missing
    expect(byName(await reports('checkraid-pr28_1'), 'md1')).toMatchObject({
      health: 'degraded',
      missingSlots: [0],
      disks: { expected: 2, active: 1, missing: 1 },
    });
    // two slots missing and a failed disk: [6/4] [_UUUU_], sde1[6](F)
    expect(byName(await reports('pymdstat-07'), 'md1')).toMatchObject({
      health: 'degraded',
      missingSlots: [0, 5],
      disks: { failed: 1, missing: 2 },
    });
  });

  it('reports sysfs-only arrays and says where mdstat and sysfs disagree', async () => {
    const all = await reports('prometheus-procfs');
    expect(byName(all, 'md5')).toMatchObject({
      level: 'raid5',
      state: 'clean',
      health: 'degraded',
      sources: ['sysfs'],
      disks: { expected: 3, active: 2, failed: 1, spare: 1, missing: 1 },
    });
    // /proc/mdstat's md0 is raid1 of sdi1+sdj1, sysfs's md0 is raid0 of sdg+sdh
    const md0 = byName(all, 'md0');
    expect(md0.sources).toEqual(['mdstat', 'sysfs']);
    expect(md0.disagreements).toContain('level: /proc/mdstat says raid1, sysfs says raid0');
    expect(md0.disagreements).toContain('member sdg: only sysfs lists it');
    expect(byName(all, 'md8').disagreements).toContain('sync action: /proc/mdstat says resync, sysfs says reshape');
    // Arrays only in mdstat have no disagreements
    expect(byName(all, 'md3').disagreements).toEqual([]);
  });

  it('gives each health state its badge', async () => {
    const all = await reports('prometheus-procfs');
    const health = Object.fromEntries(all.map((a) => [a.name, a.health]));
    expect(health).toMatchObject({
      md3: 'clean',
      md201: 'checking',
      md8: 'resyncing',
      md42: 'degraded',
      md219: 'container',
      md4: 'inactive',
      md9: 'clean',
      md11: 'clean',
    });
    expect(byName(all, 'md11').readOnly).toBe(true);
  });
});

describe('RAID queue depth', () => {
  const reading = (name: string, aquSz: number, inFlight: number, util: number, saturated = false): DeviceReading => ({
    stats: parseDiskstats(`8 0 ${name} 10 0 80 5 10 0 80 5 0 10 10\n`)[0]!,
    rates: {
      rPerS: 1,
      wPerS: 1,
      rkbPerS: 1,
      wkbPerS: 1,
      rAwaitMs: 1,
      wAwaitMs: 1,
      awaitMs: 1,
      ios: 2,
      aquSz,
      utilPercent: util,
      inFlight,
    },
    saturation: { queueFillPercent: null, awaitRatio: null, saturated, reasons: saturated ? ['queue'] : [] },
  });

  it('knows md that counts I/O but no time (Diamond raid4disk md0)', () => {
    const list = parseDiskstats(fixtureText('procfs/diamond-diskstats-raid4disk/proc/diskstats'));
    const asReading = (name: string): DeviceReading => ({
      stats: list.find((d) => d.name === name)!,
      rates: reading(name, 0, 0, 0).rates,
      saturation: reading(name, 0, 0, 0).saturation,
    });
    // md0 150707 0 2818762 0 111152210 0 889217680 0 0 0 0: I/Os but every time field 0
    expect(mdAccountsTime(asReading('md0'))).toBe(false);
    expect(mdAccountsTime(asReading('sda'))).toBe(true);
  });

  it('sums and maxes working members, leaves out spares and failed ones, and falls back to members when md has no time', async () => {
    const md6 = byName(await reports('prometheus-procfs'), 'md6'); // sda2 in sync, sdb2 failed, sdc spare
    const readings = new Map<string, DeviceReading>([
      ['sda2', reading('sda2', 3.5, 7, 80)],
      ['sdb2', reading('sdb2', 50, 60, 100)],
      ['sdc', reading('sdc', 9, 9, 9)],
    ]);
    const q = arrayQueue(md6, readings);
    expect(q).toMatchObject({
      source: 'members',
      fallbackReason: 'md device not in /proc/diskstats',
      aquSz: 3.5,
      inFlight: 7,
      saturated: false,
    });
    expect(q.members).toEqual({
      counted: ['sda2'],
      aquSzSum: 3.5,
      aquSzMax: 3.5,
      inFlightSum: 7,
      inFlightMax: 7,
      utilSum: 80,
      utilMax: 80,
      busiest: 'sda2',
    });

    // md itself in diskstats: with time accounted its own depth counts, without it the members' sum does.
    const timed = reading('md6', 1.25, 4, 50);
    expect(arrayQueue(md6, new Map([...readings, ['md6', timed]]))).toMatchObject({
      source: 'array',
      fallbackReason: null,
      aquSz: 1.25,
      inFlight: 4,
    });
    const untimed = {
      ...timed,
      stats: parseDiskstats('9 0 md6 150707 0 2818762 0 111152210 0 889217680 0 0 0 0\n')[0]!,
    };
    expect(arrayQueue(md6, new Map([...readings, ['md6', untimed]]))).toMatchObject({
      source: 'members',
      fallbackReason: 'md accounts no time',
      aquSz: 3.5,
    });

    const md3 = byName(await reports('prometheus-procfs'), 'md3');
    // md3: sda1 sdh1 sdg1 sdf1 sde1 sdd1 sdc1 sdb1 in sync, then spares sdd1(S) sdd2(S); depth i for the i-th working member
    const working = md3.members.filter((m) => m.state === 'in_sync').map((m) => m.name);
    const r3 = new Map<string, DeviceReading>(
      working.map((name, i) => [name, reading(name, i, i * 2, 10 * i, name === 'sdc1')]),
    );
    r3.set('sdd2', reading('sdd2', 99, 99, 99));
    const q3 = arrayQueue(md3, r3);
    expect(q3.members.counted).toEqual(['sda1', 'sdh1', 'sdg1', 'sdf1', 'sde1', 'sdd1', 'sdc1', 'sdb1']);
    expect(q3.members.aquSzSum).toBe(0 + 1 + 2 + 3 + 4 + 5 + 6 + 7);
    expect(q3.members.aquSzMax).toBe(7);
    expect(q3.members.inFlightMax).toBe(14);
    expect(q3.members.utilMax).toBe(70);
    expect(q3.members.busiest).toBe('sdb1');
    expect(q3.saturatedMembers).toEqual(['sdc1']);
    expect(q3.saturated).toBe(true);
  });
});

describe('I/O pressure', () => {
  it('parses both recorded samples', () => {
    expect(parsePressure(fixtureText('procfs/prometheus-procfs/proc/pressure/io'))).toEqual({
      some: { avg10: 0.1, avg60: 2, avg300: 3.85, totalUs: 15 },
      full: { avg10: 0.2, avg60: 3, avg300: 4.95, totalUs: 25 },
    });
    expect(parsePressure(fixtureText('procfs/node_exporter/proc/pressure/io')).full).toEqual({
      avg10: 0.18,
      avg60: 0.34,
      avg300: 0.1,
      totalUs: 159229614,
    });
    expect(parsePressure('some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n').full).toBeNull();
    expect(() => parsePressure('some avg10=x\n')).toThrow(/line 1/);
  });

  it('is absent on a root without PSI, and a rate of total otherwise', async () => {
    const none = new PressureCollector(path.join(PROCFS, 'diamond-stat-t1'));
    expect((await none.collect()).status.state).toBe('absent');
    const root = tempDir();
    mkdirSync(path.join(root, 'proc/pressure'), { recursive: true });
    const file = path.join(root, 'proc/pressure/io');
    cpSync(path.join(PROCFS, 'node_exporter/proc/pressure/io'), file);
    const c = new PressureCollector(root);
    const before1 = performance.now();
    await c.collect();
    const after1 = performance.now();
    // total some 159886802 → 160086802 µs (200000 µs), full 159229614 → 159279614 (50000 µs)
    writeFileSync(
      file,
      'some avg10=5.00 avg60=1.00 avg300=0.50 total=160086802\nfull avg10=2.00 avg60=0.50 avg300=0.20 total=159279614\n',
    );
    await new Promise((r) => setTimeout(r, 200)); // the time is the point: an interval the rates divide by
    const before2 = performance.now();
    const r = await c.collect();
    const after2 = performance.now();
    const v = (m: string, kind: string) => r.samples.find((s) => s.m === m && s.l?.kind === kind)?.v;
    // The interval between the two reads lies in [before2 - after1, after2 - before1] ms; stall % = 100·Δµs / (ms·1000).
    const bounds = (us: number) => [us / 10 / (after2 - before1), us / 10 / (before2 - after1)] as const;
    const [someLo, someHi] = bounds(200_000);
    expect(v('io_pressure_stall_percent', 'some')).toBeGreaterThanOrEqual(someLo);
    expect(v('io_pressure_stall_percent', 'some')).toBeLessThanOrEqual(someHi);
    const [fullLo, fullHi] = bounds(50_000);
    expect(v('io_pressure_stall_percent', 'full')).toBeGreaterThanOrEqual(fullLo);
    expect(v('io_pressure_stall_percent', 'full')).toBeLessThanOrEqual(fullHi);
    expect(v('io_pressure_avg10_percent', 'some')).toBe(5);
  });
});

describe('saturation view', () => {
  const base = { aquSz: 0, awaitMs: 1, utilPercent: 10, nrRequests: 64, baselineAwaitMs: 2, pressureFullAvg10: 0 };
  it('flags a full queue, a latency jump with queueing, and pressure on a busy disk', () => {
    expect(assessSaturation(base)).toMatchObject({ saturated: false, queueFillPercent: 0 });
    expect(assessSaturation({ ...base, aquSz: 32 })).toMatchObject({
      saturated: true,
      reasons: ['queue'],
      queueFillPercent: 50,
    });
    expect(assessSaturation({ ...base, aquSz: 2, awaitMs: 8 })).toMatchObject({
      saturated: true,
      reasons: ['latency'],
      awaitRatio: 4,
    });
    // a slow single request is not saturation
    expect(assessSaturation({ ...base, aquSz: 0.5, awaitMs: 20 }).saturated).toBe(false);
    // sub-millisecond baselines count as 1 ms
    expect(assessSaturation({ ...base, aquSz: 2, awaitMs: 0.8, baselineAwaitMs: 0.1 })).toMatchObject({
      saturated: false,
      awaitRatio: 0.8,
    });
    // pressure on a busy disk counts only with the disk's own evidence: await 2× its baseline (4 of 2 ms) …
    expect(assessSaturation({ ...base, aquSz: 1, awaitMs: 4, utilPercent: 95, pressureFullAvg10: 12 })).toMatchObject({
      saturated: true,
      reasons: ['pressure'],
      awaitRatio: 2,
    });
    // … or a queue a quarter full (16 of 64) …
    expect(assessSaturation({ ...base, aquSz: 16, utilPercent: 95, pressureFullAvg10: 12 })).toMatchObject({
      saturated: true,
      reasons: ['pressure'],
      queueFillPercent: 25,
    });
    // … not a sequential QD1 stream: aqu-sz 1.8, await 0.8 ms against a 0.45 ms baseline (floored to 1 ms)
    expect(
      assessSaturation({
        aquSz: 1.8,
        awaitMs: 0.8,
        utilPercent: 100,
        nrRequests: 64,
        baselineAwaitMs: 0.45,
        pressureFullAvg10: 30,
      }),
    ).toMatchObject({ saturated: false, reasons: [] });
    // … and not before the baseline is trusted, with no queue size known
    expect(
      assessSaturation({
        ...base,
        aquSz: 4,
        awaitMs: 9,
        utilPercent: 99,
        nrRequests: null,
        baselineAwaitMs: null,
        pressureFullAvg10: 50,
      }).saturated,
    ).toBe(false);
    // %util at 100 alone is not saturation
    expect(assessSaturation({ ...base, aquSz: 0.9, utilPercent: 100 }).saturated).toBe(false);
  });

  it('works on real rates: the Diamond pair is not saturated against its queue of 128', () => {
    const a = parseDiskstats(fixtureText('procfs/diamond-diskstats-t1/proc/diskstats')).find((d) => d.name === 'sdb')!;
    const b = parseDiskstats(fixtureText('procfs/diamond-diskstats-t2/proc/diskstats')).find((d) => d.name === 'sdb')!;
    const r = diskRates(a, b, 10_000)!;
    // await = (7163 + 337) ms / (1164 + 8050) I/Os
    expect(r.awaitMs).toBeCloseTo(7500 / 9214, 10);
    const s = assessSaturation({
      aquSz: r.aquSz,
      awaitMs: r.awaitMs,
      utilPercent: r.utilPercent,
      nrRequests: 128,
      baselineAwaitMs: null,
      pressureFullAvg10: null,
    });
    expect(s).toEqual({ queueFillPercent: (100 * 0.7492) / 128, awaitRatio: null, saturated: false, reasons: [] });
  });
});

describe('RAID collector on a fixture root', () => {
  function root(mdstat: string): string {
    const dir = tempDir();
    cpSync(path.join(PROCFS, 'prometheus-procfs'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'proc/mdstat'), mdstat);
    return dir;
  }
  const original = fixtureText('procfs/prometheus-procfs/proc/mdstat');

  it('streams arrays as samples and states', async () => {
    const sampler = new Sampler(hostCollectors(root(original)));
    await sampler.sample();
    const s = await sampler.sample();
    expect(s.collectors.map((c) => `${c.name}:${c.state}`)).toEqual([
      'cpu:ok',
      'disks:ok',
      'pressure:ok',
      'raid:ok',
      'logpaths:absent',
      'filesystems:absent', // no proc/mounts in the fixture
    ]);
    expect(s.stateKinds).toEqual(['raid_array']);
    expect(s.states.map((x) => x.key)).toHaveLength(20);
    const v = (m: string, array: string) => s.samples.find((x) => x.m === m && x.l?.array === array)?.v;
    expect(v('raid_disks_missing', 'md6')).toBe(1);
    expect(v('raid_sync_progress_percent', 'md6')).toBe(8.5);
    expect(v('raid_disks_failed', 'md9')).toBe(2);
    expect(v('raid_mismatch_cnt', 'md5')).toBeUndefined(); // the fixture has no mismatch_cnt file
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.indexOf('md7 :') + 30), 'md7'],
    ['garbled', (t: string) => t.replace('md6 : active raid1 sdb2[2](F)', 'md6 : active raid1 sdb2[2](Q)'), 'md6'],
  ])(
    'a %s mdstat gives an error for that array while the rest of the sample still goes out',
    async (_what, mangle, broken) => {
      const sampler = new Sampler(hostCollectors(root(mangle(original))));
      await sampler.sample();
      const s = await sampler.sample();
      const raid = s.collectors.find((c) => c.name === 'raid')!;
      expect(raid.state).toBe('error');
      expect(raid.message).toContain(`${broken}: /proc/mdstat line`);
      const md3 = s.states.find((x) => x.key === 'md3')!.value as unknown as ArrayReport;
      expect(md3.health).toBe('clean');
      const bad = s.states.find((x) => x.key === broken)!.value as unknown as ArrayReport;
      expect(bad.error).toMatch(/\/proc\/mdstat line \d+/);
      expect(s.samples.some((x) => x.m === 'disk_util_percent')).toBe(true);
      // (a static /proc/stat gives no CPU shares: no time passed between readings)
      expect(s.samples.some((x) => x.m === 'io_pressure_avg10_percent')).toBe(true);
      expect(s.collectors.filter((c) => c.name !== 'raid').map((c) => c.state)).toEqual([
        'ok',
        'ok',
        'ok',
        'absent',
        'absent',
      ]);
    },
  );

  it('an empty mdstat is a collector error, arrays from sysfs still reported', async () => {
    const collectors = hostCollectors(root(''));
    const s = await sampleOnce(collectors);
    const raid = s.collectors.find((c) => c.name === 'raid')!;
    expect(raid).toMatchObject({ state: 'error', message: expect.stringContaining('/proc/mdstat is empty') });
    expect(s.states.map((x) => x.key).sort()).toEqual(['md0', 'md1', 'md10', 'md4', 'md5', 'md7', 'md8']);
  });

  it('a kernel without md is "absent"', async () => {
    const s = await sampleOnce(hostCollectors(path.join(PROCFS, 'diamond-diskstats-t1')));
    expect(s.collectors.find((c) => c.name === 'raid')).toMatchObject({ state: 'absent' });
  });
});
