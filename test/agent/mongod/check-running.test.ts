import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { cliOutcome as cli, freePort, tempDir } from '../../helpers/process.js';

describe('tidemark check mongod-running', () => {
  const dir = tempDir();
  let fake: FakeMongod | undefined;
  let fd: number | undefined;
  afterAll(async () => {
    if (fd !== undefined) closeSync(fd);
    await fake?.stop();
  });

  it('exits 0 when the open log is the file at its path, 1 naming a gone directory, 2 when mongod does not answer', async () => {
    const log = path.join(dir, 'log', 'mongod.log');
    mkdirSync(path.dirname(log));
    fd = openSync(log, 'a'); // this test process plays mongod holding its log
    let logPath = log;
    fake = await startFakeMongod({
      serverStatus: () => ({ pid: process.pid, uptimeMillis: 1000, ok: 1 }),
      getCmdLineOpts: () => ({
        argv: ['mongod'],
        parsed: { systemLog: { destination: 'file', path: logPath } },
        ok: 1,
      }),
    });
    const ok = await cli(['check', 'mongod-running', '--uri', fake.uri, '--mongod-user', 'root']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`(pid ${process.pid})`);
    expect(ok.stdout).toContain(`→ ${log}`);

    logPath = path.join(dir, 'gone', 'mongod.log');
    const bad = await cli(['check', 'mongod-running', '--uri', fake.uri, '--mongod-user', 'root', '--json']);
    expect(bad.status).toBe(1);
    const report = JSON.parse(bad.stdout) as { findings: { code: string; message: string }[] };
    const missing = report.findings.find((f) => f.code === 'log-dir-missing')!;
    expect(missing.message).toContain(`directory ${path.join(dir, 'gone')} does not exist`);

    const port = await freePort();
    const down = await cli([
      'check',
      'mongod-running',
      '--uri',
      `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=500`,
    ]);
    expect(down.status).toBe(2);
    expect(down.stderr).toMatch(/cannot query mongodb:\/\/127\.0\.0\.1:\d+/);
  });
});
