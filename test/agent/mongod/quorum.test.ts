import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import { atRisk, quorum } from '../../../agent/mongod/replset.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { CLI } from '../../helpers/process.js';

type Spec = { votes?: number; priority?: number; arbiter?: boolean; state?: number; health?: number; hidden?: boolean };
/** A set as replSetGetStatus + replSetGetConfig would describe it. */
function set(specs: Spec[]): { status: Document; config: Document } {
  const stateStr: Record<number, string> = { 1: 'PRIMARY', 2: 'SECONDARY', 7: 'ARBITER', 8: 'DOWN' };
  const members = specs.map((s, i) => ({ ...s, id: i, state: s.state ?? (s.arbiter ? 7 : i === 0 ? 1 : 2) }));
  return {
    status: {
      set: 'rs',
      members: members.map((m) => ({
        _id: m.id,
        name: `h${m.id}:27017`,
        health: m.health ?? 1,
        state: m.state,
        stateStr: stateStr[m.state],
      })),
    },
    config: {
      config: {
        _id: 'rs',
        members: members.map((m) => ({
          _id: m.id,
          host: `h${m.id}:27017`,
          votes: m.votes ?? 1,
          priority: m.priority ?? (m.arbiter ? 0 : 1),
          arbiterOnly: !!m.arbiter,
          hidden: !!m.hidden,
        })),
      },
    },
  };
}
const q = (specs: Spec[]) => {
  const s = set(specs);
  return quorum(s.status, s.config);
};

describe('replica-set quorum', () => {
  it('matches MongoDB’s fault-tolerance table for 1 to 7 voting members', () => {
    // docs, "Replica Set Deployment Architectures": members → majority → fault tolerance
    const table: [number, number, number][] = [
      [1, 1, 0],
      [2, 2, 0],
      [3, 2, 1],
      [4, 3, 1],
      [5, 3, 2],
      [6, 4, 2],
      [7, 4, 3],
    ];
    for (const [n, majority, ft] of table) {
      const r = q(Array.from({ length: n }, () => ({})));
      expect([r.voters, r.majority, r.designedFaultTolerance], `${n} members`).toEqual([n, majority, ft]);
      expect(r.liveFaultTolerance).toBe(ft);
      // with every member data-bearing, majority writes tolerate the same
      expect(r.designedWriteFaultTolerance).toBe(ft);
    }
  });

  it('3 data-bearing members + 1 arbiter: elections survive 1 failure, majority writes survive 0', () => {
    const r = q([{}, {}, {}, { arbiter: true }]);
    expect(r).toMatchObject({
      voters: 4,
      majority: 3,
      designedFaultTolerance: 1,
      writableVoters: 3,
      writeMajority: 3,
      designedWriteFaultTolerance: 0,
      liveWriteFaultTolerance: 0,
    });
    expect(
      r.summary.startsWith(
        '4 voters, majority 3: the set survives 1 failure, the same as 3 voters; majority writes survive none.',
      ),
    ).toBe(true);
    expect(atRisk(r)).toEqual(['losing one data-bearing voter stops majority writes']);
    // The outage: two of the four down, no majority left
    const down = q([{ state: 8, health: 0 }, { state: 8, health: 0 }, { state: 2 }, { arbiter: true }]);
    expect(down).toMatchObject({ healthyVotes: 2, liveFaultTolerance: -1, canElectPrimary: false, primary: null });
    expect(atRisk(down)).toEqual([
      'no primary',
      'a primary cannot be elected now',
      'majority writes cannot be acknowledged now',
    ]);
    expect(down.summary).toContain('there is no primary, 2 of 4 votes are up, too few to elect a primary (3 needed)');
  });

  it('counts arbiters for elections only, and leaves out votes-0 members', () => {
    // PSA: 3 voters, majority 2; writes need min(2, 2) = 2 of 2 data-bearing voters
    expect(q([{}, {}, { arbiter: true }])).toMatchObject({
      voters: 3,
      majority: 2,
      designedFaultTolerance: 1,
      writeMajority: 2,
      designedWriteFaultTolerance: 0,
    });
    // P + 3 S + A: 5 voters, majority 3; writes need min(3, 4) = 3 of 4
    expect(q([{}, {}, {}, {}, { arbiter: true }])).toMatchObject({
      voters: 5,
      majority: 3,
      designedFaultTolerance: 2,
      writeMajority: 3,
      designedWriteFaultTolerance: 1,
    });
    // 5 members, 2 with votes 0: 3 voters, majority 2; the two non-voters do not count for writes either
    const r = q([{}, {}, {}, { votes: 0, priority: 0 }, { votes: 0, priority: 0 }]);
    expect(r).toMatchObject({
      voters: 3,
      majority: 2,
      designedFaultTolerance: 1,
      writableVoters: 3,
      writeMajority: 2,
      designedWriteFaultTolerance: 1,
    });
    expect(r.warnings).toContain('h3:27017 has votes: 0: it does not count toward the majority');
    // 2 voters + arbiter where one data member is down: primary still electable, but no majority writes margin
    const degraded = q([{}, { state: 8, health: 0 }, { arbiter: true }]);
    expect(degraded).toMatchObject({ liveFaultTolerance: 0, canElectPrimary: true, liveWriteFaultTolerance: -1 });
  });

  it('warns about even voters, priority 0, hidden members and a missing primary', () => {
    const r = q([{ state: 2 }, {}, { priority: 0, hidden: true }, {}]);
    expect(r.warnings).toEqual([
      '4 voters is an even number: majority 3 tolerates 1 failure, the same as 3 voters — the extra vote adds nothing but another member whose loss counts',
      'h2:27017 has priority 0: it can never become primary',
      'h2:27017 is hidden',
      'no member is PRIMARY: writes fail until an election succeeds',
    ]);
    // no electable member up: votes suffice, but nobody may become primary
    expect(q([{ priority: 0 }, { priority: 0 }, { priority: 0 }]).canElectPrimary).toBe(false);
  });
});

describe('replica sets from recorded replies, through the driver and a wire-protocol server', () => {
  const reply = (rel: string) => parseRecordedReply(readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8'));
  const fakes: FakeMongod[] = [];
  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.stop()));
  });
  const check = async (status: Document | null, config: Document | null) => {
    const fake = await startFakeMongod({
      replSetGetStatus: () =>
        status ?? { ok: 0, code: 76, codeName: 'NoReplicationEnabled', errmsg: 'not running with --replSet' },
      ...(config ? { replSetGetConfig: () => ({ ...config, ok: 1 }) } : {}),
    });
    fakes.push(fake);
    return new Promise<{ code: number; out: Record<string, unknown> }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'check', 'replset', '--uri', fake.uri, '--json'],
        { encoding: 'utf8' },
        (err, stdout, stderr) => {
          resolve({
            code: err ? Number((err as { code?: number }).code) : 0,
            out: stdout ? JSON.parse(stdout) : { stderr },
          });
        },
      );
    });
  };

  it('4.2, primary + arbiter + 2 secondaries (DataDog): 4 voters, elections survive 1, majority writes none', async () => {
    const r = await check(
      reply('4.2-replset-arbiter-primary-view/replSetGetStatus.json'),
      reply('4.2-replset-arbiter-primary-view/replSetGetConfig.json'),
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatchObject({
      set: 'replset',
      source: 'config',
      voters: 4,
      majority: 3,
      designedFaultTolerance: 1,
      writeMajority: 3,
      designedWriteFaultTolerance: 0,
      canElectPrimary: true,
    });
    // optimeDate: primary 1601384207000, data-2 1601384202000 → 5 s behind
    const lag = (r.out.members as { name: string; lagSeconds: number | null }[]).map((m) => m.lagSeconds);
    expect(lag).toEqual([null, null, 0, 5]);
    // the status's own 4.2.1+ counts agree with what the config gives
    const status = reply('4.2-replset-arbiter-primary-view/replSetGetStatus.json');
    expect([status.majorityVoteCount, status.writeMajorityCount]).toEqual([r.out.majority, r.out.writeMajority]);
  });

  it('without the config, uses what the status reports (4.2 counts; 2.6 docs example)', async () => {
    const only = quorum(reply('4.2-replset-arbiter-primary-view/replSetGetStatus.json'));
    expect(only).toMatchObject({ source: 'status', majority: 3, writeMajority: 3 });
    const docs = await check(reply('docs-example-2.6/replSetGetStatus.json'), null);
    expect(docs.code).toBe(0);
    expect(docs.out).toMatchObject({
      voters: 3,
      majority: 2,
      designedFaultTolerance: 1,
      designedWriteFaultTolerance: 1,
      primary: 'm1.example.net:27017',
      atRisk: [],
    });
  });

  it('3.6.20 and 4.2.8 (replSetGetStatus inside getDiagnosticData, Go-encoded dates): lag of each secondary', async () => {
    const s36 = reply('3.6.20-wiredtiger/getDiagnosticData.json').replSetGetStatus as Document;
    const r36 = await check(s36, null);
    // primary optimeDate 2020-10-06T12:33:10Z, secondaries 12:32:55Z
    expect((r36.out.members as { lagSeconds: number | null }[]).map((m) => m.lagSeconds)).toEqual([null, 15, 15]);
    expect(r36.code).toBe(0);
    const s42 = reply('4.2.8-wiredtiger/getDiagnosticData.json').replSetGetStatus as Document;
    const r42 = await check(s42, null);
    expect(r42.out).toMatchObject({ majority: 2, voters: 3, primary: '172.19.0.9:27017' });
  });

  it('a mongod that is not in a replica set cannot be checked (exit 2)', async () => {
    const r = await check(null, null);
    expect(r.code).toBe(2);
  });
});
