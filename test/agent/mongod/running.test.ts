import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { HostSummary } from '../../../shared/protocol.js';
import type { Finding } from '../../../shared/findings.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { startLogHolder, type LogHolder } from '../../helpers/log-holder.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

const isRoot = process.getuid?.() === 0;
const diag = parseRecordedReply(
  readFileSync(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
);

interface Check {
  ok: boolean;
  counts: { error: number; warning: number };
  findings: Finding[];
}

/** getCmdLineOpts as mongod 4.2 answers it for `mongod --config FILE`. */
function cmdLineOpts(config: string, logPath: string, dbPath: string): Document {
  return {
    argv: ['mongod', '--config', config],
    parsed: {
      config,
      storage: { dbPath },
      systemLog: { destination: 'file', logAppend: true, path: logPath },
    },
    ok: 1,
  };
}

describe.skipIf(!isRoot)('the running mongod, not its config file', () => {
  const dir = tempDir('tidemark-running-');
  const mnt = path.join(dir, 'old-array');
  let holder: LogHolder | undefined;
  let fake: FakeMongod | undefined;
  let server: Running | undefined;
  let agent: Running | undefined;
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await fake?.stop();
    await holder?.stop();
    try {
      execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
    } catch {
      // already unmounted by the test
    }
  });

  it('fails the running check naming the path of a log on a detached mount while mongod.conf passes; both pass after a reopen', async () => {
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tidemark-test', mnt]);
    const oldLog = path.join(mnt, 'log', 'mongod.log');
    mkdirSync(path.dirname(oldLog));
    const newLog = path.join(dir, 'new-array', 'log', 'mongod.log');
    mkdirSync(path.dirname(newLog), { recursive: true });
    const dbPath = path.join(dir, 'db');
    mkdirSync(dbPath);
    const conf = path.join(dir, 'mongod.conf');
    // The file was already edited to the new array; the process still logs to the old one.
    writeFileSync(
      conf,
      `systemLog:\n  destination: file\n  path: ${newLog}\n  logAppend: true\nstorage:\n  dbPath: ${dbPath}\n`,
    );
    holder = await startLogHolder(oldLog);
    let runningLog = oldLog;
    const ss = diag.serverStatus as Document;
    fake = await startFakeMongod({
      serverStatus: () => ({ ...ss, pid: holder!.pid, ok: 1 }),
      getCmdLineOpts: () => cmdLineOpts(conf, runningLog, dbPath),
    });
    // Decommission the array under the log: lazily unmount it and remove its mount point.
    execFileSync('umount', ['-l', mnt]);
    execFileSync('rmdir', [mnt]);

    // /proc of the test's own processes only, so the agent sees the log holder and nothing else.
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    symlinkSync(`/proc/${holder.pid}`, path.join(root, 'proc', String(holder.pid)));

    const { port, start } = await serverProcess();
    server = await start();
    agent = runCli(
      [
        'agent',
        '--server',
        `ws://127.0.0.1:${port}`,
        '--agent-id',
        'db',
        '--root',
        root,
        '--mongod-uri',
        fake.uri,
        '--mongod-config',
        conf,
        '--mongod-user',
        'root',
      ],
      { TIDEMARK_TOKEN: 't' },
    );
    const base = `http://127.0.0.1:${port}`;
    const host = async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db');
    const running = async () => (await host())?.states.mongod_running?.local as unknown as Check | undefined;
    const fileCheck = async () => (await host())?.states.logpaths?.['mongod-config'] as unknown as Check | undefined;

    await until(async () => (await running()) && (await fileCheck()), 20_000, 'both checks').catch(async (e) => {
      console.log(JSON.stringify((await host())?.states), JSON.stringify((await host())?.collectors), agent!.output());
      throw e;
    });
    const r = (await running())!;
    expect((await fileCheck())!.ok).toBe(true);
    expect(r.ok).toBe(false);
    const detached = r.findings.find((f) => f.code === 'running-log-detached')!;
    expect(detached.severity).toBe('error');
    expect(detached.target).toBe(oldLog);
    expect(detached.message).toContain(oldLog);
    expect(detached.message).toContain(`pid ${holder.pid}`);
    expect(detached.message).toContain(`directory ${mnt} no longer exists`);
    // and the edit that was never applied
    const pending = r.findings.find((f) => f.code === 'config-not-applied')!;
    expect(pending.target).toBe('systemLog.path');
    expect(pending.message).toContain(newLog);
    const okSeries = await getJson<{ series: { labels: Record<string, string>; points: [number, number][] }[] }>(
      `${base}/api/series?host=db&metric=logpath_check_ok&check=mongod-running&from=now-1m`,
    );
    expect(okSeries.series[0]!.points.at(-1)![1]).toBe(0);

    // mongod reopens its log on the new array with the file's settings (a restart with the edited file)
    await holder.reopen(newLog);
    runningLog = newLog;
    await until(async () => (await running())?.ok === true, 20_000, 'running check passes');
    const after = (await running())!;
    expect(after.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(after.findings.some((f) => f.code === 'config-not-applied')).toBe(false);
    expect((await fileCheck())!.ok).toBe(true);

    // mongod gone: no verdict (null), so an alert on the old one resolves rather than freezes
    await fake.stop();
    await until(async () => ((await running()) as { error?: string } | undefined)?.error, 20_000, 'running error');
    await until(
      async () => {
        const s = await getJson<{ series: { points: [number, number | null][] }[] }>(
          `${base}/api/series?host=db&metric=logpath_check_ok&check=mongod-running&from=now-5s`,
        );
        return s.series[0]?.points.at(-1)?.[1] === null;
      },
      10_000,
      'a null verdict',
    );
  });
});
