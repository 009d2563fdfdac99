import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { HostSummary } from '../../../shared/protocol.js';
import type { ReplsetView } from '../../../shared/overview.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { startFakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

/**
 * An agent restarted while its mongod is down, through a real server and two real agent processes on one
 * spool directory, against the in-test wire server replaying the 4.2.8 recording (set rs1): the set stays on
 * the dashboard, as unknown, with why and since when, instead of vanishing with the first agent.
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const diag = parseRecordedReply(
  readFileSync(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
);

describe('an agent restarted while its mongod is down', () => {
  it('keeps reporting the set, unknown since its first failed read, and the overview shows it', async () => {
    const ss = diag.serverStatus as Document;
    let uptime = Number(ss.uptimeMillis);
    const fake = await startFakeMongod({
      serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
      replSetGetStatus: () => ({ ...(diag.replSetGetStatus as Document), ok: 1 }),
    });
    cleanup.push(() => fake.stop());
    const { base, start } = await serverProcess();
    const server = await start();
    cleanup.push(() => server.stop());
    const spool = tempDir();
    const agent = (): Running => {
      const a = runCli(
        [
          'agent',
          ...['--server', base.replace('http', 'ws'), '--agent-id', 'db', '--interval-ms', '500'],
          ...['--root', path.join(FIXTURES, 'procfs/node_exporter'), '--mongod-uri', fake.uri],
          ...['--spool-dir', spool],
        ],
        { TIDEMARK_TOKEN: 't' },
      );
      cleanup.push(() => a.stop());
      return a;
    };
    const host = async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db');

    const first = agent();
    await until(async () => (await host())?.states.replset?.rs1?.voters === 3, 20_000, 'the known view');
    await first.stop();
    await fake.stop();
    const stoppedAt = Date.now();

    agent();
    // The second agent's first batch says mongod is down; the same batch carries every replica-set state it has.
    const down = await until(
      async () => {
        const h = await host();
        return h?.connected && h.states.mongod?.status?.up === false && h;
      },
      20_000,
      'the restarted agent reporting mongod down',
    );
    expect(down.stateProblems).toBeUndefined();
    const rs = down.states.replset?.rs1;
    expect(rs).toMatchObject({ state: 'unknown', set: 'rs1', primary: null, members: [], voters: null });
    expect(rs?.state === 'unknown' && rs.error).toMatch(/^mongod down/);
    expect(rs?.state === 'unknown' && rs.since).toBeGreaterThanOrEqual(stoppedAt);

    const { sets } = await getJson<{ sets: ReplsetView[] }>(`${base}/api/replsets`);
    expect(sets).toEqual([
      expect.objectContaining({ set: 'rs1', reportedBy: 'db', known: false, primary: null, health: 'bad' }),
    ]);
  }, 60_000);
});
