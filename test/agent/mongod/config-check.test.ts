import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostEnv } from '../../../agent/logrotate/run.js';
import { checkMongodConfig, loadMongodConfig } from '../../../agent/mongod/config-check.js';
import { tempDir } from '../../helpers/process.js';

/** The mongod.conf checks the logrotate tests do not reach, one per constructed case (free space left out: it is the host's). */
describe('checkMongodConfig on constructed trees', () => {
  const d = tempDir();
  const conf = (name: string, text: string) => {
    writeFileSync(`${d}/${name}`, text);
    return loadMongodConfig(`${d}/${name}`);
  };
  const check = (name: string, text: string, user = 'root') =>
    checkMongodConfig(conf(name, text), { ...hostEnv(), space: () => null, user }).map(
      (f) => `${f.severity} ${f.code} :${f.line}`,
    );

  it('an unknown account is a warning on line 1, and permissions are judged as root', () => {
    mkdirSync(`${d}/logs`, { mode: 0o755 });
    chmodSync(`${d}/logs`, 0o755);
    const text = `systemLog:\n  destination: file\n  path: ${d}/logs/mongod.log\n  logAppend: true\n`;
    expect(check('user.conf', text, 'tidemark-no-such-user')).toEqual(['warning mongod-user-unknown :1']);
    // the same directory is not writable by nobody (uid 65534): mode 755, owned by root
    expect(check('user.conf', text, 'nobody')).toEqual(['error log-not-writable :3']);
  });

  it('a log path mongod does not write, and one under a file instead of a directory', () => {
    expect(check('dest.conf', `systemLog:\n  destination: syslog\n  path: ${d}/x.log\n`)).toEqual([
      'warning log-destination :3',
    ]);
    writeFileSync(`${d}/plain`, 'x');
    // without logAppend each start renames the old log aside: an info on the path's line
    expect(check('notdir.conf', `systemLog:\n  destination: file\n  path: ${d}/plain/mongod.log\n`)).toEqual([
      'error log-dir-not-dir :3',
      'info no-log-append :3',
    ]);
  });

  it('a dbPath that is missing or a file', () => {
    const missing = conf('db1.conf', `storage:\n  dbPath: ${d}/gone/db\n`);
    const [f] = checkMongodConfig(missing, { ...hostEnv(), space: () => null, user: 'root' });
    expect(f).toMatchObject({ severity: 'error', code: 'dbpath-missing', line: 2, target: `${d}/gone/db` });
    expect(f!.message).toContain(`(${d}/gone is missing)`);
    expect(check('db2.conf', `storage:\n  dbPath: ${d}/plain\n`)).toEqual(['error dbpath-not-dir :2']);
  });

  it("a pid file's directory mongod's account cannot write", () => {
    mkdirSync(`${d}/run`);
    chmodSync(`${d}/run`, 0o755);
    const text = `processManagement:\n  fork: true\n  pidFilePath: ${d}/run/mongod.pid\n`;
    expect(check('pid.conf', text, 'nobody')).toEqual(['error pid-dir-not-writable :3']);
    expect(check('pid.conf', text, 'root')).toEqual([]);
  });
});
