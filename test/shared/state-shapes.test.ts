import { describe, expect, it } from 'vitest';
import { stateShapeProblem } from '../../shared/state-shapes.js';

type Value = Record<string, unknown>;

/** `base` with the field at `path` (dotted, array indexes as numbers) set to `to`, or removed when `to` is DROP. */
const DROP = Symbol('drop');
function changed(base: Value, path: string, to: unknown): Value {
  const copy = structuredClone(base);
  const parts = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  const last = parts.at(-1)!;
  if (to === DROP) delete at[last];
  else at[last] = to;
  return copy;
}

// Hand-written from the types in shared/states.ts.
const mdArray: Value = {
  name: 'md0',
  kind: 'array',
  container: null,
  level: 'raid1',
  state: 'clean',
  readOnly: false,
  health: 'degraded',
  degraded: true,
  disks: { expected: 2, active: 1, failed: 0, spare: 0, missing: 1, journal: 0, replacement: 0 },
  missingSlots: [1],
  members: [{ name: 'sda1', index: 0, state: 'in_sync', writeMostly: false, journal: false }],
  sync: { action: 'recovery', status: 'running', percent: 12.5, speedKBps: null, etaSeconds: null },
  mismatchCnt: null,
  metadata: '1.2',
  sources: ['mdstat', 'sysfs'],
  disagreements: [],
  queue: {
    source: 'members',
    fallbackReason: 'md accounts no time',
    aquSz: null,
    inFlight: null,
    members: {
      counted: ['sda'],
      aquSzSum: 0.5,
      aquSzMax: 0.5,
      inFlightSum: 1,
      inFlightMax: 1,
      utilSum: 40,
      utilMax: 40,
      busiest: 'sda',
    },
    saturated: false,
    saturatedMembers: [],
  },
};

const logPathCheck: Value = {
  check: 'logrotate',
  file: '/etc/logrotate.conf',
  ok: false,
  counts: { error: 1, warning: 0, info: 2 },
  findings: [
    {
      severity: 'error',
      code: 'missing-parent-dir',
      file: '/etc/logrotate.d/x',
      line: 3,
      message: 'no dir',
      fix: 'mkdir',
    },
  ],
  checkedAt: 1_700_000_000_000,
};

const ticket = { out: 3, available: 125, total: 128, utilPercent: 2.3, queueLength: null };
const mongodUp: Value = {
  up: true,
  uri: 'mongodb://127.0.0.1:27017',
  version: '7.0.12',
  recoveredFrom: null,
  gauges: {
    version: '7.0.12',
    pid: 4242,
    uptimeMs: 1000,
    queued: { readers: 0, writers: 0, total: 0 },
    active: { readers: 3, writers: 1, total: 4 },
    tickets: { source: 'queues.execution', read: ticket, write: null },
    ticketQueue: { readers: 0, writers: 0 },
    connections: { current: 57, available: null },
  },
  figures: { lockKind: 'wait', lockPercent: 1, lockPercentUncapped: 1, contendedPercent: null },
  discarded: null,
  missing: [],
  lastError: null,
};
const mongodDown: Value = {
  up: false,
  uri: 'mongodb://127.0.0.1:27017',
  since: 1_700_000_000_000,
  lastError: 'refused',
};

const replset: Value = {
  set: 'rs0',
  members: [
    {
      id: 0,
      name: 'a:27017',
      votes: 1,
      priority: 1,
      arbiter: false,
      hidden: false,
      delaySecs: 0,
      health: 1,
      state: 1,
      stateStr: 'PRIMARY',
      lagSeconds: null,
    },
  ],
  voters: 1,
  majority: 1,
  designedFaultTolerance: 0,
  healthyVotes: 1,
  liveFaultTolerance: 0,
  primary: 'a:27017',
  canElectPrimary: true,
  writableVoters: 1,
  writeMajority: 1,
  designedWriteFaultTolerance: 0,
  liveWriteFaultTolerance: 0,
  source: 'config',
  warnings: [],
  summary: 'one member',
};

const filesystem: Value = {
  mountPoint: '/var/lib/mongodb',
  fsType: 'xfs',
  device: 'md0',
  array: 'md0',
  members: ['sda1', 'sdb1'],
  sizeBytes: 1e12,
  availPercent: 40,
  inodesFreePercent: null,
  timeToFullSeconds: null,
  holds: ['mongod data'],
};

describe('state shapes: what each known kind must look like', () => {
  it('passes good values of every kind, with their optional fields present or absent', () => {
    const good: [string, Value][] = [
      ['raid_array', mdArray],
      ['raid_array', { ...mdArray, error: 'unreadable block', queue: null, sync: null }],
      ['logpaths', logPathCheck],
      ['logpaths', { ...logPathCheck, instance: null, error: 'cannot read' }],
      ['mongod_running', { ...logPathCheck, check: 'mongod-running', instance: 'a', file: null }],
      ['mongod', mongodUp],
      ['mongod', { ...mongodUp, gauges: null, figures: null }],
      ['mongod', mongodDown],
      ['replset', replset],
      ['replset', { ...replset, state: 'unknown', error: 'timeout', since: 1, primary: null, set: null }],
      // an unknown view's quorum figures are null (agent/mongod/absence.ts)
      ['replset', { ...replset, state: 'unknown', error: 'e', since: 1, voters: null, liveWriteFaultTolerance: null }],
      ['filesystem', filesystem],
      ['filesystem', { ...filesystem, array: null, availPercent: null }],
      ['logrotate_schedule', { next: 1, latest: 2, detail: 'daily', mechanism: 'cron' }],
      ['logrotate_schedule', { error: 'no cron job or systemd timer runs logrotate here' }],
      ['logrotate_schedule', {}],
    ];
    for (const [kind, v] of good) expect(stateShapeProblem(kind, v), `${kind} ${JSON.stringify(v)}`).toBeNull();
  });

  it('passes older agents: md fields added after they shipped may be absent; fields the types do not name pass', () => {
    let old = changed(mdArray, 'kind', DROP);
    for (const p of ['container', 'disks.journal', 'disks.replacement', 'members.0.journal', 'queue'])
      old = changed(old, p, DROP);
    expect(stateShapeProblem('raid_array', old)).toBeNull();
    expect(stateShapeProblem('logpaths', changed(logPathCheck, 'instance', DROP))).toBeNull();
    expect(stateShapeProblem('mongod', changed(mongodUp, 'lastError', DROP))).toBeNull();
    expect(stateShapeProblem('mongod', { ...mongodUp, newerField: [1, 'x'] })).toBeNull();
  });

  it('does not check values: literals as strings, numbers of any size', () => {
    expect(stateShapeProblem('raid_array', { ...mdArray, health: 'frozen', state: '' })).toBeNull();
    expect(stateShapeProblem('replset', { ...replset, voters: -1.5, source: 'elsewhere' })).toBeNull();
  });

  it('passes any value of a kind this build does not know', () => {
    expect(stateShapeProblem('disk_smart', { anything: [null] })).toBeNull();
  });

  it('names the first wrong field of each kind and the type it must have', () => {
    const bad: [string, Value, string][] = [
      ['raid_array', changed(mdArray, 'name', 7), 'name must be a string'],
      ['raid_array', changed(mdArray, 'level', DROP), 'level must be a string or null'],
      ['raid_array', changed(mdArray, 'disks', null), 'disks must be an object'],
      ['raid_array', changed(mdArray, 'disks.failed', null), 'disks.failed must be a number'],
      ['raid_array', changed(mdArray, 'disks.journal', '0'), 'disks.journal must be a number when present'],
      ['raid_array', changed(mdArray, 'missingSlots', [1, '2']), 'missingSlots.1 must be a number'],
      ['raid_array', changed(mdArray, 'members.0', 'sda1'), 'members.0 must be an object'],
      ['raid_array', changed(mdArray, 'members.0.index', '0'), 'members.0.index must be a number or null'],
      ['raid_array', changed(mdArray, 'sync', []), 'sync must be an object or null'],
      ['raid_array', changed(mdArray, 'sync.percent', DROP), 'sync.percent must be a number or null'],
      ['raid_array', changed(mdArray, 'sources', 'mdstat'), 'sources must be an array of strings'],
      ['raid_array', changed(mdArray, 'queue.members.busiest', 3), 'queue.members.busiest must be a string or null'],
      ['raid_array', changed(mdArray, 'queue.saturated', 0), 'queue.saturated must be a boolean'],
      ['logpaths', changed(logPathCheck, 'counts', DROP), 'counts must be an object'],
      ['logpaths', changed(logPathCheck, 'counts.info', DROP), 'counts.info must be a number'],
      ['logpaths', changed(logPathCheck, 'findings', {}), 'findings must be an array'],
      ['logpaths', changed(logPathCheck, 'findings.0.line', '3'), 'findings.0.line must be a number'],
      ['logpaths', changed(logPathCheck, 'findings.0.fix', null), 'findings.0.fix must be a string when present'],
      ['logpaths', changed(logPathCheck, 'instance', 1), 'instance must be a string or null when present'],
      ['mongod_running', changed(logPathCheck, 'ok', 'yes'), 'ok must be a boolean'],
      ['mongod', changed(mongodUp, 'up', 1), 'up must be a boolean'],
      ['mongod', changed(mongodUp, 'gauges.tickets.read.total', DROP), 'gauges.tickets.read.total must be a number'],
      ['mongod', changed(mongodUp, 'gauges.ticketQueue.readers', null), 'gauges.ticketQueue.readers must be a number'],
      ['mongod', changed(mongodUp, 'figures.lockPercent', '1'), 'figures.lockPercent must be a number or null'],
      ['mongod', changed(mongodUp, 'missing', null), 'missing must be an array of strings'],
      ['mongod', changed(mongodDown, 'since', null), 'since must be a number'],
      ['mongod', changed(mongodDown, 'lastError', null), 'lastError must be a string'],
      ['replset', changed(replset, 'members.0.votes', null), 'members.0.votes must be a number'],
      ['replset', changed(replset, 'liveFaultTolerance', null), 'liveFaultTolerance must be a number'],
      ['replset', { ...replset, state: 'known', voters: null }, 'voters must be a number'],
      [
        'replset',
        { ...replset, state: 'unknown', error: 'e', since: 1, voters: '3' },
        'voters must be a number or null',
      ],
      // an unknown view says why and since when (UnknownReplsetState): its card and verdict show both
      ['replset', { ...replset, state: 'unknown', since: 1 }, 'error must be a string'],
      ['replset', { ...replset, state: 'unknown', error: 'e', since: null }, 'since must be a number'],
      ['replset', changed(replset, 'state', null), 'state must be a string when present'],
      ['replset', changed(replset, 'warnings', [null]), 'warnings.0 must be a string'],
      ['filesystem', changed(filesystem, 'sizeBytes', null), 'sizeBytes must be a number'],
      ['filesystem', changed(filesystem, 'holds', DROP), 'holds must be an array of strings'],
      ['logrotate_schedule', { next: null }, 'next must be a number when present'],
      ['logrotate_schedule', { detail: 1 }, 'detail must be a string when present'],
    ];
    for (const [kind, v, message] of bad) expect(stateShapeProblem(kind, v), `${kind}`).toBe(message);
  });

  it('a number replaced by a number never changes the answer (what the memo relies on)', () => {
    // Every number in every good and bad value above, replaced by numbers of other sizes and kinds.
    const values: [string, Value][] = [
      ['raid_array', mdArray],
      ['raid_array', changed(mdArray, 'members.0.name', 7)],
      ['logpaths', logPathCheck],
      ['logpaths', changed(logPathCheck, 'counts.info', null)],
      ['mongod', mongodUp],
      ['mongod', mongodDown],
      ['replset', replset],
      ['filesystem', filesystem],
      ['logrotate_schedule', { next: 1, latest: 2 }],
    ];
    const swaps = [0, -1, 0.5, 1e300, -0, 2 ** 53 + 2];
    const renumbered = (v: unknown, to: number): unknown =>
      typeof v === 'number'
        ? to
        : Array.isArray(v)
          ? v.map((x) => renumbered(x, to))
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renumbered(x, to)]))
            : v;
    for (const [kind, v] of values)
      for (const to of swaps)
        expect(stateShapeProblem(kind, renumbered(v, to) as Value)).toBe(stateShapeProblem(kind, v));
  });
});
