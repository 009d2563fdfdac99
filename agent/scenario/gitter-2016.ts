/**
 * The seed's week (README, "Why it exists"), as a scenario: a replica set of
 * three data-bearing members and an arbiter; the md array under the primary's
 * data saturating under load and mongod's lock waits piling up; an emergency
 * migration of the data to new arrays that leaves the log path on the old
 * one; the old array decommissioned under two members' logs; at 03:00
 * logrotate runs, both mongods die, and the two left (one data member and the
 * arbiter) cannot elect a primary.
 *
 * The times are the scenario's, a week of June 2016 in local time, not a
 * record of the real incident's minutes.
 */
import type { Document } from 'mongodb';
import type { Finding } from '../../shared/findings.js';
import type { Segment } from './clock.js';
import type { HostSituation, SimCheck, SimMount } from './host-frames.js';

const at = (day: number, h: number, m = 0) => new Date(2016, 5, day, h, m).getTime();
const MIN = 60_000;

/** What happens when (scenario time). */
export const EVENTS = {
  built: at(20, 9),
  loadSaturates: at(21, 14, 2),
  locksPileUp: at(21, 14, 5),
  migrated: at(22, 1, 0),
  db1ArrayGone: at(24, 21, 48),
  db2ArrayGone: at(24, 22, 30),
  rotation: at(25, 3, 0),
};

/** The stretches that are played; the hours between them are skipped. */
export const SEGMENTS: Segment[] = [
  [{ from: at(20, 9), to: at(20, 9, 14), stepMs: 15_000 }],
  [{ from: at(21, 14), to: at(21, 14, 12), stepMs: 15_000 }],
  [{ from: at(22, 0, 58), to: at(22, 1, 4), stepMs: 15_000 }],
  [
    { from: at(24, 21, 45), to: at(24, 21, 52), stepMs: 15_000 },
    { from: at(24, 21, 52), to: at(24, 22, 28), stepMs: 4 * MIN, quiet: true },
    { from: at(24, 22, 28), to: at(24, 22, 34), stepMs: 15_000 },
    { from: at(24, 22, 34), to: at(25, 2, 58), stepMs: 10 * MIN, quiet: true },
    { from: at(25, 2, 58), to: at(25, 3, 4), stepMs: 15_000 },
  ],
];

export const HOSTS = ['db1', 'db2', 'db3'] as const;
export type HostName = (typeof HOSTS)[number];
const MEMBERS = ['db1:27017', 'db2:27017', 'db3:27017', 'arb1:27017'];

/** A link of the chain, and the page that says so: its rule, on which host. */
export interface Link {
  link: string;
  causeAt: number;
  rule: string;
  host: HostName;
}

/** In causal order; each must page before the outage. */
export const LINKS: Link[] = [
  {
    link: '3 data members + 1 arbiter: majority writes survive no failure',
    causeAt: EVENTS.built,
    rule: 'ReplsetDesignRisk',
    host: 'db1',
  },
  {
    link: 'md2 under the data saturates under load',
    causeAt: EVENTS.loadSaturates,
    rule: 'RaidArraySaturated',
    host: 'db1',
  },
  { link: 'mongod lock waits pile up', causeAt: EVENTS.locksPileUp, rule: 'MongodLockWaitHigh', host: 'db1' },
  {
    link: 'db1: the log path is left on the decommissioned array',
    causeAt: EVENTS.db1ArrayGone,
    rule: 'MongodRunningLogInvalid',
    host: 'db1',
  },
  {
    link: 'db1: the 03:00 rotation would fail',
    causeAt: EVENTS.db1ArrayGone,
    rule: 'LogrotateCheckFailing',
    host: 'db1',
  },
  {
    link: 'db2: a second mongod logs to the decommissioned array',
    causeAt: EVENTS.db2ArrayGone,
    rule: 'MongodRunningLogInvalid',
    host: 'db2',
  },
];

/** The outage itself, and the pages that report it (after the fact, by nature). */
export const OUTAGE = {
  at: EVENTS.rotation,
  what: 'logrotate runs at 03:00: mongod on db1 and db2 die; db3 + the arbiter are 2 of 4 votes, no primary',
  pages: [
    { rule: 'MongodDown', host: 'db1' },
    { rule: 'MongodDown', host: 'db2' },
    { rule: 'ReplsetNoPrimary', host: 'db3' },
  ] as { rule: string; host: HostName }[],
};

/** Story lines for the printed timeline: what the people did, which no rule pages on. */
export const NOTES: { at: number; what: string }[] = [
  {
    at: EVENTS.migrated,
    what: 'emergency migration: dbPath moves to /data2 on the new md3; systemLog.path stays on /data (md2)',
  },
];

const OK: SimCheck = { ok: true, file: '', findings: [] };
const LOG = '/data/log/mongod.log';

function logrotateFailing(): SimCheck {
  const missing = (line: number, target: string): Finding => ({
    severity: 'error',
    code: 'missing-parent-dir',
    file: '/etc/logrotate.d/mongod',
    line,
    target,
    message: `directory /data/log does not exist; logrotate fails with "stat of /data/log failed"`,
    fix: 'point the block at the log directory mongod uses now, or restore /data/log',
  });
  return {
    ok: false,
    file: '/etc/logrotate.conf',
    findings: [missing(1, LOG), missing(14, '/data/log/mongodump.log')],
  };
}

const URI = 'mongodb://127.0.0.1:27017';

function runningDetached(): SimCheck {
  return {
    ok: false,
    file: URI,
    findings: [
      {
        severity: 'error',
        code: 'running-log-detached',
        file: 'getCmdLineOpts',
        line: 0,
        target: LOG,
        message: `mongod (pid 1187) writes its log to ${LOG}, but the mount it was on is gone (the kernel now names the open file /log/mongod.log): its next log rotation fails (and mongod 2.4–4.4 aborts), whatever mongod.conf says now`,
        fix: 'restore /data/log and rotate the log (SIGUSR1), or restart mongod with a valid systemLog.path',
      },
    ],
  };
}

function configFailing(): SimCheck {
  return {
    ok: false,
    file: '/etc/mongod.conf',
    findings: [
      {
        severity: 'error',
        code: 'log-dir-missing',
        file: '/etc/mongod.conf',
        line: 4,
        target: LOG,
        message: `directory /data/log does not exist: mongod cannot open ${LOG} (it fails to start, and a running one dies at its next rotation or log write)`,
        fix: 'restore /data/log or point systemLog.path at an existing directory',
      },
    ],
  };
}

function replsetStatus(self: HostName, down: HostName[]): Document {
  const primary = down.length >= 2 ? null : 'db1:27017';
  return {
    set: 'gitter',
    members: MEMBERS.map((name, i) => {
      const isDown = down.some((d) => name.startsWith(`${d}:`));
      const arbiter = name.startsWith('arb');
      const state = isDown ? 8 : arbiter ? 7 : name === primary ? 1 : 2;
      return {
        _id: i,
        name,
        health: isDown ? 0 : 1,
        state,
        stateStr: isDown ? '(not reachable/healthy)' : arbiter ? 'ARBITER' : state === 1 ? 'PRIMARY' : 'SECONDARY',
        self: name.startsWith(`${self}:`),
      };
    }),
    votingMembersCount: 4,
    majorityVoteCount: 3,
    writableVotingMembersCount: 3,
    writeMajorityCount: 3,
  };
}

function mounts(host: HostName, t: number, arrayGone: boolean): SimMount[] {
  const md2 = { mountPoint: '/data', array: 'md2', members: ['sda1', 'sdb1'] };
  const md3 = { mountPoint: '/data2', array: 'md3', members: ['sdc1', 'sdd1'] };
  if (t < EVENTS.migrated) return [{ ...md2, holds: ['mongod dbPath /data/db', `mongod log ${LOG}`] }];
  // db3 moved its log with its data; db1 and db2 kept the log on /data
  if (host === 'db3') return [{ ...md3, holds: ['mongod dbPath /data2/db', 'mongod log /data2/log/mongod.log'] }];
  const data2 = { ...md3, holds: ['mongod dbPath /data2/db'] };
  return arrayGone ? [data2] : [{ ...md2, holds: [`mongod log ${LOG}`] }, data2];
}

/** One host's situation at scenario time t. */
export function situation(host: HostName, t: number): HostSituation {
  const goneAt = host === 'db1' ? EVENTS.db1ArrayGone : host === 'db2' ? EVENTS.db2ArrayGone : Infinity;
  const arrayGone = t >= goneAt;
  const migrated = t >= EVENTS.migrated;
  const hot = host === 'db1' && t >= EVENTS.loadSaturates && !migrated;
  const piled = host === 'db1' && t >= EVENTS.locksPileUp && !migrated;
  const dead = arrayGone && t >= EVENTS.rotation;
  const down = HOSTS.filter((h) => h !== 'db3' && t >= EVENTS.rotation);
  const arrays = [];
  if (!(arrayGone && migrated)) arrays.push({ name: 'md2', disks: ['sda', 'sdb'], saturated: hot });
  if (migrated) arrays.push({ name: 'md3', disks: ['sdc', 'sdd'], saturated: false });
  const nextDay = new Date(t);
  nextDay.setHours(3, 0, 0, 0);
  if (nextDay.getTime() <= t) nextDay.setDate(nextDay.getDate() + 1);
  return {
    arrays,
    mounts: mounts(host, t, arrayGone),
    lockPercent: piled ? 82 : 1.5,
    queued: piled ? 60 : 0,
    mongodUp: !dead,
    downSince: EVENTS.rotation,
    logrotate: arrayGone ? logrotateFailing() : { ...OK, file: '/etc/logrotate.conf' },
    mongodConfig: arrayGone ? configFailing() : { ...OK, file: '/etc/mongod.conf' },
    running: arrayGone ? runningDetached() : { ...OK, file: URI },
    nextRotation: nextDay.getTime(),
    replsetStatus: dead ? null : replsetStatus(host, down),
  };
}
