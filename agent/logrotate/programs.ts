import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../shared/findings.js';
import type { ScriptKind, Stanza, Where } from './config-model.js';

/**
 * The programs a rotation runs, judged before the run: compresscmd and
 * uncompresscmd (logrotate execvp()s them, so a bare name is looked up on
 * PATH), and the commands of the scripts, which logrotate runs as
 * `/bin/sh -c SCRIPT`. A script's exit status is its last command's, so a
 * command that must fail (a program that is not there, `cat` of a missing file,
 * `kill` whose only pid comes from a missing pid file) fails the script only
 * when it is the last one and nothing (`|| true`) catches it: then logrotate
 * reports "error running … script" and exits 1 (an error here); anywhere else
 * it is a warning, with the script's line.
 */

/** PATH as cron and systemd give it to logrotate when the check's own is unset. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Built-ins and keywords of POSIX sh (dash), which no PATH lookup finds. */
const SHELL_WORDS = new Set(
  (
    '! { } [ [[ ]] : . alias bg break cd command continue echo eval exec exit export false fc fg getopts hash jobs kill ' +
    'local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait ' +
    'if then else elif fi for while until do done case esac in function source'
  ).split(' '),
);

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time']);

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a program name resolves, as execvp would: a name with a slash as is, else the first PATH hit; null if none. */
export function resolveProgram(name: string, searchPath: string): string | null {
  if (name.includes('/')) return isExecutableFile(name) ? name : null;
  for (const dir of searchPath.split(':')) {
    const p = path.join(dir || '.', name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

const exists = (p: string) => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** A plain absolute path, with nothing the shell would expand. */
const literalPath = (w: string | undefined): w is string => !!w && w.startsWith('/') && !/[$`*?[\]{}~]/.test(w);

/** Words of a simple command; quotes removed. Good enough for the one-line commands of logrotate scripts. */
function words(cmd: string): string[] {
  return (cmd.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''));
}

interface Failure {
  why: string;
  /** true when the command itself must exit non-zero (false: only a part of it fails, e.g. a substitution). */
  failsCommand: boolean;
}

/** `$(cat FILE …)` and `` `cat FILE …` ``: the files read by command substitutions, and whether all of them are missing. */
function substitutedReads(cmd: string): { files: string[]; missing: string[] } {
  const files: string[] = [];
  for (const m of cmd.matchAll(/\$\(\s*cat\s+([^)]*)\)|`\s*cat\s+([^`]*)`/g)) {
    const args = words((m[1] ?? m[2] ?? '').replace(/\d*>+\s*\S+/g, ''));
    files.push(...args.filter((a) => !a.startsWith('-')));
  }
  return { files, missing: files.filter((f) => literalPath(f) && !exists(f)) };
}

/** Why a simple command (no ;, &&, ||) must fail, or null. */
function failure(cmd: string, searchPath: string): Failure | null {
  const subs = substitutedReads(cmd);
  const outer = cmd.replace(/\$\([^)]*\)|`[^`]*`/g, ' ');
  const ws = words(outer.replace(/\d*>>?\s*\S+|\d*>&\d/g, ' '));
  // VAR=value prefixes and the keywords before a command (if, then, do, !)
  while (ws.length && (/^[A-Za-z_]\w*=/.test(ws[0]!) || KEYWORDS.has(ws[0]!))) ws.shift();
  const prog = ws[0];
  const input = /(^|[^<])<\s*(\S+)/.exec(outer)?.[2];
  if (literalPath(input) && !exists(input)) return { why: `reads ${input}, which does not exist`, failsCommand: true };
  if (prog && !SHELL_WORDS.has(prog) && !/[$`]/.test(prog) && !resolveProgram(prog, searchPath))
    return {
      why: prog.includes('/')
        ? `runs ${prog}, which does not exist or is not executable`
        : `runs ${prog}, which is not on PATH`,
      failsCommand: true,
    };
  if (prog === 'cat' || prog === 'head' || prog === 'tail') {
    const missing = ws.slice(1).filter((a) => literalPath(a) && !exists(a));
    if (missing.length) return { why: `${prog} reads ${missing.join(', ')}, which does not exist`, failsCommand: true };
  }
  if (subs.missing.length) {
    const killWithOnlyThat =
      /(^|\/)kill$/.test(prog ?? '') &&
      ws
        .slice(1)
        .filter((a) => a.trim())
        .every((a) => a.startsWith('-')) &&
      subs.missing.length === subs.files.length;
    return {
      why: killWithOnlyThat
        ? `kill takes its pid from ${subs.missing.join(', ')}, which does not exist: kill gets no pid, fails, and no signal is sent`
        : `reads ${subs.missing.join(', ')}, which does not exist`,
      failsCommand: killWithOnlyThat,
    };
  }
  return null;
}

export interface ScriptProblem {
  line: number;
  text: string;
  why: string;
  /** The failure decides the script's exit status: logrotate will report the script as failed. */
  failsScript: boolean;
}

/** Lines of a script, continuations joined, comments dropped, with the line each starts on. */
function logicalLines(body: string, firstLine: number): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | null = null;
  body.split('\n').forEach((raw, i) => {
    const text = raw.replace(/(^|\s)#.*$/, '').trim();
    const cur: { line: number; text: string } = pending
      ? { line: pending.line, text: `${pending.text} ${text}` }
      : { line: firstLine + i, text };
    if (cur.text.endsWith('\\')) pending = { line: cur.line, text: cur.text.slice(0, -1) };
    else {
      pending = null;
      if (cur.text) out.push(cur);
    }
  });
  if (pending) out.push(pending);
  return out;
}

/** Predictable failures of the commands of one script. */
export function scriptProblems(body: string, firstLine: number, searchPath: string): ScriptProblem[] {
  const lines = logicalLines(body, firstLine);
  const out: ScriptProblem[] = [];
  // After a line with `exit` (e.g. `test -x /usr/bin/foo || exit 0`) the script may end early: nothing later decides.
  const firstExit = lines.findIndex((l) => /(^|[\s;&|])exit\b/.test(l.text));
  lines.forEach(({ line, text }, i) => {
    // Lists split at ; && || | (not inside quotes or substitutions: good enough for these scripts).
    const parts = text.split(/\s*(;|&&|\|\||\|(?!\|))\s*/);
    for (let k = 0; k < parts.length; k += 2) {
      const f = failure(parts[k]!, searchPath);
      if (!f) continue;
      // The script's status is its last line's, and a line's is its last command's (a `|| true` after it is another).
      const decides = i === lines.length - 1 && k === parts.length - 1 && (firstExit < 0 || firstExit >= i);
      out.push({ line, text, why: f.why, failsScript: f.failsCommand && decides });
    }
  });
  return out;
}

const SCRIPT_EFFECT: Record<ScriptKind, string> = {
  firstaction: 'logrotate rotates nothing in this block and exits 1 ("error running first action script")',
  prerotate: 'logrotate skips the rotation and exits 1 ("error running … prerotate script")',
  postrotate: 'logrotate exits 1 ("error running … postrotate script"), after renaming the log',
  lastaction: 'logrotate exits 1 ("error running last action script")',
  preremove: 'logrotate keeps the old log it meant to remove and exits 1',
};

/** Findings for the scripts and compress programs of a stanza that has something to rotate. */
export function programFindings(stanza: Stanza, target: string, searchPath: string): Finding[] {
  const out: Finding[] = [];
  const o = stanza.options;
  const program = (kind: 'compresscmd' | 'uncompresscmd', dflt: string) => {
    const set = o[kind];
    const prog = set?.path ?? dflt;
    if (resolveProgram(prog, searchPath)) return;
    const where: Where = set ?? { file: stanza.file, line: stanza.line };
    const compress = kind === 'compresscmd';
    out.push({
      severity: compress ? 'error' : 'warning',
      code: `${kind}-missing`,
      file: where.file,
      line: where.line,
      target,
      message: compress
        ? `compress command ${prog} does not exist or is not executable: logrotate renames the log, then fails with "failed to compress log" and exits 1`
        : `uncompress command ${prog} does not exist or is not executable: mailing a compressed log would fail`,
      fix: `install ${path.basename(prog)} or point ${kind} at an installed program`,
    });
  };
  if (o.compress) {
    program('compresscmd', '/bin/gzip');
    program('uncompresscmd', '/bin/gunzip');
  }
  for (const [kind, s] of Object.entries(o.scripts) as [
    ScriptKind,
    NonNullable<Stanza['options']['scripts'][ScriptKind]>,
  ][]) {
    for (const p of scriptProblems(s.body, s.bodyLine, searchPath)) {
      out.push({
        severity: p.failsScript && kind !== 'preremove' ? 'error' : 'warning',
        code: 'script-command-fails',
        file: s.file,
        line: p.line,
        target,
        message: `${kind} line "${p.text}" ${p.why}${p.failsScript ? `; the script fails, so ${SCRIPT_EFFECT[kind]}` : ''}`,
        fix: /pid/.test(p.why)
          ? 'point the script at the pid file the daemon writes (processManagement.pidFilePath for mongod)'
          : 'fix the path or install the program',
      });
    }
  }
  return out;
}
