import type { Document } from 'bson';
import { at, num, toDate } from './ejson.js';
import type { KnownReplsetState, ReplsetMemberState, UnknownReplsetState } from '../../shared/states.js';

/**
 * How many failures a replica set survives, from replSetGetStatus and
 * replSetGetConfig (../shared/notes/metrics.md; MongoDB's replica-set
 * architecture docs): V = Σ votes, majority M = ⌊V/2⌋ + 1, designed fault
 * tolerance V − M; live fault tolerance counts only the votes of healthy
 * members in states that can vote; majority writes need the smaller of M and
 * the number of data-bearing voters, so arbiters add election votes but never
 * write acknowledgements.
 */

/** The shared contract's member, with the optime the lag is computed from (dates do not travel as JSON). */
export type Member = ReplsetMemberState & { optimeDate: Date | null };
/** The set as replSetGetStatus describes it, members with their optimes. */
export type KnownQuorum = Omit<KnownReplsetState, 'members'> & { members: Member[] };
/** replSetGetStatus failed (agent/mongod/absence.ts `unknownQuorum`): no members, every figure null. */
export type UnknownQuorum = Omit<UnknownReplsetState, 'members'> & { members: Member[] };
export type Quorum = KnownQuorum | UnknownQuorum;

/** States in which a member's vote counts (PRIMARY, SECONDARY, RECOVERING, STARTUP2, ARBITER, ROLLBACK). */
export const VOTING_STATES = new Set([1, 2, 3, 5, 7, 9]);
const ELECTABLE_STATES = new Set([1, 2]);

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function failures(n: number): string {
  return n <= 0 ? 'none' : plural(n, 'failure');
}

/** The config document whether given as the command reply ({config: …}) or as rs.conf() prints it. */
function configDoc(config: Document | null): Document | null {
  if (!config) return null;
  return (config.config as Document | undefined) ?? config;
}

export function quorum(status: Document, configReply: Document | null = null): KnownQuorum {
  const config = configDoc(configReply);
  const statusMembers = (Array.isArray(status.members) ? status.members : []) as Document[];
  const configMembers = (Array.isArray(config?.members) ? config.members : null) as Document[] | null;
  const byId = new Map(statusMembers.map((m) => [num(m._id), m]));
  const byName = new Map(statusMembers.map((m) => [String(m.name), m]));

  const base = configMembers ?? statusMembers;
  const members: Member[] = base.map((m) => {
    const s = configMembers ? (byId.get(num(m._id)) ?? byName.get(String(m.host))) : m;
    const stateStr = s ? String(s.stateStr ?? '') || null : null;
    const arbiter = configMembers ? m.arbiterOnly === true : stateStr === 'ARBITER' || num(s?.state) === 7;
    return {
      id: num(m._id),
      name: String((s?.name as string | undefined) ?? m.host ?? m.name),
      votes: configMembers ? (num(m.votes) ?? 1) : 1,
      priority: configMembers ? (num(m.priority) ?? (arbiter ? 0 : 1)) : arbiter ? 0 : 1,
      arbiter,
      hidden: m.hidden === true,
      delaySecs: num(m.secondaryDelaySecs) ?? num(m.slaveDelay) ?? 0,
      health: s ? num(s.health) : null,
      state: s ? num(s.state) : null,
      stateStr,
      optimeDate: s ? toDate(s.optimeDate) : null,
      lagSeconds: null,
    };
  });

  const primaryMember = members.find((m) => m.state === 1 && m.health !== 0) ?? null;
  if (primaryMember?.optimeDate) {
    for (const m of members) {
      if (m === primaryMember || m.arbiter || !m.optimeDate) continue;
      m.lagSeconds = Math.max(0, (primaryMember.optimeDate.getTime() - m.optimeDate.getTime()) / 1000);
    }
  }

  const source: KnownQuorum['source'] = configMembers ? 'config' : 'status';
  let voters = members.reduce((n, m) => n + (m.votes > 0 ? m.votes : 0), 0);
  let majority = Math.floor(voters / 2) + 1;
  let writableVoters = members.filter((m) => m.votes > 0 && !m.arbiter).length;
  if (!configMembers) {
    // Without the config, votes are unknown; 4.2.1+ status reports the counts the server computed.
    voters = num(status.votingMembersCount) ?? voters;
    majority = num(status.majorityVoteCount) ?? Math.floor(voters / 2) + 1;
    writableVoters = num(status.writableVotingMembersCount) ?? writableVoters;
  }
  const writeMajority = (!configMembers ? num(status.writeMajorityCount) : null) ?? Math.min(majority, writableVoters);
  const healthy = (m: Member) => m.health === 1 && m.state !== null && VOTING_STATES.has(m.state);
  const healthyVotes = members.filter(healthy).reduce((n, m) => n + m.votes, 0);
  const healthyWritable = members.filter((m) => healthy(m) && m.votes > 0 && !m.arbiter).length;
  const electableUp = members.some(
    (m) => m.health === 1 && m.state !== null && ELECTABLE_STATES.has(m.state) && m.priority > 0 && !m.arbiter,
  );
  const canElectPrimary = healthyVotes >= majority && electableUp;

  const q: KnownQuorum = {
    set: typeof status.set === 'string' ? status.set : typeof config?._id === 'string' ? config._id : null,
    members,
    voters,
    majority,
    designedFaultTolerance: voters - majority,
    healthyVotes,
    liveFaultTolerance: healthyVotes - majority,
    primary: primaryMember?.name ?? null,
    canElectPrimary,
    writableVoters,
    writeMajority,
    designedWriteFaultTolerance: writableVoters - writeMajority,
    liveWriteFaultTolerance: healthyWritable - writeMajority,
    source,
    warnings: [],
    summary: '',
  };
  q.warnings = quorumWarnings(q, config);
  q.summary = describeQuorum(q);
  return q;
}

function quorumWarnings(q: KnownQuorum, config: Document | null): string[] {
  const w: string[] = [];
  if (q.voters % 2 === 0 && q.voters > 0) {
    w.push(
      `${q.voters} voters is an even number: majority ${q.majority} tolerates ${failures(q.designedFaultTolerance)}, the same as ${q.voters - 1} voters — the extra vote adds nothing but another member whose loss counts`,
    );
  }
  const arbiters = q.members.filter((m) => m.arbiter && m.votes > 0);
  if (arbiters.length) {
    const wDefault = at(config, 'settings.getLastErrorDefaults.w');
    const note = wDefault === 'majority' ? ' and getLastErrorDefaults is w:"majority"' : '';
    w.push(
      `${plural(arbiters.length, 'arbiter')} (${arbiters.map((m) => m.name).join(', ')}) ${arbiters.length === 1 ? 'votes' : 'vote'} in elections but ${arbiters.length === 1 ? 'holds' : 'hold'} no data${note}: majority writes need ${q.writeMajority} of ${q.writableVoters} data-bearing voters, so they survive ${failures(q.designedWriteFaultTolerance)}`,
    );
  }
  for (const m of q.members) {
    if (m.votes === 0) w.push(`${m.name} has votes: 0: it does not count toward the majority`);
    if (m.priority === 0 && !m.arbiter) w.push(`${m.name} has priority 0: it can never become primary`);
    if (m.hidden) w.push(`${m.name} is hidden`);
    if (m.delaySecs > 0) w.push(`${m.name} is delayed by ${m.delaySecs} s`);
  }
  if (!q.primary) w.push('no member is PRIMARY: writes fail until an election succeeds');
  const down = q.members.filter((m) => m.health !== 1 || m.state === null || !VOTING_STATES.has(m.state));
  if (down.length)
    w.push(
      `not voting now: ${down.map((m) => `${m.name} (${m.stateStr ?? 'unknown'}${m.health === 0 ? ', unreachable' : ''})`).join(', ')}`,
    );
  return w;
}

/** "4 voters, majority 3: the set survives 1 failure, the same as 3 voters; majority writes survive none". */
export function describeQuorum(q: KnownQuorum): string {
  let s = `${plural(q.voters, 'voter')}, majority ${q.majority}: the set survives ${failures(q.designedFaultTolerance)}`;
  if (q.voters % 2 === 0 && q.voters > 0) s += `, the same as ${plural(q.voters - 1, 'voter')}`;
  s += `; majority writes survive ${failures(q.designedWriteFaultTolerance)}`;
  const live: string[] = [];
  live.push(q.primary ? `${q.primary} is primary` : 'there is no primary');
  live.push(`${q.healthyVotes} of ${q.voters} votes are up`);
  if (q.liveFaultTolerance < 0) live.push(`too few to elect a primary (${q.majority} needed)`);
  else if (q.liveFaultTolerance === 0) live.push('losing one more voting member leaves no majority to elect a primary');
  else live.push(`it can lose ${plural(q.liveFaultTolerance, 'more voting member')} and still elect a primary`);
  if (q.liveWriteFaultTolerance < 0) live.push('majority writes cannot be acknowledged now');
  else if (q.liveWriteFaultTolerance === 0) live.push('losing one more data-bearing voter stops majority writes');
  else live.push(`majority writes survive the loss of ${plural(q.liveWriteFaultTolerance, 'more data-bearing voter')}`);
  return `${s}. Now: ${live.join(', ')}.`;
}

/** The verdict of `tidemark check replset`: a primary exists and losing any one voter still leaves both an election and majority writes possible. */
export function atRisk(q: KnownQuorum): string[] {
  const reasons: string[] = [];
  if (!q.primary) reasons.push('no primary');
  if (q.liveFaultTolerance < 1)
    reasons.push(
      q.liveFaultTolerance < 0
        ? 'a primary cannot be elected now'
        : 'losing one more voting member leaves no majority to elect a primary',
    );
  if (q.liveWriteFaultTolerance < 1)
    reasons.push(
      q.liveWriteFaultTolerance < 0
        ? 'majority writes cannot be acknowledged now'
        : 'losing one data-bearing voter stops majority writes',
    );
  return reasons;
}
