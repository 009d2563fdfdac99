import { describe, expect, it } from 'vitest';
import { checkedStates, mergeStates, stateProblem } from '../../web/src/state-check.js';
import { unknownQuorum } from '../../agent/mongod/absence.js';

const goodCheck = {
  check: 'logrotate',
  file: '/etc/logrotate.conf',
  ok: true,
  counts: { error: 0, warning: 0 },
  findings: [],
  checkedAt: 1,
};
const goodArray = {
  name: 'md0',
  level: 'raid1',
  state: 'clean',
  readOnly: false,
  health: 'clean',
  degraded: false,
  disks: { expected: 2, active: 2, failed: 0, spare: 0, missing: 0 },
  missingSlots: [],
  members: [{ name: 'sda1', index: 0, state: 'in_sync' }],
  sync: null,
  mismatchCnt: 0,
  disagreements: [],
};

describe('dashboard state validation', () => {
  it('keeps states with the fields their panels read', () => {
    const { states, problems } = checkedStates({ logpaths: { logrotate: goodCheck }, raid_array: { md0: goodArray } });
    expect(problems).toEqual([]);
    expect(states.logpaths!.logrotate).toEqual(goodCheck);
    expect(states.raid_array!.md0).toEqual(goodArray);
  });

  it('names a log-path state without its fields, and leaves it out', () => {
    const { states, problems } = checkedStates({ logpaths: { logrotate: { check: 'logrotate' }, other: goodCheck } });
    expect(problems).toEqual(['state logpaths/logrotate: ok must be a boolean']);
    expect(Object.keys(states.logpaths!)).toEqual(['other']);
    expect(stateProblem('logpaths', 'x', { ...goodCheck, counts: { error: 'many', warning: 0 } })).toBe(
      'state logpaths/x: error must be a number',
    );
    expect(stateProblem('raid_array', 'md0', { ...goodArray, members: [null] })).toBe(
      'state raid_array/md0: members must be objects with a name',
    );
  });

  it('checks the file-system, running-mongod and logrotate-schedule states too', () => {
    const mount = {
      mountPoint: '/data',
      fsType: 'ext4',
      device: '/dev/md2',
      array: 'md2',
      members: ['sdb1'],
      sizeBytes: 1,
      availPercent: 40,
      inodesFreePercent: null,
      timeToFullSeconds: null,
      holds: [],
    };
    expect(stateProblem('filesystem', '/data', mount)).toBeNull();
    expect(stateProblem('filesystem', '/data', { ...mount, holds: undefined })).toBe(
      'state filesystem//data: holds must be an array',
    );
    expect(stateProblem('mongod_running', 'running', { ...goodCheck, check: 'mongod-running' })).toBeNull();
    expect(stateProblem('mongod_running', 'running', { check: 'mongod-running' })).toBe(
      'state mongod_running/running: ok must be a boolean',
    );
    expect(stateProblem('logrotate_schedule', 'next', { next: 1, detail: 'cron' })).toBeNull();
    expect(stateProblem('logrotate_schedule', 'next', { next: 'soon' })).toBe(
      'state logrotate_schedule/next: next must be null or a number',
    );
  });

  it("renders a replica set the agent could not read (its figures null), not a known one's nulls", () => {
    // What the agent sends when replSetGetStatus fails (mongod down): the card must stay, saying so.
    const unknown = unknownQuorum('rs0', null, 'connection refused', 1_700_000_000_000);
    expect(stateProblem('replset', 'rs0', unknown)).toBeNull();
    expect(checkedStates({ replset: { rs0: unknown } }).states.replset!.rs0).toEqual(unknown);
    const { state: _state, ...known } = unknown;
    expect(stateProblem('replset', 'rs0', known)).toBe('state replset/rs0: voters must be a number');
    const { error: _error, ...noError } = unknown;
    expect(stateProblem('replset', 'rs0', noError)).toBe('state replset/rs0: error must be a string');
    expect(stateProblem('replset', 'rs0', { ...unknown, since: '1' })).toBe(
      'state replset/rs0: since must be a number',
    );
    expect(stateProblem('replset', 'rs0', { ...unknown, summary: null })).toBe(
      'state replset/rs0: summary must be a string',
    );
  });

  it('refuses prototype keys without polluting any prototype', () => {
    const states = checkedStates({}).states;
    const problems = mergeStates(
      states,
      ['__proto__', 'logpaths'],
      [
        { kind: '__proto__', key: 'polluted', value: { yes: true } },
        { kind: 'logpaths', key: 'constructor', value: goodCheck },
        { kind: 'logpaths', key: 'logrotate', value: goodCheck },
      ],
    );
    expect(problems).toEqual(['state __proto__/polluted: reserved name', 'state logpaths/constructor: reserved name']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(states.logpaths!)).toEqual(['logrotate']);
    // A JSON host list with a "__proto__" kind (JSON.parse makes it an own key) is refused the same way.
    const parsed = checkedStates(JSON.parse('{"__proto__": {"k": {"a": 1}}}'));
    expect(parsed.problems).toEqual(['state __proto__/k: reserved name']);
  });
});
