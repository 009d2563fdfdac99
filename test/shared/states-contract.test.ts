import { describe, expectTypeOf, it } from 'vitest';
import type { ArrayReport } from '../../agent/raid/arrays.js';
import type { ArrayQueue } from '../../agent/raid/queue.js';
import type { Gauges, IntervalFigures, TicketFigures } from '../../agent/mongod/server-status.js';
import type { KnownQuorum, Member, UnknownQuorum } from '../../agent/mongod/replset.js';
import type {
  MdArrayState,
  MdQueue,
  MongodFigures,
  MongodGauges,
  KnownReplsetState,
  ReplsetMemberState,
  UnknownReplsetState,
  TicketState,
} from '../../shared/states.js';

// The agent's own types must fit the contract the server and dashboard read; tsc (which covers tests) fails otherwise.
describe('the shared state contract matches what the agent produces', () => {
  it('md arrays: the report plus its queue figures', () => {
    expectTypeOf<ArrayReport & { queue: ArrayQueue | null }>().toExtend<MdArrayState>();
    expectTypeOf<ArrayQueue>().toExtend<MdQueue>();
  });

  it('mongod: gauges, tickets and the interval figures the panel shows', () => {
    expectTypeOf<Gauges>().toExtend<MongodGauges>();
    expectTypeOf<TicketFigures>().toExtend<TicketState>();
    expectTypeOf<Pick<IntervalFigures, keyof MongodFigures>>().toExtend<MongodFigures>();
  });

  it('replica set: the quorum with its members, dates left out', () => {
    expectTypeOf<Omit<Member, 'optimeDate'>>().toExtend<ReplsetMemberState>();
    expectTypeOf<Omit<KnownQuorum, 'members'> & { members: ReplsetMemberState[] }>().toExtend<KnownReplsetState>();
    // The unknown view (replSetGetStatus failed) carries no figures: null, not a number in disguise.
    expectTypeOf<Omit<UnknownQuorum, 'members'> & { members: ReplsetMemberState[] }>().toExtend<UnknownReplsetState>();
    expectTypeOf<UnknownReplsetState['voters']>().toEqualTypeOf<null>();
    expectTypeOf<UnknownReplsetState['liveWriteFaultTolerance']>().toEqualTypeOf<null>();
  });
});
