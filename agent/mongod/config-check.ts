import { readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../shared/findings.js';
import type { Accounts } from '../logrotate/accounts.js';
import type { MongodLogSettings } from '../logrotate/check.js';
import { mountVerdict } from '../fs/mounts.js';
import { firstMissingAncestor, NEARLY_FULL_PERCENT, stat, type PathEnv } from '../fs/paths.js';
import { MongodConfigError, parseMongodConfig, type MongodConfig } from './config.js';
import { errorMessage } from '../../shared/errors.js';

export interface MongodCheckEnv extends PathEnv {
  accounts: Accounts;
  /** The account mongod runs as (packages use mongod or mongodb). */
  user: string;
}

/** Whether `uid`/`gid` may write into a directory (or file) with these permissions. */
export function writableBy(st: Stats, uid: number, gid: number): boolean {
  if (uid === 0) return true;
  if (st.uid === uid) return (st.mode & 0o200) !== 0;
  if (st.gid === gid) return (st.mode & 0o020) !== 0;
  return (st.mode & 0o002) !== 0;
}

export function loadMongodConfig(file: string): MongodConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MongodConfigError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  return parseMongodConfig(text, file);
}

/** What the logrotate check needs of mongod's logging, with mongod's defaults filled in. */
export function mongodLogSettings(c: MongodConfig): MongodLogSettings | null {
  if (!c.logPath) return null;
  return {
    path: c.logPath.value,
    logRotate: c.logRotate?.value ?? 'rename',
    logAppend: c.logAppend?.value ?? false,
    file: c.file,
    line: (c.logRotate ?? c.logPath).line,
  };
}

/** One config being judged: where findings go, and mongod's account. */
interface Judging {
  c: MongodConfig;
  env: MongodCheckEnv;
  uid: number;
  gid: number;
  out: Finding[];
  at: (line: number, target?: string) => { file: string; line: number; target?: string };
}

/** An error unless mongod's account can write there: judged by mode bits, not by access(2), which would judge whoever runs the check. */
function mustBeWritable(
  { env, uid, gid, out, at }: Judging,
  st: Stats,
  code: string,
  line: number,
  target: string,
  shown: string,
  fix: string,
): void {
  if (!writableBy(st, uid, gid))
    out.push({ severity: 'error', code, ...at(line, target), message: `${shown} is not writable by ${env.user}`, fix });
}

/**
 * Would this mongod.conf let mongod start and keep logging? Checks the log
 * directory (exists, writable by mongod's user, mounted, has space), the
 * logAppend/logRotate combination, the dbPath and the pid file's directory.
 */
export function checkMongodConfig(c: MongodConfig, env: MongodCheckEnv): Finding[] {
  const out: Finding[] = [];
  const at = (line: number, target?: string) => ({ file: c.file, line, ...(target ? { target } : {}) });
  const account = env.accounts.user(env.user);
  if (!account)
    out.push({
      severity: 'warning',
      code: 'mongod-user-unknown',
      ...at(1),
      message: `user "${env.user}" does not exist here; permissions are judged as root`,
      fix: 'pass --mongod-user with the account mongod runs as',
    });
  const j: Judging = { c, env, uid: account?.uid ?? 0, gid: account?.gid ?? 0, out, at };
  checkLogFile(j);
  checkLogRotation(j);
  checkDbPath(j);
  checkPidFile(j);
  return out;
}

/** The file system under a path mongod writes: mounted where fstab says, with space left. */
function onDisk({ env, out, at }: Judging, p: string, line: number, what: string): void {
  if (env.mounted && env.fstab) {
    const v = mountVerdict(p, env.mounted, env.fstab);
    if (v.missingMount)
      out.push({
        severity: 'error',
        code: 'mount-gone',
        ...at(line, p),
        message: `${what} is under ${v.missingMount.mountPoint}, which /etc/fstab mounts from ${v.missingMount.device} but is not mounted now: mongod would write to ${v.mountedOn?.mountPoint ?? '/'} instead`,
        fix: `mount ${v.missingMount.mountPoint} or move ${what}`,
      });
  }
  const space = env.space(p);
  if (space && space.total > 0) {
    const used = 100 * (1 - space.free / space.total);
    if (space.free === 0)
      out.push({
        severity: 'error',
        code: 'no-space',
        ...at(line, p),
        message: `the filesystem of ${what} is full; mongod 4.4+ exits when it cannot write its log`,
        fix: 'free space on it',
      });
    else if (used >= NEARLY_FULL_PERCENT)
      out.push({
        severity: 'warning',
        code: 'disk-nearly-full',
        ...at(line, p),
        message: `the filesystem of ${what} is ${used.toFixed(1)} % full`,
        fix: 'free space before it fills',
      });
  }
}

/** systemLog.path: written at all, its directory there and writable, its disk. */
function checkLogFile(j: Judging): void {
  const { c, env, out, at } = j;
  const dest = c.destination?.value ?? null;
  if (c.logPath && dest !== 'file') {
    out.push({
      severity: 'warning',
      code: 'log-destination',
      ...at(c.logPath.line, c.logPath.value),
      message: `systemLog.path is set but systemLog.destination is ${dest ?? 'unset'}: mongod does not write this file`,
      fix: 'set systemLog.destination: file',
    });
  }
  if (c.logPath && dest === 'file') {
    const p = c.logPath.value;
    const dir = path.dirname(p);
    const dst = stat(dir);
    if (!dst) {
      const gone = firstMissingAncestor(p) ?? dir;
      out.push({
        severity: 'error',
        code: 'log-dir-missing',
        ...at(c.logPath.line, p),
        message: `directory ${gone} does not exist: mongod cannot open ${p} (it fails to start, and a running one dies at its next rotation or log write)`,
        fix: `restore ${gone} or point systemLog.path at an existing directory`,
      });
    } else if (!dst.isDirectory()) {
      out.push({
        severity: 'error',
        code: 'log-dir-not-dir',
        ...at(c.logPath.line, p),
        message: `${dir} is not a directory`,
        fix: 'point systemLog.path into a directory',
      });
    } else {
      const fst = stat(p);
      const shown = fst ? p : dir;
      mustBeWritable(j, fst ?? dst, 'log-not-writable', c.logPath.line, p, shown, `chown ${env.user} ${shown}`);
      onDisk(j, p, c.logPath.line, 'the log');
    }
  }
}

/** logRotate reopen needs logAppend; without logAppend each start renames the old log aside. */
function checkLogRotation({ c, out, at }: Judging): void {
  const dest = c.destination?.value ?? null;
  if (c.logRotate?.value === 'reopen' && !(c.logAppend?.value ?? false)) {
    out.push({
      severity: 'error',
      code: 'reopen-without-append',
      ...at(c.logRotate.line),
      message: 'systemLog.logRotate: reopen requires systemLog.logAppend: true; mongod refuses to start',
      fix: 'set systemLog.logAppend: true',
    });
  }
  if (c.logPath && dest === 'file' && !(c.logAppend?.value ?? false)) {
    out.push({
      severity: 'info',
      code: 'no-log-append',
      ...at(c.logPath.line),
      message: 'logAppend is false: each start renames the old log aside',
      fix: 'set systemLog.logAppend: true with logRotate: reopen for logrotate-managed logs',
    });
  }
}

/** storage.dbPath: there, a directory, writable, and its disk. */
function checkDbPath(j: Judging): void {
  const { c, env, out, at } = j;
  if (c.dbPath) {
    const p = c.dbPath.value;
    const st = stat(p);
    if (!st) {
      const gone = firstMissingAncestor(path.join(p, 'x')) ?? p;
      out.push({
        severity: 'error',
        code: 'dbpath-missing',
        ...at(c.dbPath.line, p),
        message: `storage.dbPath ${p} does not exist (${gone} is missing): mongod will not start`,
        fix: `restore ${gone} or fix storage.dbPath`,
      });
    } else if (!st.isDirectory()) {
      out.push({
        severity: 'error',
        code: 'dbpath-not-dir',
        ...at(c.dbPath.line, p),
        message: `storage.dbPath ${p} is not a directory`,
      });
    } else {
      mustBeWritable(
        j,
        st,
        'dbpath-not-writable',
        c.dbPath.line,
        p,
        `storage.dbPath ${p}`,
        `chown -R ${env.user} ${p}`,
      );
      onDisk(j, p, c.dbPath.line, 'storage.dbPath');
    }
  }
}

/** processManagement.pidFilePath: its directory there and writable. */
function checkPidFile(j: Judging): void {
  const { c, env, out, at } = j;
  if (c.pidFilePath) {
    const dir = path.dirname(c.pidFilePath.value);
    const dst = stat(dir);
    if (!dst) {
      out.push({
        severity: 'error',
        code: 'pid-dir-missing',
        ...at(c.pidFilePath.line, c.pidFilePath.value),
        message: `directory ${dir} of processManagement.pidFilePath does not exist: a forking mongod fails to start`,
        fix: `create it (systemd: RuntimeDirectory=) or change pidFilePath`,
      });
    } else {
      mustBeWritable(j, dst, 'pid-dir-not-writable', c.pidFilePath.line, dir, dir, `chown ${env.user} ${dir}`);
    }
  }
}
