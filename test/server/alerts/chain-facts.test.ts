import { describe, expect, it } from 'vitest';
import { alertFacts } from '../../../server/alerts/facts.js';
import { clockForPeople, spanForPeople } from '../../../server/alerts/format.js';
import type { FilesystemState, HostStates, LogPathCheckState } from '../../../shared/states.js';

/** The chain path → mount → device → md array, and the logrotate schedule, in the facts a page carries (issue 18). */
const fs = (over: Partial<FilesystemState>): FilesystemState => ({
  mountPoint: '/data',
  fsType: 'ext4',
  device: '/dev/md2',
  array: 'md2',
  members: ['sda1', 'sdb1'],
  sizeBytes: 1e12,
  availPercent: 40,
  inodesFreePercent: 90,
  timeToFullSeconds: null,
  holds: ['mongod dbPath /data'],
  ...over,
});

const states: HostStates = {
  filesystem: {
    '/data': fs({}),
    '/data2': fs({ mountPoint: '/data2', device: '/dev/md3', array: 'md3', members: ['sdc1', 'sdd1'], holds: [] }),
    '/': fs({ mountPoint: '/', device: '/dev/nvme0n1p2', array: null, members: [], holds: ['mongod log /var/log'] }),
  },
};

describe('the chain under an array, a disk or a mount', () => {
  it('an array names its mount and what mongod keeps there', () => {
    expect(alertFacts(states, 'RaidArraySaturated', { array: 'md2' })).toEqual([
      'md2 holds mongod dbPath /data (mount /data on md2: sda1, sdb1)',
    ]);
  });
  it('a disk of the array (sdb is member sdb1) names the array and what it holds', () => {
    expect(alertFacts(states, 'DiskSaturated', { device: 'sdb' })).toEqual([
      'sdb is a member of md2, which holds mongod dbPath /data (mount /data on md2: sda1, sdb1)',
    ]);
    // sd is not sdb's prefix-partner: no chain for a device that is on no mount
    expect(alertFacts(states, 'DiskSaturated', { device: 'sd' })).toEqual([]);
  });
  it('the array itself as a disk (md2 in diskstats), a plain device, and a mount', () => {
    expect(alertFacts(states, 'DiskSaturated', { device: 'md2' })).toEqual([
      'md2 holds mongod dbPath /data (mount /data on md2: sda1, sdb1)',
    ]);
    expect(alertFacts(states, 'DiskSaturated', { device: 'nvme0n1' })).toEqual([]);
    expect(alertFacts(states, 'DiskSaturated', { device: 'nvme0n1p2' })).toEqual([
      'nvme0n1p2 holds mongod log /var/log (mount / on /dev/nvme0n1p2)',
    ]);
    expect(alertFacts(states, 'FilesystemFillsWithin4h', { mountpoint: '/data2', device: '/dev/md3' })).toEqual([
      '/data2 holds no mongod path (on md3: sdc1, sdd1)',
    ]);
  });
});

describe('the logrotate schedule in the LogrotateCheckFailing page', () => {
  const finding = (file: string, line: number, target: string) => ({
    severity: 'error' as const,
    code: 'missing-parent-dir',
    file,
    line,
    target,
    message: 'directory /data/log does not exist',
  });
  // 03:00 local on a fixed day; the agent checked 5 h 12 min before (21:48 the evening before)
  const next = new Date(2016, 5, 25, 3, 0).getTime();
  const check: LogPathCheckState = {
    check: 'logrotate',
    file: '/etc/logrotate.conf',
    ok: false,
    counts: { error: 3, warning: 0, info: 0 },
    // two blocks (lines 1 and 12 of the mongod file), one of them with two failing targets
    findings: [
      finding('/etc/logrotate.d/mongod', 1, '/data/log/mongod.log'),
      finding('/etc/logrotate.d/mongod', 1, '/data/log/mongod-audit.log'),
      finding('/etc/logrotate.d/mongod', 12, '/data/log/arbiter.log'),
    ],
    checkedAt: next - (5 * 60 + 12) * 60_000,
  };
  it('says when the failing run is due and how many blocks fail', () => {
    const facts = alertFacts(
      { logpaths: { logrotate: check }, logrotate_schedule: { next: { next, detail: 'cron 0 3 * * *' } } },
      'LogrotateCheckFailing',
      { check: 'logrotate' },
    );
    expect(facts[0]).toBe('next rotation 03:00, in 5 h 12 min: 2 blocks would fail');
    expect(facts[1]).toBe('checked: /etc/logrotate.conf');
    expect(facts).toHaveLength(5);
  });
  it('a schedule that cannot be worked out says why', () => {
    const facts = alertFacts(
      { logpaths: { logrotate: check }, logrotate_schedule: { next: { error: 'no cron job or systemd timer' } } },
      'LogrotateCheckFailing',
      { check: 'logrotate' },
    );
    expect(facts[0]).toBe('next rotation: no cron job or systemd timer');
  });
  it('spans and clock times for people', () => {
    expect(spanForPeople(0)).toBe('0 min');
    expect(spanForPeople(-60_000)).toBe('0 min');
    expect(spanForPeople(45 * 60_000)).toBe('45 min');
    expect(spanForPeople((24 * 60 + 7) * 60_000)).toBe('1 d 7 min');
    expect(spanForPeople(((24 + 2) * 60 + 30) * 60_000)).toBe('1 d 2 h 30 min');
    expect(clockForPeople(new Date(2016, 5, 24, 21, 48).getTime())).toBe('21:48');
  });
});

describe('the running mongod check in MongodRunningLogInvalid', () => {
  it('names the instance and the failing log path', () => {
    const running: LogPathCheckState = {
      check: 'mongod-running',
      instance: null,
      file: 'mongodb://127.0.0.1:27017',
      ok: false,
      counts: { error: 1, warning: 0, info: 0 },
      findings: [
        {
          severity: 'error',
          code: 'log-file-detached',
          file: 'getCmdLineOpts',
          line: 0,
          target: '/data/log/mongod.log',
          message: 'the open log file is on a mount that is gone',
        },
      ],
      checkedAt: 0,
    };
    expect(
      alertFacts({ mongod_running: { local: running } }, 'MongodRunningLogInvalid', { check: 'mongod-running' }),
    ).toEqual([
      'running mongod: mongodb://127.0.0.1:27017',
      'getCmdLineOpts: /data/log/mongod.log: the open log file is on a mount that is gone',
    ]);
  });
});

describe('states from a broken or newer agent', () => {
  it('make shorter facts, never a failed page', () => {
    const hostile = {
      filesystem: {
        '/data': { mountPoint: '/data', device: '/dev/md2', array: 'md2', members: 'sda1', holds: 7 },
        '/x': null,
        '/y': 'text',
      },
      logpaths: {
        logrotate: {
          file: '/etc/logrotate.conf',
          findings: [null, { severity: 'error', file: 'f', line: 2, message: 'm' }],
        },
      },
      logrotate_schedule: { next: { next: 'soon', error: 42 } },
    } as unknown as HostStates;
    expect(alertFacts(hostile, 'RaidArraySaturated', { array: 'md2' })).toEqual([
      'md2 holds no mongod path (mount /data on md2: members unknown)',
    ]);
    expect(alertFacts(hostile, 'FilesystemSpaceLow', { mountpoint: '/data' })).toEqual([
      '/data holds no mongod path (on md2: members unknown)',
    ]);
    expect(alertFacts(hostile, 'LogrotateCheckFailing', { check: 'logrotate' })).toEqual([
      'next rotation: unknown',
      'checked: /etc/logrotate.conf',
      'f:2: m',
    ]);
    const noTime = { ...hostile, logrotate_schedule: { next: { next: 0 } } } as unknown as HostStates;
    expect(alertFacts(noTime, 'LogrotateCheckFailing', { check: 'logrotate' })[0]).toBe(
      `next rotation ${clockForPeople(0)}: 1 block would fail`,
    );
  });
});
