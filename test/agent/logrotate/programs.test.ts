import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostEnv, runLogrotateCheck, secondOpinionFindings } from '../../../agent/logrotate/run.js';
import { resolveProgram, scriptProblems } from '../../../agent/logrotate/programs.js';
import { CLI, tempDir } from '../../helpers/process.js';

function write(p: string, text: string, mode = 0o644): string {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}
const d = tempDir();
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

describe('script commands that must fail (pure, reading the file system)', () => {
  const pid = write(`${d}/run/present.pid`, '1\n');
  const missing = `${d}/run/missing.pid`;

  it('the mongod idiom with a missing pid file fails the script when it is the last command', () => {
    const [p, ...rest] = scriptProblems(`    kill -USR1 $(cat ${missing})`, 12, PATH);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ line: 12, text: `kill -USR1 $(cat ${missing})`, failsScript: true });
    expect(p!.why).toBe(
      `kill takes its pid from ${missing}, which does not exist: kill gets no pid, fails, and no signal is sent`,
    );
    // backticks, /bin/kill and 2>/dev/null change nothing
    expect(
      scriptProblems(`/bin/kill -SIGUSR1 \`cat ${missing} 2>/dev/null\` >/dev/null 2>&1`, 1, PATH)[0],
    ).toMatchObject({
      failsScript: true,
    });
    expect(scriptProblems(`kill -USR1 $(cat ${pid})`, 1, PATH)).toEqual([]);
  });

  it('a quoted substitution leaves kill with an empty pid: still a failure', () => {
    expect(scriptProblems(`kill -USR1 "$(cat ${missing})"`, 1, PATH)).toMatchObject([{ failsScript: true }]);
  });

  it('after a line that may exit early, the last line no longer decides', () => {
    const body = `test -x ${d}/bin/reopen || exit 0\n${d}/bin/reopen`;
    expect(scriptProblems(body, 1, PATH)).toMatchObject([{ line: 2, failsScript: false }]);
  });

  it('is a warning (failsScript false) when || catches it, or when another command comes after', () => {
    expect(scriptProblems(`kill -USR1 \`cat ${missing} 2>/dev/null\` 2> /dev/null|| true`, 3, PATH)).toMatchObject([
      { line: 3, failsScript: false },
    ]);
    expect(scriptProblems(`kill -USR1 $(cat ${missing})\necho done`, 3, PATH)).toMatchObject([
      { line: 3, failsScript: false },
    ]);
    // kill with another pid besides the missing file's still signals that one: only the read is reported
    expect(scriptProblems(`kill -USR1 1 $(cat ${missing})`, 3, PATH)).toMatchObject([
      { why: `reads ${missing}, which does not exist`, failsScript: false },
    ]);
  });

  it('programs not on PATH or not there, cat and < of missing files; built-ins and keywords are not programs', () => {
    const body = [
      'tidemark-no-such-program --reopen',
      '/usr/local/bin/tidemark-gone',
      `cat ${missing} | true`,
      `read x < ${missing}`,
      'if true; then echo ok; fi',
      `FOO=1 test -f ${missing} && true`,
      '# a comment',
      'sh -c "exit 0" \\',
      `  ${missing}`,
      'invoke-rc.d-no-such foo',
    ].join('\n');
    const got = scriptProblems(body, 20, PATH).map((p) => [p.line, p.why, p.failsScript]);
    expect(got).toEqual([
      [20, 'runs tidemark-no-such-program, which is not on PATH', false],
      [21, 'runs /usr/local/bin/tidemark-gone, which does not exist or is not executable', false],
      [22, `cat reads ${missing}, which does not exist`, false],
      [23, `reads ${missing}, which does not exist`, false],
      // line 27 is the continued line starting at 27 (sh exists); the last line decides the script
      [29, 'runs invoke-rc.d-no-such, which is not on PATH', true],
    ]);
  });

  it('resolves programs as execvp does', () => {
    expect(resolveProgram('sh', PATH)).toMatch(/\/sh$/);
    expect(resolveProgram('sh', `${d}/empty-dir`)).toBeNull();
    expect(resolveProgram(`${d}/run/present.pid`, PATH)).toBeNull(); // exists, not executable
  });
});

describe('gone mounts, olddir, and the log directory first', () => {
  const fstab = write(`${d}/fstab`, `/dev/md9 ${d}/array xfs defaults,nofail 0 2\n`);
  const env = { ...hostEnv({ fstab }), runsAsRoot: true, mongod: null };

  it('olddir on a gone mount: an error whose fix mounts it and never creates the directory', () => {
    const conf = write(`${d}/a.conf`, `${write(`${d}/a/app.log`, 'x\n')} {\n  rotate 1\n  olddir ${d}/array/old\n}\n`);
    const r = runLogrotateCheck({ config: conf, state: `${d}/a/state`, env });
    const f = r.findings.find((x) => x.code === 'olddir-missing')!;
    expect(f.line).toBe(3);
    expect(f.fix).toContain(`mount ${d}/array (/dev/md9, in /etc/fstab but not mounted)`);
    expect(r.findings.map((x) => x.fix ?? '').join('\n')).not.toContain('install -d');
    expect(r.ok).toBe(false);
  });

  it('the log directory gone as well: the log directory is reported first, and not the olddir', () => {
    const conf = write(`${d}/b.conf`, `${d}/array/log/mongod.log {\n  rotate 1\n  olddir ${d}/array/old\n}\n`);
    const r = runLogrotateCheck({ config: conf, state: `${d}/b-state`, env });
    expect(r.findings[0]).toMatchObject({ code: 'missing-parent-dir', line: 1, severity: 'error' });
    expect(r.findings[0]!.message).toBe(
      `directory ${d}/array of the log does not exist; logrotate fails with "error verifying log file path ${d}/array/log" and skips the block`,
    );
    expect(r.findings.some((x) => x.code === 'olddir-missing')).toBe(false);
    expect(r.findings.map((x) => x.fix ?? '').join('\n')).not.toContain('install -d');
  });

  it('a log whose directory is gone under an unmounted mount, no olddir: the fix mounts it', () => {
    const conf = write(`${d}/h.conf`, `${d}/array/h/mongod.log {\n  rotate 1\n}\n`);
    const r = runLogrotateCheck({ config: conf, state: `${d}/h-state`, env });
    expect(r.findings).toMatchObject([{ code: 'missing-parent-dir', severity: 'error', line: 1 }]);
    expect(r.findings[0]!.fix).toContain(`mount ${d}/array (/dev/md9, in /etc/fstab but not mounted)`);
  });

  it('a log missing under an unmounted fstab mount point is flagged even with missingok (a warning: logrotate passes)', () => {
    mkdirSync(`${d}/array`, { recursive: true }); // the empty mount-point directory
    const conf = write(`${d}/c.conf`, `${d}/array/mongod.log {\n  missingok\n}\n`);
    const r = runLogrotateCheck({ config: conf, state: `${d}/c-state`, env });
    expect(r.findings).toMatchObject([{ code: 'mount-gone', severity: 'warning', line: 1 }]);
    expect(r.findings[0]!.message).toContain(
      `${d}/array is in /etc/fstab (/dev/md9) but not mounted, and missingok hides it`,
    );
    expect(r.ok).toBe(true);
  });

  it('createolddir under a gone mount: a warning that it would be made on the disk below', () => {
    const conf = write(
      `${d}/g.conf`,
      `${write(`${d}/g/app.log`, 'x\n')} {\n  olddir ${d}/array/old-g\n  createolddir 0755 root root\n}\n`,
    );
    const r = runLogrotateCheck({ config: conf, state: `${d}/g-state`, env });
    expect(r.findings).toMatchObject([
      { code: 'mount-gone', severity: 'warning', line: 2, target: `${d}/array/old-g` },
    ]);
    expect(r.ok).toBe(true);
  });

  it('compresscmd that is not there is an error on its line; a missing uncompresscmd only a warning', () => {
    const conf = write(
      `${d}/e.conf`,
      `${write(`${d}/e/app.log`, 'x\n')} {\n  compress\n  compresscmd ${d}/bin/xz\n  uncompresscmd ${d}/bin/unxz\n}\n`,
    );
    const r = runLogrotateCheck({ config: conf, state: `${d}/e-state`, env });
    expect(r.findings.map((f) => [f.code, f.severity, f.line])).toEqual([
      ['compresscmd-missing', 'error', 3],
      ['uncompresscmd-missing', 'warning', 4],
    ]);
    expect(r.targets).toMatchObject([{ status: 'problem' }]);
  });
});

describe("the second opinion's errors count", () => {
  it('logrotate -d exiting 1 on what the check does not model makes the check fail (CLI)', () => {
    // a control character in olddir: logrotate 3.21 refuses the path ("bad olddir path") and skips the block
    const old = `${d}/old\u0001x`;
    mkdirSync(old, { recursive: true });
    const conf = write(`${d}/f.conf`, `${write(`${d}/f/app.log`, 'x\n')} {\n  rotate 1\n  olddir ${old}\n}\n`);
    const withIt = spawnSync(
      process.execPath,
      [CLI, 'check', 'logrotate', '--config', conf, '--state', `${d}/f-state`],
      {
        encoding: 'utf8',
      },
    );
    expect(withIt.stdout).toContain(`error: logrotate -d (exit 1): error: ${conf}:3 bad olddir path`);
    expect(withIt.status).toBe(1);
    const without = spawnSync(
      process.execPath,
      [CLI, 'check', 'logrotate', '--config', conf, '--state', `${d}/f-state`, '--no-second-opinion'],
      { encoding: 'utf8' },
    );
    expect(without.status).toBe(0);
  });

  it('exit status and error lines map to findings', () => {
    expect(secondOpinionFindings('c', { available: true, exitCode: 1, errors: [] })).toMatchObject([
      { severity: 'error', message: 'logrotate -d exited 1' },
    ]);
    expect(secondOpinionFindings('c', { available: true, exitCode: 0, errors: ['error: x'] })).toMatchObject([
      { severity: 'warning', message: 'logrotate -d: error: x' },
    ]);
    expect(secondOpinionFindings('c', { available: false, exitCode: null, errors: [] })).toEqual([]);
  });
});
