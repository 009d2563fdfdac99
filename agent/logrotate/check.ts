import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../shared/findings.js';
import type { Accounts } from './accounts.js';
import { expandGlob, hasGlob, segmentRegExp } from './glob.js';
import { mountVerdict } from '../fs/mounts.js';
import { firstMissingAncestor, lstat, NEARLY_FULL_PERCENT, stat, type PathEnv } from '../fs/paths.js';
import { createolddirOnGoneMount, olddirVerdict, restoreFix } from './olddir.js';
import type { ParsedConfig, Stanza } from './config-model.js';
import { DEFAULT_PATH, programFindings } from './programs.js';

/** What the check knows of mongod's own log rotation (from mongod.conf), to judge the stanzas that rotate its log. */
export interface MongodLogSettings {
  path: string;
  logRotate: 'rename' | 'reopen';
  logAppend: boolean;
  file: string;
  line: number;
}

export interface CheckEnv extends PathEnv {
  accounts: Accounts;
  /** logrotate refuses insecure parent directories only when it runs as root, as cron runs it. */
  runsAsRoot: boolean;
  mongod: MongodLogSettings | null;
  /** PATH the scripts and compress programs are looked up in; the check's own by default. */
  searchPath?: string;
}

export interface TargetResult {
  stanza: string;
  pattern: string;
  path: string;
  /** rotates: would rotate; absent: missing and missingok; problem: would fail or be skipped. */
  status: 'rotates' | 'absent' | 'problem';
}

/** kill -USR1, kill -SIGUSR1, kill -s USR1, kill -10, pkill/killall likewise, start-stop-daemon --signal USR1, systemctl kill -s USR1. */
const USR1 =
  /(^|[\s;|&`(])(-(SIG)?USR1\b|-s\s*(SIG)?USR1\b|--signal[= ]?(SIG)?USR1\b|(kill|pkill|killall)\s+(-\w+\s+)*-10\b)/m;

export function sendsUsr1(script: string | undefined): boolean {
  return !!script && USR1.test(script);
}

/**
 * Judges every stanza and target as logrotate would on its next run: which
 * rotations would fail or be skipped (errors), what logrotate prints but
 * ignores (warnings), and what is fine (info). Reads the file system.
 */
export function checkStanzas(config: ParsedConfig, env: CheckEnv): { findings: Finding[]; targets: TargetResult[] } {
  const findings: Finding[] = [];
  const targets: TargetResult[] = [];
  const seenPaths = new Map<string, Stanza>();
  const reportedDirectives = new Set<string>();
  const push = (f: Finding) => findings.push(f);

  for (const stanza of config.stanzas) {
    const where = `${stanza.file}:${stanza.line}`;
    const o = stanza.options;
    let skip = stanza.skipReason;
    const ignoredFile = config.files.find((f) => f.path === stanza.file && f.ignored);

    // Unknown users and groups: logrotate reports them while parsing and skips the block.
    const owners: [string, { user: string | null; group: string | null; file: string; line: number } | null][] = [
      ['create', o.create],
      ['su', o.su],
      ['createolddir', o.createolddir],
    ];
    for (const [directive, v] of owners) {
      if (!v) continue;
      const bad =
        v.user && !env.accounts.user(v.user)
          ? `unknown user "${v.user}"`
          : v.group && !env.accounts.group(v.group)
            ? `unknown group "${v.group}"`
            : null;
      if (!bad) continue;
      const key = `${v.file}:${v.line}`;
      if (!reportedDirectives.has(key)) {
        reportedDirectives.add(key);
        push({
          severity: 'error',
          code: `unknown-${bad.startsWith('unknown user') ? 'user' : 'group'}`,
          file: v.file,
          line: v.line,
          target: directive,
          message: `${directive}: ${bad}; logrotate skips every block that uses it`,
          fix: `create the account or name an existing one (getent passwd / getent group)`,
        });
      }
      skip ??= `${directive} names an ${bad}`;
    }

    // olddir is verified while parsing, per log (GLOB_NOCHECK: a glob matching nothing stays itself).
    const files = stanza.patterns.flatMap((pt) => {
      const hits = hasGlob(pt) ? expandGlob(pt) : [];
      return hits.length ? hits : [pt];
    });
    const old = skip ? null : olddirVerdict(stanza, files, env);
    if (old) {
      push(old.finding);
      skip = old.skip;
    }
    const oldOnGoneMount = skip ? null : createolddirOnGoneMount(stanza, files, env);
    if (oldOnGoneMount) push(oldOnGoneMount);
    const targetsBefore = targets.length;

    const m = env.mongod;
    const mongodPattern = m ? stanza.patterns.find((pt) => patternMatches(pt, m.path)) : undefined;
    if (m && mongodPattern && !skip)
      findings.push(...mongodCombination(stanza, m, { file: stanza.file, line: stanza.line, target: m.path }));

    for (const pattern of stanza.patterns) {
      const matches = hasGlob(pattern) ? expandGlob(pattern) : [pattern];
      if (matches.length === 0) {
        if (skip) continue;
        if (o.missingok) {
          push({
            severity: 'info',
            code: 'glob-no-match',
            file: stanza.file,
            line: stanza.line,
            target: pattern,
            message: 'matches nothing now (missingok)',
          });
        } else {
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
          targets.push({ stanza: where, pattern, path: pattern, status: 'problem' });
        }
        continue;
      }
      for (const p of matches) {
        const result = (status: TargetResult['status']) => targets.push({ stanza: where, pattern, path: p, status });
        const ls = lstat(p);
        if (skip) {
          // An ignored config file fails nothing by itself; it leaves existing logs unrotated.
          if (ignoredFile && !ls) {
            result('absent');
            continue;
          }
          push({
            severity: 'error',
            code: ignoredFile ? 'config-ignored' : 'stanza-skipped',
            file: stanza.file,
            line: stanza.line,
            target: p,
            message: ignoredFile
              ? `logrotate ignores ${stanza.file} (${ignoredFile.ignored}), so this log is never rotated`
              : `logrotate skips this block: ${skip}`,
            fix: ignoredFile
              ? `chmod go-w ${stanza.file}; chown root ${stanza.file}`
              : 'fix the error reported for the block',
          });
          result('problem');
          continue;
        }
        if (!ls) {
          const gone = firstMissingAncestor(p);
          const unmounted = env.mounted && env.fstab ? mountVerdict(p, env.mounted, env.fstab).missingMount : null;
          if (o.missingok && unmounted) {
            push({
              severity: 'warning',
              code: 'mount-gone',
              file: stanza.file,
              line: stanza.line,
              target: p,
              message: `${unmounted.mountPoint} is in /etc/fstab (${unmounted.device}) but not mounted, and missingok hides it: this log would be written to the disk below the empty mount point, or not at all`,
              fix: `mount ${unmounted.mountPoint}, or remove it from fstab and point the block at the new log path`,
            });
            result('absent');
          } else if (o.missingok) {
            push({
              severity: gone ? 'warning' : 'info',
              code: gone ? 'missing-parent-dir' : 'missing-log',
              file: stanza.file,
              line: stanza.line,
              target: p,
              message: gone
                ? `directory ${gone} does not exist (missingok, so logrotate skips it): is the log written somewhere else now?`
                : 'does not exist now (missingok)',
            });
            result('absent');
          } else {
            push({
              severity: 'error',
              code: gone ? 'missing-parent-dir' : 'missing-log',
              file: stanza.file,
              line: stanza.line,
              target: p,
              message: gone
                ? `directory ${gone} does not exist; logrotate fails with "stat of ${path.dirname(p)} failed"`
                : `log file does not exist; logrotate fails with "stat of ${p} failed"`,
              fix: gone
                ? restoreFix(gone, env, 'point the block at the new log path')
                : 'add missingok if the log may be absent, or fix the path',
            });
            result('problem');
          }
          continue;
        }
        if (ls.isSymbolicLink()) {
          push({
            severity: 'error',
            code: 'symlink',
            file: stanza.file,
            line: stanza.line,
            target: p,
            message: 'is a symbolic link; logrotate refuses to rotate symlinks and skips it',
            fix: 'name the real file in the block',
          });
          result('problem');
          continue;
        }
        if (!ls.isFile()) {
          if (hasGlob(pattern)) continue; // globs that also match directories: logrotate passes over those
          push({
            severity: 'error',
            code: 'not-regular',
            file: stanza.file,
            line: stanza.line,
            target: p,
            message: 'is not a regular file; logrotate skips it',
            fix: 'name the log file, not the directory (use dir/*.log)',
          });
          result('problem');
          continue;
        }
        const dup = seenPaths.get(p);
        if (dup) {
          push({
            severity: 'error',
            code: 'duplicate',
            file: stanza.file,
            line: stanza.line,
            target: p,
            message: `already rotated by the block at ${dup.file}:${dup.line}; logrotate reports a duplicate log entry`,
            fix: 'keep the log in one block only',
          });
          result('problem');
          continue;
        }
        seenPaths.set(p, stanza);
        const problems = judgeTarget(p, ls, stanza, env);
        findings.push(...problems);
        result(problems.some((f) => f.severity === 'error') ? 'problem' : 'rotates');
      }
    }
    // Scripts and compress programs run only when something in the block rotates.
    const rotating = targets.slice(targetsBefore).filter((t) => t.status === 'rotates');
    if (!skip && rotating.length) {
      const progs = programFindings(stanza, rotating[0]!.path, env.searchPath ?? process.env.PATH ?? DEFAULT_PATH);
      findings.push(...progs);
      if (progs.some((f) => f.severity === 'error')) for (const t of rotating) t.status = 'problem';
    }
  }
  return { findings, targets };
}

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

/** Whether a stanza pattern (literal or glob) names mongod's log path, whether or not the file exists now. */
export function patternMatches(pattern: string, target: string): boolean {
  if (!hasGlob(pattern)) return path.resolve(pattern) === path.resolve(target);
  const p = pattern.split('/');
  const t = path.resolve(target).split('/');
  return p.length === t.length && p.every((seg, i) => (hasGlob(seg) ? segmentRegExp(seg).test(t[i]!) : seg === t[i]));
}

/**
 * mongod and logrotate must not both rename the log. With systemLog.logRotate
 * "rename" (the default), SIGUSR1 makes mongod rename mongod.log itself; if
 * logrotate already renamed it away and created nothing, mongod's rename fails,
 * and mongod 2.4–4.4 aborts on that (fassert 16782).
 */
export function mongodCombination(
  stanza: Stanza,
  m: MongodLogSettings,
  at: { file: string; line: number; target: string },
): Finding[] {
  const o = stanza.options;
  const usr1 = sendsUsr1(o.scripts.postrotate?.body) || sendsUsr1(o.scripts.lastaction?.body);
  if (!usr1) return [];
  const out: Finding[] = [];
  const renames = !(o.copy || o.copytruncate);
  if (m.logRotate === 'rename' && renames && !o.create) {
    out.push({
      severity: 'error',
      code: 'mongod-rename-crash',
      ...at,
      message: `logrotate renames ${m.path} without create, then SIGUSR1 makes mongod (systemLog.logRotate: rename, ${m.file}:${m.line}) rename a file that is gone; mongod 2.4–4.4 aborts on the failed rename`,
      fix: 'set systemLog.logRotate: reopen with logAppend: true and keep create in the block, or drop the rename and let SIGUSR1 alone rotate',
    });
  } else if (m.logRotate === 'rename' && renames) {
    out.push({
      severity: 'warning',
      code: 'mongod-double-rotation',
      ...at,
      message: `logrotate and mongod (systemLog.logRotate: rename) both rotate ${m.path}: every run leaves an extra, nearly empty mongod.log.<date>`,
      fix: 'use systemLog.logRotate: reopen with logAppend: true',
    });
  } else if (!renames && m.logRotate === 'rename') {
    out.push({
      severity: 'warning',
      code: 'mongod-copytruncate-usr1',
      ...at,
      message: `copytruncate plus SIGUSR1 with systemLog.logRotate: rename: logrotate copies and truncates, then mongod renames the truncated file too`,
      fix: 'drop copytruncate and use systemLog.logRotate: reopen, logAppend: true, create',
    });
  } else if (!renames) {
    out.push({
      severity: 'warning',
      code: 'mongod-copytruncate-usr1',
      ...at,
      message: 'copytruncate plus SIGUSR1: lines written between the copy and the truncate are lost',
      fix: 'drop copytruncate: with logRotate: reopen, rename plus create plus SIGUSR1 loses nothing',
    });
  }
  if (m.logRotate === 'reopen' && !m.logAppend) {
    out.push({
      severity: 'error',
      code: 'mongod-reopen-without-append',
      file: m.file,
      line: m.line,
      target: m.path,
      message: 'systemLog.logRotate: reopen needs systemLog.logAppend: true; mongod refuses to start otherwise',
      fix: 'set systemLog.logAppend: true',
    });
  }
  return out;
}
