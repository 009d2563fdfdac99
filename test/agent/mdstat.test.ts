import { describe, expect, it } from 'vitest';
import { parseMdstat, type MdStatArray } from '../../agent/procfs/mdstat.js';
import { fixtureText, samplesWith } from '../helpers/fixtures.js';

const md = (sample: string) => parseMdstat(fixtureText(`procfs/${sample}/proc/mdstat`));

/**
 * Expected arrays of every mdstat sample, read by hand from the files:
 * name, level, [n/m] and [U_] map (null where the level prints none), failed
 * (F) and spare (S) members, and the sync line.
 */
type Row = [
  name: string,
  level: string | null,
  n: number | null,
  m: number | null,
  map: string | null,
  failed: string[],
  spare: string[],
  sync: string | null,
];
const EXPECTED: Record<string, Row[]> = {
  'checkraid-centos6.2': [
    ['md4', 'raid1', 2, 2, 'UU', [], [], null],
    ['md3', 'raid1', 2, 2, 'UU', [], [], null],
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
    ['md1', 'raid0', null, null, null, [], [], null],
    ['md2', 'raid1', 2, 2, 'UU', [], [], null],
  ],
  'checkraid-issue164': [
    ['md1', 'raid1', 5, 5, 'UUUUU', ['sdh1'], [], null],
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
  ],
  'checkraid-issue34_2': [
    ['md126', 'raid1', 2, 2, 'UU', [], [], null],
    ['md127', null, null, null, null, [], ['sdb', 'sdc'], null],
  ],
  'checkraid-issue43-readd': [['md0', 'raid6', 6, 5, 'U_UUUU', [], [], 'recovery 0.2 running']],
  'checkraid-issue43-rebuilt': [['md0', 'raid6', 6, 5, 'U_UUUU', [], [], null]],
  'checkraid-issue64': [
    ['md2', 'raid1', 2, 2, 'UU', [], [], null],
    ['md1', 'raid1', 2, 2, 'UU', [], [], null],
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
  ],
  'checkraid-linear': [
    ['md1', 'raid1', 2, 2, 'UU', [], [], null],
    ['md0', 'linear', null, null, null, [], [], null],
  ],
  'checkraid-none': [],
  'checkraid-pr185_0': [['md1', 'raid5', 5, 5, 'UUUUU', [], ['sdk'], null]],
  'checkraid-pr185_1': [
    ['md1', 'raid5', 5, 5, 'UUUUU', [], ['sdk'], null],
    ['md2', 'raid5', 5, 5, 'UUUUU', [], ['sdi', 'sdl'], null],
  ],
  'checkraid-pr24': [
    ['md2', 'raid1', 2, 2, 'UU', [], [], 'check 98.3 running'],
    ['md1', 'raid1', 2, 2, 'UU', [], [], null],
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
  ],
  'checkraid-pr28_0': [
    ['md1', 'raid1', 2, 2, 'UU', [], [], null],
    ['md0', 'raid1', 2, 1, '_U', [], [], 'recovery 0.4 running'],
  ],
  'checkraid-pr28_1': [
    ['md1', 'raid1', 2, 1, '_U', [], [], null],
    ['md0', 'raid1', 2, 1, '_U', [], [], 'recovery 3.6 running'],
  ],
  'checkraid-raid0': [['md2', 'raid0', null, null, null, [], [], null]],
  'checkraid-resync': [
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
    ['md2', 'raid1', 2, 2, 'UU', [], [], 'resync 11.2 running'],
    ['md1', 'raid1', 2, 2, 'UU', [], [], 'resync 9.9 running'],
  ],
  'checkraid-white-mdstat': [
    ['md125', 'raid1', 2, 2, 'UU', [], [], null],
    ['md126', 'raid1', 2, 1, '_U', [], [], 'recovery 29.2 running'],
    ['md127', 'raid1', 2, 2, 'UU', [], [], null],
  ],
  'diamond-mdstat-empty': [],
  'diamond-mdstat-linear': [['md0', 'linear', null, null, null, [], [], null]],
  'diamond-mdstat-multipath': [['md0', 'multipath', 2, 2, 'UU', [], [], null]],
  'diamond-mdstat-multiple': [
    ['md0', 'raid5', 3, 3, 'UUU', [], [], null],
    ['md1', 'linear', null, null, null, [], [], null],
    ['md2', 'multipath', 2, 2, 'UU', [], [], null],
  ],
  'diamond-mdstat-raid1-failed': [['md0', 'raid1', 2, 1, 'U_', ['sda2'], [], null]],
  'diamond-mdstat-raid1-spare': [['md0', 'raid1', 2, 2, 'UU', [], ['sda2'], null]],
  'diamond-mdstat-raid1': [['md0', 'raid1', 2, 2, 'UU', [], [], null]],
  'prometheus-procfs': [
    ['md3', 'raid6', 8, 8, 'UUUUUUUU', [], ['sdd1', 'sdd2'], null],
    ['md127', 'raid1', 2, 2, 'UU', [], [], null],
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
    ['md4', 'raid1', 2, 2, 'UU', ['sda3'], ['sdb3'], null],
    ['md6', 'raid1', 2, 1, 'U_', ['sdb2'], ['sdc'], 'recovery 8.5 running'],
    ['md8', 'raid1', 2, 2, 'UU', [], ['sdc', 'sde'], 'resync 8.5 running'],
    ['md201', 'raid1', 2, 2, 'UU', [], [], 'check 5.7 running'],
    ['md7', 'raid6', 4, 3, 'U_UU', ['sdc1'], [], null],
    ['md9', 'raid1', 4, 4, 'UUUU', ['sde', 'sdf'], ['sdg'], 'resync null delayed'],
    ['md10', 'raid0', null, null, null, [], [], null],
    ['md11', 'raid1', 2, 2, 'UU', ['sdc3'], ['hda', 'ssdc2'], 'resync null pending'],
    ['md12', 'raid0', null, null, null, [], [], null],
    ['md126', 'raid0', null, null, null, [], [], null],
    ['md219', null, null, null, null, [], ['sdb', 'sdc', 'sda'], null],
    ['md00', 'raid0', null, null, null, [], [], null],
    ['md120', 'linear', null, null, null, [], [], null],
    ['md101', 'raid0', null, null, null, [], [], null],
    ['md42', 'raid5', 3, 2, 'UU_', [], ['sda1'], 'reshape 56.1 running'],
  ],
  'pymdstat-01': [],
  'pymdstat-02': [['md_d0', 'raid5', 5, 5, 'UUUUU', [], [], null]],
  'pymdstat-03': [['md0', 'raid5', 4, 3, 'UUU_', [], [], null]],
  'pymdstat-04': [
    ['md1', 'raid1', 2, 2, 'UU', [], [], null],
    ['md2', 'raid1', 2, 2, 'UU', [], [], null],
    ['md3', 'raid5', 10, 10, 'UUUUUUUUUU', [], [], null],
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
  ],
  'pymdstat-06': [['md0', 'raid6', 7, 7, 'UUUUUUU', [], [], null]],
  'pymdstat-07': [['md1', 'raid1', 6, 4, '_UUUU_', ['sde1'], [], null]],
  'pymdstat-09': [
    ['md0', 'raid1', 2, 2, 'UU', [], [], null],
    ['md1', 'raid1', 2, 2, 'UU', [], [], null],
    ['md2', null, null, null, null, [], ['sdb', 'sdc', 'sdd', 'sda'], null],
  ],
  'pymdstat-10': [
    ['md129', 'raid1', 2, 2, 'UU', [], [], null],
    ['md128', 'raid1', 2, 2, 'UU', [], [], null],
    ['md125', 'raid0', null, null, null, [], [], null],
    ['md126', 'raid0', null, null, null, [], [], null],
  ],
  'pymdstat-12': [['md127', 'raid0', null, null, null, [], [], null]],
  'pymdstat-14': [['md127', 'raid0', null, null, null, [], [], null]],
  'pymdstat-15': [
    ['md3', 'raid6', 8, 8, 'UUUUUUUU', [], [], null],
    ['md2', 'raid6', 8, 8, 'UUUUUUUU', [], [], null],
    ['md1', 'raid1', 8, 8, 'UUUUUUUU', [], [], null],
    ['md0', 'raid1', 8, 8, 'UUUUUUUU', [], [], null],
  ],
  'pymdstat-16': [['md1', 'raid5', 8, 8, 'UUUUUUUU', [], [], null]],
};

const row = (a: MdStatArray): Row => [
  a.name,
  a.level,
  a.raidDisks,
  a.workingDisks,
  a.slotMap,
  a.members.filter((m) => m.flags.includes('faulty')).map((m) => m.name),
  a.members.filter((m) => m.flags.includes('spare')).map((m) => m.name),
  a.sync ? `${a.sync.action} ${a.sync.percent} ${a.sync.status}` : null,
];

describe('/proc/mdstat parser', () => {
  it('has an expectation for every mdstat sample in the fixtures', () => {
    expect(samplesWith('proc/mdstat')).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('reads %s', (sample) => {
    const parsed = md(sample);
    expect(parsed.errors).toEqual([]);
    expect(parsed.arrays.map(row)).toEqual(EXPECTED[sample]);
  });

  it('reads the numbers of a progress line, including one under 10 % with its extra space', () => {
    // [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec
    const md6 = md('prometheus-procfs').arrays.find((a) => a.name === 'md6')!;
    expect(md6.sync).toEqual({
      action: 'recovery',
      status: 'running',
      percent: 8.5,
      doneBlocks: 16775552,
      totalBlocks: 195310144,
      finishMinutes: 17,
      speedKBps: 259783,
    });
    // [>....................]  recovery =  0.2% (3563496/1465135936) finish=1638.2min speed=14868K/sec
    expect(md('checkraid-issue43-readd').arrays[0]!.sync).toMatchObject({
      percent: 0.2,
      doneBlocks: 3563496,
      totalBlocks: 1465135936,
      finishMinutes: 1638.2,
      speedKBps: 14868,
    });
  });

  it('reads bitmap lines before or after the progress line, and header details', () => {
    const p = md('prometheus-procfs').arrays;
    // md42: progress line, then "bitmap: 4/15 pages [16KB], 65536KB chunk"
    expect(p.find((a) => a.name === 'md42')).toMatchObject({
      bitmap: { pagesUsed: 4, pagesTotal: 15, chunkKB: 65536 },
      metadata: '1.2',
    });
    // md7: bitmap with no progress line
    expect(p.find((a) => a.name === 'md7')!.bitmap).toEqual({ pagesUsed: 0, pagesTotal: 30, chunkKB: 65536 });
    expect(p.find((a) => a.name === 'md11')).toMatchObject({ readOnly: 'auto-read-only', active: true });
    expect(p.find((a) => a.name === 'md101')).toMatchObject({ readOnly: 'read-only', chunkKB: 512 });
    expect(p.find((a) => a.name === 'md126')!.metadata).toBe('external:/md127/0');
    expect(p.find((a) => a.name === 'md219')).toMatchObject({
      active: false,
      level: null,
      metadata: 'external:imsm',
      blocks: 7932,
    });
    expect(p.find((a) => a.name === 'md4')).toMatchObject({ active: false, level: 'raid1' });
    // descriptor numbers: md6 has sdb2[2](F) sdc[1](S) sda2[0]
    expect(p.find((a) => a.name === 'md6')!.members).toEqual([
      { name: 'sdb2', index: 2, flags: ['faulty'] },
      { name: 'sdc', index: 1, flags: ['spare'] },
      { name: 'sda2', index: 0, flags: [] },
    ]);
    expect(md('pymdstat-14').personalities).toEqual(['raid0']);
  });
});

describe('mangled mdstat: an error for that array, the rest still read', () => {
  const original = fixtureText('procfs/prometheus-procfs/proc/mdstat');

  it('a truncated file loses only the array it cuts', () => {
    // Cut inside md42's progress line: "[===========>.........]  reshape = 56.1% (10968"
    const cut = original.slice(0, original.indexOf('(1096879076') + 6);
    const r = parseMdstat(cut);
    expect(r.arrays.map((a) => a.name)).not.toContain('md42');
    expect(r.arrays).toHaveLength(17);
    expect(r.errors).toEqual([
      {
        array: 'md42',
        line: expect.any(Number),
        message: 'unrecognised line "[===========>.........]  reshape = 56.1% (10968"',
      },
    ]);
  });

  it('a cut header line is an error for that array', () => {
    const cut = original.replace(
      'md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]',
      'md6 : active raid1 sdb2[2](F) sdc[',
    );
    const r = parseMdstat(cut);
    expect(r.errors).toEqual([
      { array: 'md6', line: 15, message: 'member "sdc[" is not NAME[N] with optional (F)/(S)/(W)/(R)/(J)' },
    ]);
    expect(r.arrays.map((a) => a.name)).not.toContain('md6');
    expect(r.arrays).toHaveLength(17);
  });

  it('a status line cut before [n/m] is caught for redundant levels', () => {
    const cut = original.replace(
      '5853468288 blocks super 1.2 level 6, 64k chunk, algorithm 2 [8/8] [UUUUUUUU]',
      '5853468288 blocks super 1.2 level 6, 64k chu',
    );
    const r = parseMdstat(cut);
    expect(r.errors).toEqual([
      { array: 'md3', line: 3, message: 'no [n/m] [U_] status for raid6: the block is truncated' },
    ]);
  });

  it('garbled bytes are errors with line numbers; a status that contradicts its map is read, not an error', () => {
    const garbled = original.replace('[2/1] [U_]', '[2/1] [UU]').replace('md0 : active raid1', 'md0 : frobbed raid1');
    const r = parseMdstat(garbled);
    expect(r.errors).toEqual([{ array: 'md0', line: 9, message: 'state "frobbed" is neither active nor inactive' }]);
    expect(r.arrays).toHaveLength(17);
    expect(r.arrays.find((a) => a.name === 'md6')).toMatchObject({
      raidDisks: 2,
      workingDisks: 1,
      slotMap: 'UU',
      inconsistencies: ['[2/1] says 1 working, the slot map [UU] shows 2 up'],
    });
    expect(parseMdstat('\u0000\u0001garbage\n').errors).toEqual([
      { array: null, line: 1, message: 'line outside any array: "\u0000\u0001garbage"' },
    ]);
  });

  it('an empty file has no arrays', () => {
    expect(parseMdstat('')).toEqual({ personalities: [], arrays: [], errors: [] });
  });
});
