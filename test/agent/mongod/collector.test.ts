import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { HostSummary } from '../../../shared/protocol.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { CLI, getJson, runCli, until, serverProcess, type Running } from '../../helpers/process.js';

const recorded = (rel: string) => parseRecordedReply(readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8'));

describe('the mongod collector in a real agent', () => {
  let fake: FakeMongod;
  let server: Running;
  let agent: Running;
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await fake?.stop();
  });

  it('streams lock figures and quorum, reports "down" within two intervals when mongod goes away, and recovers', async () => {
    const diag = recorded('4.2.8-wiredtiger/getDiagnosticData.json');
    const ss = diag.serverStatus as Document;
    let uptime = Number(ss.uptimeMillis);
    fake = await startFakeMongod({
      // a live-looking mongod: uptime advances 1 s per reply
      serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
      replSetGetStatus: () => diag.replSetGetStatus as Document,
    });
    const { port, start } = await serverProcess();
    server = await start();
    agent = runCli(
      [
        'agent',
        '--server',
        `ws://127.0.0.1:${port}`,
        '--agent-id',
        'db',
        '--interval-ms',
        '1000',
        '--root',
        path.join(FIXTURES, 'procfs/node_exporter'),
        '--mongod-uri',
        fake.uri,
      ],
      { TIDEMARK_TOKEN: 't' },
    );
    const base = `http://127.0.0.1:${port}`;
    const host = async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db');
    const mongodState = async () =>
      (await host())?.states.mongod?.status as
        { up: boolean; since?: number; lastError?: string; figures?: { lockPercent: number } | null } | undefined;

    await until(async () => (await mongodState())?.figures, 15_000, 'lock figures');
    expect((await mongodState())!.figures!.lockPercent).toBe(0);
    const rs = (await host())!.states.replset;
    expect(Object.values(rs!)[0]).toMatchObject({ voters: 3, majority: 2 });
    // The server checks each state's shape at ingest: none of the real agent's was set aside (shared/state-shapes.ts).
    expect((await host())!.stateProblems).toBeUndefined();
    const lock = await getJson<{ series: { labels: Record<string, string>; points: [number, number][] }[] }>(
      `${base}/api/series?host=db&metric=mongod_lock_percent&from=now-1m`,
    );
    expect(lock.series[0]!.labels).toEqual({ kind: 'wait' });

    await fake.stop();
    const stoppedAt = Date.now();
    await until(async () => (await mongodState())?.up === false, 10_000, 'mongod down');
    const downAfter = Date.now() - stoppedAt;
    const down = (await mongodState())!;
    expect(downAfter).toBeLessThanOrEqual(2 * 1000 + 1000); // two intervals, plus the 1 s agent→server→poll path
    expect(down.since).toBeGreaterThanOrEqual(stoppedAt - 1000);
    expect(down.lastError).toBeTruthy();
    expect((await host())!.stateProblems).toBeUndefined(); // the down state and the unknown replica-set view too
    const up = await getJson<{ series: { points: [number, number][] }[] }>(
      `${base}/api/series?host=db&metric=mongod_up&from=now-10s`,
    );
    expect(up.series[0]!.points.at(-1)![1]).toBe(0);
    expect(agent.proc.exitCode).toBeNull(); // no crash

    await fake.start(); // same port
    await until(async () => (await mongodState())?.up === true, 20_000, 'mongod back');
    expect(agent.output()).not.toMatch(/mongodb:\/\/[^\s]*@/); // no credentials in logs
  });
});

describe('tidemark check replset offline', () => {
  const f = (rel: string) => path.join(FIXTURES, 'mongo', rel);
  it('reads saved rs.status()/rs.conf() JSON and exits 1 for 3 + arbiter, 0 for three data members', () => {
    const a = spawnSync(
      process.execPath,
      [
        CLI,
        'check',
        'replset',
        '--status',
        f('4.2-replset-arbiter-primary-view/replSetGetStatus.json'),
        '--config',
        f('4.2-replset-arbiter-primary-view/replSetGetConfig.json'),
      ],
      { encoding: 'utf8' },
    );
    expect(a.status).toBe(1);
    expect(a.stdout).toContain(
      '4 voters, majority 3: the set survives 1 failure, the same as 3 voters; majority writes survive none.',
    );
    expect(a.stdout).toContain('AT RISK: losing one data-bearing voter stops majority writes');
    const b = spawnSync(
      process.execPath,
      [CLI, 'check', 'replset', '--status', f('docs-example-2.6/replSetGetStatus.json')],
      { encoding: 'utf8' },
    );
    expect(b.status).toBe(0);
    const c = spawnSync(process.execPath, [CLI, 'check', 'replset', '--status', '/nonexistent.json'], {
      encoding: 'utf8',
    });
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/cannot read status/);
  });
});

describe.skipIf(!process.env.MONGODB_URI)('against a real mongod (MONGODB_URI)', () => {
  it('computes lock figures from two real serverStatus replies', () => {
    const r = spawnSync(process.execPath, [CLI, 'check', 'mongod', '--uri', process.env.MONGODB_URI!, '--json'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      interval: { ok: boolean; figures: { lockKind: string; lockPercent: number } };
      gauges: { version: string };
    };
    expect(report.interval.ok).toBe(true);
    expect(report.interval.figures.lockKind).toBe(report.gauges.version.startsWith('2.') ? 'locked' : 'wait');
    expect(report.interval.figures.lockPercent).toBeGreaterThanOrEqual(0);
  });
});
