import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../shared/findings.js';
import { mountVerdict } from '../fs/mounts.js';
import { firstMissingAncestor, lstat, NEARLY_FULL_PERCENT, stat } from '../fs/paths.js';
import type { CheckEnv, TargetResult } from './check.js';
import type { ConfigFile, Stanza } from './config-model.js';
import { hasGlob } from './glob.js';
import { restoreFix } from './olddir.js';

/** One block being judged: why logrotate skips it (if it does), and what the whole run shares. */
export interface StanzaRun {
  stanza: Stanza;
  env: CheckEnv;
  skip: string | null;
  /** The block's file, when logrotate ignores that file (mode, owner). */
  ignoredFile: ConfigFile | undefined;
  /** Which block rotates each log so far: a second block naming it is a duplicate. */
  seenPaths: Map<string, Stanza>;
  push: (f: Finding) => void;
}

/** A pattern that matches nothing now: fine with missingok, else logrotate fails on it. */
export function patternMatchesNothing(pattern: string, { stanza, push }: StanzaRun): TargetResult['status'] | null {
  if (stanza.options.missingok) {
    push({
      severity: 'info',
      code: 'glob-no-match',
      file: stanza.file,
      line: stanza.line,
      target: pattern,
      message: 'matches nothing now (missingok)',
    });
    return null;
  }
  const gone = firstMissingAncestor(pattern.replace(/\/[^/]*[*?[].*$/, '/x'));
  push({
    severity: 'error',
    code: 'glob-no-match',
    file: stanza.file,
    line: stanza.line,
    target: pattern,
    message: `matches no file${gone ? `: directory ${gone} does not exist` : ''}; logrotate fails with "stat of ${pattern} failed"`,
    fix: gone
      ? `restore ${gone} or point the block at the new log path`
      : 'add missingok if the logs may be absent, or fix the pattern',
  });
  return 'problem';
}

/**
 * One file a pattern names, as logrotate's run treats it; null for what
 * logrotate passes over without a word (a directory a glob also matches).
 */
export function judgeMatch(p: string, pattern: string, run: StanzaRun): TargetResult['status'] | null {
  const { stanza, push } = run;
  const at = { file: stanza.file, line: stanza.line, target: p };
  const ls = lstat(p);
  if (run.skip) return skippedTarget(ls, at, run.skip, run);
  if (!ls) return missingTarget(p, run);
  if (ls.isSymbolicLink()) {
    push({
      severity: 'error',
      code: 'symlink',
      ...at,
      message: 'is a symbolic link; logrotate refuses to rotate symlinks and skips it',
      fix: 'name the real file in the block',
    });
    return 'problem';
  }
  if (!ls.isFile()) {
    if (hasGlob(pattern)) return null; // globs that also match directories: logrotate passes over those
    push({
      severity: 'error',
      code: 'not-regular',
      ...at,
      message: 'is not a regular file; logrotate skips it',
      fix: 'name the log file, not the directory (use dir/*.log)',
    });
    return 'problem';
  }
  const dup = run.seenPaths.get(p);
  if (dup) {
    push({
      severity: 'error',
      code: 'duplicate',
      ...at,
      message: `already rotated by the block at ${dup.file}:${dup.line}; logrotate reports a duplicate log entry`,
      fix: 'keep the log in one block only',
    });
    return 'problem';
  }
  run.seenPaths.set(p, stanza);
  const problems = judgeTarget(p, ls, stanza, run.env);
  problems.forEach(push);
  return problems.some((f) => f.severity === 'error') ? 'problem' : 'rotates';
}

type At = { file: string; line: number; target: string };

function skippedTarget(ls: Stats | null, at: At, skip: string, { stanza, ignoredFile, push }: StanzaRun) {
  // An ignored config file fails nothing by itself; it leaves existing logs unrotated.
  if (ignoredFile && !ls) return 'absent';
  push({
    severity: 'error',
    code: ignoredFile ? 'config-ignored' : 'stanza-skipped',
    ...at,
    message: ignoredFile
      ? `logrotate ignores ${stanza.file} (${ignoredFile.ignored}), so this log is never rotated`
      : `logrotate skips this block: ${skip}`,
    fix: ignoredFile ? `chmod go-w ${stanza.file}; chown root ${stanza.file}` : 'fix the error reported for the block',
  });
  return 'problem';
}

/** A log that does not exist: a missing mount, a missing directory, or just not there yet. */
function missingTarget(p: string, { stanza, env, push }: StanzaRun): TargetResult['status'] {
  const at = { file: stanza.file, line: stanza.line, target: p };
  const gone = firstMissingAncestor(p);
  const unmounted = env.mounted && env.fstab ? mountVerdict(p, env.mounted, env.fstab).missingMount : null;
  if (stanza.options.missingok && unmounted) {
    push({
      severity: 'warning',
      code: 'mount-gone',
      ...at,
      message: `${unmounted.mountPoint} is in /etc/fstab (${unmounted.device}) but not mounted, and missingok hides it: this log would be written to the disk below the empty mount point, or not at all`,
      fix: `mount ${unmounted.mountPoint}, or remove it from fstab and point the block at the new log path`,
    });
    return 'absent';
  }
  if (stanza.options.missingok) {
    push({
      severity: gone ? 'warning' : 'info',
      code: gone ? 'missing-parent-dir' : 'missing-log',
      ...at,
      message: gone
        ? `directory ${gone} does not exist (missingok, so logrotate skips it): is the log written somewhere else now?`
        : 'does not exist now (missingok)',
    });
    return 'absent';
  }
  push({
    severity: 'error',
    code: gone ? 'missing-parent-dir' : 'missing-log',
    ...at,
    message: gone
      ? `directory ${gone} does not exist; logrotate fails with "stat of ${path.dirname(p)} failed"`
      : `log file does not exist; logrotate fails with "stat of ${p} failed"`,
    fix: gone
      ? restoreFix(gone, env, 'point the block at the new log path')
      : 'add missingok if the log may be absent, or fix the path',
  });
  return 'problem';
}

/** What can go wrong rotating an existing regular file: its directory, its mount, the space to copy or compress it. */
function judgeTarget(p: string, st: Stats, stanza: Stanza, env: CheckEnv): Finding[] {
  const out: Finding[] = [];
  const o = stanza.options;
  const at = { file: stanza.file, line: stanza.line, target: p };
  const dir = path.dirname(p);
  const dirStat = stat(dir)!;

  if (env.runsAsRoot && !o.su) {
    const worldWritable = (dirStat.mode & 0o002) !== 0;
    const groupWritable = (dirStat.mode & 0o020) !== 0 && dirStat.gid !== 0;
    if (worldWritable || groupWritable) {
      out.push({
        severity: 'error',
        code: 'insecure-parent',
        ...at,
        message: `parent directory ${dir} is ${worldWritable ? 'world-writable' : 'writable by a group other than root'} (mode ${(dirStat.mode & 0o7777).toString(8)}); logrotate running as root skips this log`,
        fix: `add "su <owner> <group>" to the block, or chmod ${worldWritable ? 'o-w' : 'g-w'} ${dir}`,
      });
    }
  }

  if (env.mounted && env.fstab) {
    const v = mountVerdict(p, env.mounted, env.fstab);
    if (v.missingMount) {
      out.push({
        severity: 'error',
        code: 'mount-gone',
        ...at,
        message: `${v.missingMount.mountPoint} is in /etc/fstab (${v.missingMount.device}) but not mounted: this log is written to ${v.mountedOn?.mountPoint ?? '/'} under the empty mount point`,
        fix: `mount ${v.missingMount.mountPoint}, or remove it from fstab and move the log`,
      });
    }
  }

  const space = env.space(p);
  if (space && space.total > 0) {
    const needs = (o.copy || o.copytruncate || o.renamecopy ? st.size : 0) + (o.compress ? st.size : 0);
    const usedPct = 100 * (1 - space.free / space.total);
    if (space.free < needs) {
      out.push({
        severity: 'error',
        code: 'no-space',
        ...at,
        message: `its filesystem has ${space.free} bytes free; rotating needs about ${needs} (copy or compress of a ${st.size}-byte log)`,
        fix: 'free space on that filesystem or rotate more often',
      });
    } else if (space.free === 0) {
      out.push({
        severity: 'warning',
        code: 'disk-full',
        ...at,
        message: 'its filesystem is full: renaming still works, but the application cannot write to the new log',
        fix: 'free space on that filesystem',
      });
    } else if (usedPct >= NEARLY_FULL_PERCENT) {
      out.push({
        severity: 'warning',
        code: 'disk-nearly-full',
        ...at,
        message: `its filesystem is ${usedPct.toFixed(1)} % full`,
        fix: 'free space before the log fills it',
      });
    }
  }

  return out;
}
