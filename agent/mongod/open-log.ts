import { readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../shared/findings.js';

/** One open file descriptor of a process: where the kernel says it points, and the inode behind it. */
export interface OpenFile {
  fd: number;
  /** readlink of /proc/<pid>/fd/<fd>: a path, "… (deleted)", or a path relative to a detached mount. */
  target: string;
  dev: number;
  ino: number;
}

/** What is at a path now (null: nothing). */
export interface PathIdentity {
  dev: number;
  ino: number;
}

/**
 * The regular files a process holds open, from `<root>/proc/<pid>/fd`. Null
 * when the process is not visible (gone, or mongod runs on another host).
 */
export function readOpenFiles(root: string, pid: number): OpenFile[] | null {
  const dir = path.join(root, 'proc', String(pid), 'fd');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const out: OpenFile[] = [];
  for (const name of names) {
    const link = path.join(dir, name);
    try {
      const target = readlinkSync(link);
      if (!target.startsWith('/')) continue; // pipe:[…], socket:[…], anon_inode:…
      // stat through the magic link reaches the open inode even when no path leads to it any more
      const st = statSync(link);
      if (st.isFile()) out.push({ fd: Number(name), target, dev: st.dev, ino: st.ino });
    } catch {
      // closed between readdir and stat
    }
  }
  return out;
}

export function identityOf(p: string): PathIdentity | null {
  try {
    const st = statSync(p);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

export interface OpenLogFacts {
  pid: number;
  logPath: string;
  /** Null when the process's descriptors cannot be read. */
  open: OpenFile[] | null;
  /** What the log path leads to now. */
  atPath: PathIdentity | null;
  /** The deepest missing directory above the log, if any. */
  missingDir: string | null;
}

export interface OpenLogVerdict {
  /** The descriptor mongod writes its log through, when one was found. */
  fd: OpenFile | null;
  findings: Finding[];
}

const DELETED = ' (deleted)';

/**
 * Is the file mongod writes its log to still the file at its log path? A log
 * whose directory was removed, or whose mount was detached, keeps being
 * written — into a file nobody can reach — until the next rotation, when
 * mongod's rename or reopen fails. Judged by the inode behind the descriptor,
 * not by the config file.
 */
export function judgeOpenLog(f: OpenLogFacts, source: string): OpenLogVerdict {
  const at = { file: source, line: 0, target: f.logPath };
  if (f.open === null)
    return {
      fd: null,
      findings: [
        {
          severity: 'info',
          code: 'running-fds-unreadable',
          ...at,
          message: `cannot read the open files of mongod (pid ${f.pid}): not on this host, or not permitted`,
        },
      ],
    };
  const same = f.atPath ? f.open.find((o) => o.dev === f.atPath!.dev && o.ino === f.atPath!.ino) : undefined;
  if (same) return { fd: same, findings: [] };
  const base = path.basename(f.logPath);
  const candidate =
    f.open.find((o) => o.target === f.logPath || o.target === f.logPath + DELETED) ??
    f.open.find((o) => path.basename(o.target.replace(DELETED, '')) === base);
  if (!candidate)
    return {
      fd: null,
      findings: [
        {
          severity: 'warning',
          code: 'running-log-not-open',
          ...at,
          message: `mongod (pid ${f.pid}) holds no file open at ${f.logPath}: it logs elsewhere, or its log was moved without a reopen`,
          fix: 'check systemLog.path and send SIGUSR1 or db.adminCommand({logRotate: 1})',
        },
      ],
    };
  let why: string;
  if (f.missingDir) why = `directory ${f.missingDir} no longer exists`;
  else if (candidate.target.endsWith(DELETED)) why = 'the file was deleted';
  else if (candidate.target !== f.logPath)
    why = `the mount it was on is gone (the kernel now names the open file ${candidate.target})`;
  else why = 'a different file is at that path now';
  return {
    fd: candidate,
    findings: [
      {
        severity: 'error',
        code: 'running-log-detached',
        ...at,
        message: `mongod (pid ${f.pid}) writes its log to ${f.logPath}, but ${why}: its next log rotation fails (and mongod 2.4–4.4 aborts), whatever mongod.conf says now`,
        fix: `restore ${f.missingDir ?? path.dirname(f.logPath)} and rotate the log (SIGUSR1), or restart mongod with a valid systemLog.path`,
      },
    ],
  };
}
