import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { HostSummary } from '../../../shared/protocol.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { discoverMongods } from '../../../agent/mongod/discover.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { startLogHolder, type LogHolder } from '../../helpers/log-holder.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

const diag = parseRecordedReply(
  readFileSync(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
);

interface Member {
  name: string;
  conf: string;
  log: string;
  holder?: LogHolder;
  fake?: FakeMongod;
}

describe('every mongod on the host, found in /proc', () => {
  const dir = tempDir('tidemark-instances-');
  const members: Member[] = [];
  let server: Running | undefined;
  let agent: Running | undefined;
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    for (const m of members) {
      await m.fake?.stop();
      await m.holder?.stop();
    }
  });

  it('watches two replay mongods discovered from their command lines, each with its own labels, checks and panel', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    const ss = diag.serverStatus as Document;
    for (const name of ['data', 'arbiter']) {
      const logDir = path.join(dir, name, 'log');
      mkdirSync(logDir, { recursive: true });
      const m: Member = { name, conf: path.join(dir, name, 'mongod.conf'), log: path.join(logDir, 'mongod.log') };
      // The arbiter's file was edited to a log directory that does not exist: its config check fails, the data member's passes.
      const confLog = name === 'arbiter' ? path.join(dir, 'gone', 'mongod.log') : m.log;
      writeFileSync(m.conf, `systemLog:\n  destination: file\n  path: ${confLog}\n  logAppend: true\n`);
      let uptime = Number(ss.uptimeMillis);
      m.fake = await startFakeMongod({
        serverStatus: () => ({ ...ss, pid: m.holder?.pid, uptimeMillis: (uptime += 1000), ok: 1 }),
        getCmdLineOpts: () => ({
          argv: ['mongod', '--config', m.conf, '--port', String(m.fake!.port)],
          parsed: { config: m.conf, net: { port: m.fake!.port }, systemLog: { destination: 'file', path: m.log } },
          ok: 1,
        }),
      });
      m.holder = await startLogHolder(m.log, ['--config', m.conf, '--port', String(m.fake.port)]);
      symlinkSync(`/proc/${m.holder.pid}`, path.join(root, 'proc', String(m.holder.pid)));
      members.push(m);
    }
    const [data, arbiter] = members as [Member, Member];
    const instance = (m: Member) => `127.0.0.1:${m.fake!.port}`;

    // discovery itself, on the same tree the agent reads
    expect(discoverMongods(root).map((d) => [d.pid, d.configFile, d.port])).toEqual(
      members.map((m) => [m.holder!.pid, m.conf, m.fake!.port]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    );

    const { port, start } = await serverProcess();
    server = await start();
    agent = runCli(['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'db', '--root', root], {
      TIDEMARK_TOKEN: 't',
    });
    const base = `http://127.0.0.1:${port}`;
    const host = async () => (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db');
    const state = async (kind: string, key: string) =>
      (await host())?.states[kind]?.[key] as { up?: boolean; ok?: boolean; findings?: { code: string }[] } | undefined;

    for (const m of members) {
      await until(async () => (await state('mongod', `${instance(m)} status`))?.up, 20_000, `${m.name} status`);
      await until(async () => await state('mongod_running', `${instance(m)} config`), 20_000, `${m.name} checks`);
    }
    expect((await state('mongod_running', instance(data)))!.ok).toBe(true);
    expect((await state('mongod_running', instance(arbiter)))!.ok).toBe(true);
    expect((await state('mongod_running', `${instance(data)} config`))!.ok).toBe(true);
    const arbiterFile = (await state('mongod_running', `${instance(arbiter)} config`))!;
    expect(arbiterFile.ok).toBe(false);
    expect(arbiterFile.findings!.map((f) => f.code)).toContain('log-dir-missing');
    // the arbiter's edited file disagrees with what it runs with
    expect((await state('mongod_running', instance(arbiter)))!.findings!.map((f) => f.code)).toContain(
      'config-not-applied',
    );

    type Series = { series: { labels: Record<string, string>; points: [number, number][] }[] };
    const up = await getJson<Series>(`${base}/api/series?host=db&metric=mongod_up&from=now-1m`);
    expect(up.series.map((s) => s.labels.instance).sort()).toEqual(members.map(instance).sort());
    const checks = await getJson<Series>(
      `${base}/api/series?host=db&metric=logpath_check_ok&check=mongod-config&from=now-1m`,
    );
    const last: Record<string, number> = Object.fromEntries(
      checks.series.map((s) => [s.labels.instance ?? '', s.points.at(-1)![1]] as const),
    );
    expect(last).toEqual({ [instance(data)]: 1, [instance(arbiter)]: 0 });
    const names = (await host())!.collectors.map((c) => c.name);
    for (const m of members) expect(names).toContain(`mongod_127_0_0_1_${m.fake!.port}`);
  });
});
