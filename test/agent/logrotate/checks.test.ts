import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostEnv, runLogrotateCheck } from '../../../agent/logrotate/run.js';
import { checkMongodConfig, loadMongodConfig, mongodLogSettings } from '../../../agent/mongod/config-check.js';
import { mountVerdict, parseMountTable } from '../../../agent/fs/mounts.js';
import { CLI, tempDir } from '../../helpers/process.js';

function write(p: string, text: string, mode = 0o644): string {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the outage: the log directory was on an array that is gone', () => {
  const d = tempDir();
  const gone = `${d}/array2`;
  write(`${d}/data/.keep`, '');
  const mongodConf = write(
    `${d}/mongod.conf`,
    `systemLog:\n  destination: file\n  logAppend: true\n  path: ${gone}/mongodb/mongod.log\nstorage:\n  dbPath: ${d}/data\n`,
  );
  const lrConf = write(
    `${d}/logrotate.conf`,
    `${gone}/mongodb/mongod.log {\n    daily\n    rotate 7\n    postrotate\n        /bin/kill -USR1 $(cat ${d}/mongod.pid)\n    endscript\n}\n`,
  );

  it('tidemark check logrotate fails and names the directory', () => {
    const r = cli(['check', 'logrotate', '--config', lrConf, '--state', `${d}/status`, '--mongod-config', mongodConf]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${lrConf}:1  ${gone}/mongodb/mongod.log`);
    expect(r.out).toContain(`error: directory ${gone} does not exist`);
    // the real logrotate, asked for a second opinion, agrees
    expect(r.out).toContain(`error: stat of ${gone}/mongodb failed: No such file or directory`);
  });

  it('tidemark check mongod-config fails and names the directory', () => {
    const r = cli(['check', 'mongod-config', '--mongod-config', mongodConf, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { findings: { code: string; line: number; message: string }[] };
    const f = report.findings.find((x) => x.code === 'log-dir-missing')!;
    expect(f.line).toBe(4);
    expect(f.message).toContain(`directory ${gone} does not exist`);
  });

  it('with the directory back and logRotate: rename, the rename-without-create combination is called out', () => {
    write(`${gone}/mongodb/mongod.log`, 'x\n');
    const env = { ...hostEnv(), mongod: mongodLogSettings(loadMongodConfig(mongodConf)) };
    const r = runLogrotateCheck({ config: lrConf, state: `${d}/status`, env });
    expect(r.findings.map((f) => f.code)).toContain('mongod-rename-crash');
    expect(r.ok).toBe(false);
    // reopen + logAppend + create is the recommended setup: no finding
    write(
      mongodConf,
      `systemLog:\n  destination: file\n  logAppend: true\n  logRotate: reopen\n  path: ${gone}/mongodb/mongod.log\n`,
    );
    write(
      lrConf,
      `${gone}/mongodb/mongod.log {\n    rotate 7\n    create 0600 root root\n    postrotate\n        kill -USR1 $(cat ${d}/mongod.pid)\n    endscript\n}\n`,
    );
    const env2 = { ...hostEnv(), mongod: mongodLogSettings(loadMongodConfig(mongodConf)) };
    // the pid file is missing: kill gets no pid and the postrotate script (its last line) fails
    const noPid = runLogrotateCheck({ config: lrConf, state: `${d}/status`, env: env2 });
    expect(noPid.findings.find((f) => f.code === 'script-command-fails')).toMatchObject({
      severity: 'error',
      line: 5,
      message: expect.stringContaining(`kill takes its pid from ${d}/mongod.pid, which does not exist`) as string,
    });
    write(`${d}/mongod.pid`, '4242\n');
    const ok = runLogrotateCheck({ config: lrConf, state: `${d}/status`, env: env2 });
    expect(ok.findings.filter((f) => f.code.startsWith('mongod'))).toEqual([]);
    expect(ok.ok).toBe(true);
    // copytruncate with SIGUSR1 is a warning, not a failure
    write(
      lrConf,
      `${gone}/mongodb/mongod.log {\n    rotate 7\n    copytruncate\n    postrotate\n        kill -USR1 1\n    endscript\n}\n`,
    );
    const ct = runLogrotateCheck({
      config: lrConf,
      state: `${d}/status`,
      env: { ...hostEnv(), mongod: mongodLogSettings(loadMongodConfig(mongodConf)) },
    });
    expect(ct.findings.find((f) => f.code === 'mongod-copytruncate-usr1')?.severity).toBe('warning');
    expect(ct.ok).toBe(true);
  });
});

describe('a mount point that is in fstab but not mounted', () => {
  const isRoot = process.getuid?.() === 0;
  const d = tempDir();
  const mounted: string[] = [];
  afterAll(() => {
    for (const m of mounted) spawnSync('umount', [m]);
    rmSync(d, { recursive: true, force: true });
  });

  it('finds the mount for a path and the fstab entry that is missing (pure)', () => {
    const proc = parseMountTable('/dev/vda / ext4 rw 0 0\n/dev/md0 /srv/array1 xfs rw 0 0\n');
    const fstab = parseMountTable(
      '# comment\nUUID=abc / ext4 defaults 0 1\n/dev/md0 /srv/array1 xfs defaults 0 2\n/dev/md1 /srv/array2 xfs defaults 0 2\n/dev/sdz1 /mnt/usb ext4 noauto 0 0\n/swapfile none swap sw 0 0\n/dev/md2 /srv/with\\040space xfs defaults 0 2\n',
    );
    expect(mountVerdict('/srv/array1/mongodb/mongod.log', proc, fstab)).toEqual({
      mountedOn: proc[1],
      missingMount: null,
    });
    expect(mountVerdict('/srv/array2/mongodb/mongod.log', proc, fstab)).toEqual({
      mountedOn: proc[0],
      missingMount: fstab[2],
    });
    expect(mountVerdict('/mnt/usb/x.log', proc, fstab).missingMount).toBeNull(); // noauto: not expected to be mounted
    expect(mountVerdict('/srv/with space/x', proc, fstab).missingMount?.mountPoint).toBe('/srv/with space');
  });

  it.skipIf(!isRoot)('reports logs and dbPath under the unmounted point, against the real /proc/mounts', () => {
    const a = `${d}/srv/array1`;
    const b = `${d}/srv/array2`;
    mkdirSync(a, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tidemark-array1', a]).status).toBe(0);
    mounted.push(a);
    // array2 is not mounted: its mount-point directory is an ordinary directory on the root filesystem
    write(`${b}/mongodb/mongod.log`, 'x\n');
    write(`${a}/mongodb/ok.log`, 'x\n');
    mkdirSync(`${b}/db`, { recursive: true });
    const fstab = write(`${d}/fstab`, `tidemark-array1 ${a} tmpfs defaults 0 0\n/dev/md1 ${b} xfs defaults 0 2\n`);
    const lr = write(`${d}/logrotate.conf`, `${b}/mongodb/mongod.log ${a}/mongodb/ok.log {\n  rotate 1\n}\n`);
    const env = { ...hostEnv({ fstab }), mongod: null };
    const r = runLogrotateCheck({ config: lr, state: `${d}/status`, env });
    const gone = r.findings.filter((f) => f.code === 'mount-gone');
    expect(gone).toHaveLength(1);
    expect(gone[0]!.target).toBe(`${b}/mongodb/mongod.log`);
    expect(gone[0]!.message).toContain(`${b} is in /etc/fstab (/dev/md1) but not mounted`);
    const mc = loadMongodConfig(
      write(
        `${d}/mongod.conf`,
        `systemLog:\n  destination: file\n  path: ${b}/mongodb/mongod.log\nstorage:\n  dbPath: ${b}/db\n`,
      ),
    );
    const findings = checkMongodConfig(mc, { ...env, user: 'root' });
    expect(findings.filter((f) => f.code === 'mount-gone').map((f) => f.line)).toEqual([3, 5]);
  });
});

describe('tidemark check exit codes', () => {
  const d = tempDir();

  it('0 when every rotation would succeed, with the JSON report', () => {
    write(`${d}/ok/app.log`, 'x\n');
    const conf = write(`${d}/ok.conf`, `${d}/ok/app.log {\n  rotate 1\n}\n`);
    const r = cli(['check', 'logrotate', '--config', conf, '--state', `${d}/status`, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as {
      ok: boolean;
      targets: { status: string }[];
      secondOpinion: { available: boolean; errors: string[] };
    };
    expect(report.ok).toBe(true);
    expect(report.targets.map((t) => t.status)).toEqual(['rotates']);
    expect(report.secondOpinion).toMatchObject({ available: true, errors: [] });
  });

  it('warnings alone do not fail the check', () => {
    write(`${d}/warn/app.log`, 'x\n');
    const conf = write(`${d}/warn.conf`, `${d}/warn/app.log {\n  rotate 1\n  frobnicate\n}\n`);
    const r = cli(['check', 'logrotate', '--config', conf, '--state', `${d}/status`, '--no-second-opinion']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${conf}:3`);
    expect(r.out).toContain('warning: unknown directive "frobnicate"');
  });

  it('2 when the check cannot run', () => {
    expect(cli(['check', 'logrotate', '--config', `${d}/nope.conf`]).code).toBe(2);
    const bad = write(`${d}/bad-mongod.conf`, 'systemLog:\n  path: [\n');
    const r = cli(['check', 'mongod-config', '--mongod-config', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not valid YAML/);
    expect(cli(['check', 'mongod-config', '--mongod-config', `${d}/none.conf`]).code).toBe(2);
  });

  it('mongod-config: reopen without logAppend, missing pid directory, unwritable log directory', () => {
    mkdirSync(`${d}/m/log`, { recursive: true });
    chmodSync(`${d}/m/log`, 0o755);
    mkdirSync(`${d}/m/db`, { recursive: true });
    const conf = write(
      `${d}/m/mongod.conf`,
      `systemLog:\n  destination: file\n  path: ${d}/m/log/mongod.log\n  logRotate: reopen\nstorage:\n  dbPath: ${d}/m/db\nprocessManagement:\n  pidFilePath: ${d}/m/run/mongod.pid\n`,
    );
    const r = cli(['check', 'mongod-config', '--mongod-config', conf, '--mongod-user', 'nobody', '--json']);
    expect(r.code).toBe(1);
    const codes = (JSON.parse(r.out) as { findings: { code: string; line: number }[] }).findings.map(
      (f) => `${f.code}@${f.line}`,
    );
    expect(codes).toEqual(
      expect.arrayContaining([
        'log-not-writable@3',
        'reopen-without-append@4',
        'dbpath-not-writable@6',
        'pid-dir-missing@8',
      ]),
    );
  });
});
