import { gaugeTable, type MetricDef } from './types.js';

/** Replica sets: votes, majorities and members as the set sees them. */
export const REPLSET_METRICS = gaugeTable('replset', ['set'], {
  replset_voters: ['count', 'Voters', 'Voting members V = Σ votes (replSetGetConfig; votes default 1).'],
  replset_majority: ['count', 'Majority', 'Votes needed to elect a primary: M = ⌊V/2⌋ + 1.'],
  replset_fault_tolerance: [
    'count',
    'Designed fault tolerance',
    'Voting members the set can lose and still elect a primary: V − M (3 → 1, 4 → 1, 5 → 2).',
  ],
  replset_live_fault_tolerance: [
    'count',
    'Live fault tolerance',
    'Votes of healthy members in voting states (PRIMARY, SECONDARY, RECOVERING, STARTUP2, ARBITER, ROLLBACK) minus M: how many more can fail now. Below 0 no primary can be elected.',
  ],
  replset_write_fault_tolerance: [
    'count',
    'Majority-write fault tolerance',
    'Healthy data-bearing voters minus the write majority (the smaller of M and the number of data-bearing voters, as writableVotingMembersCount − writeMajorityCount): arbiters never acknowledge writes, so 3 members + 1 arbiter survive 0.',
  ],
  replset_has_primary: ['boolean', 'Has primary', '1 when a member is PRIMARY.'],
  replset_design_risk: [
    'boolean',
    'Design risk',
    '1 when the configuration itself is weak, whatever is up: an even number of voters (the extra vote adds no tolerance), or majority writes that survive no failure (designed data-bearing voters − write majority < 1, e.g. 3 members + 1 arbiter).',
  ],
  replset_can_elect_primary: [
    'boolean',
    'Can elect a primary',
    '1 when the healthy votes reach the majority and a healthy electable (priority > 0, data-bearing) member exists.',
  ],
}) satisfies readonly MetricDef[];
