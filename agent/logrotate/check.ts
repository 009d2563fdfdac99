import path from 'node:path';
import type { Finding } from '../../shared/findings.js';
import type { Accounts } from './accounts.js';
import { expandGlob, hasGlob, segmentRegExp } from './glob.js';
import type { PathEnv } from '../fs/paths.js';
import { judgeMatch, patternMatchesNothing, type StanzaRun } from './check-target.js';
import { createolddirOnGoneMount, olddirVerdict } from './olddir.js';
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
    const skip = ownerProblems(stanza, env, reportedDirectives, push);
    const ignoredFile = config.files.find((f) => f.path === stanza.file && f.ignored);
    checkStanza({ stanza, env, skip, ignoredFile, seenPaths, push }, targets);
  }
  return { findings, targets };
}

/**
 * Unknown users and groups: logrotate reports them while parsing and skips
 * the block. Each directive is reported once, however many blocks inherit it;
 * returns why the block is skipped, if it is.
 */
function ownerProblems(stanza: Stanza, env: CheckEnv, reported: Set<string>, push: (f: Finding) => void) {
  const o = stanza.options;
  let skip = stanza.skipReason;
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
    if (!reported.has(key)) {
      reported.add(key);
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
  return skip;
}

/** One block: olddir, mongod's own rotation, each pattern's targets, then the programs it would run. */
function checkStanza(run: StanzaRun, targets: TargetResult[]): void {
  const { stanza, env, push } = run;
  // olddir is verified while parsing, per log (GLOB_NOCHECK: a glob matching nothing stays itself).
  const files = stanza.patterns.flatMap((pt) => {
    const hits = hasGlob(pt) ? expandGlob(pt) : [];
    return hits.length ? hits : [pt];
  });
  const old = run.skip ? null : olddirVerdict(stanza, files, env);
  if (old) {
    push(old.finding);
    run = { ...run, skip: old.skip };
  }
  const oldOnGoneMount = run.skip ? null : createolddirOnGoneMount(stanza, files, env);
  if (oldOnGoneMount) push(oldOnGoneMount);
  const targetsBefore = targets.length;

  const m = env.mongod;
  const mongodPattern = m ? stanza.patterns.find((pt) => patternMatches(pt, m.path)) : undefined;
  if (m && mongodPattern && !run.skip)
    mongodCombination(stanza, m, { file: stanza.file, line: stanza.line, target: m.path }).forEach(push);

  const where = `${stanza.file}:${stanza.line}`;
  for (const pattern of stanza.patterns) {
    const matches = hasGlob(pattern) ? expandGlob(pattern) : [pattern];
    if (matches.length === 0) {
      if (!run.skip && patternMatchesNothing(pattern, run) === 'problem')
        targets.push({ stanza: where, pattern, path: pattern, status: 'problem' });
      continue;
    }
    for (const p of matches) {
      const status = judgeMatch(p, pattern, run);
      if (status) targets.push({ stanza: where, pattern, path: p, status });
    }
  }
  // Scripts and compress programs run only when something in the block rotates.
  const rotating = targets.slice(targetsBefore).filter((t) => t.status === 'rotates');
  if (!run.skip && rotating.length) {
    const progs = programFindings(stanza, rotating[0]!.path, env.searchPath ?? process.env.PATH ?? DEFAULT_PATH);
    progs.forEach(push);
    if (progs.some((f) => f.severity === 'error')) for (const t of rotating) t.status = 'problem';
  }
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
