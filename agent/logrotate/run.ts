import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { countBySeverity, type Finding } from '../../shared/findings.js';
import { systemAccounts } from './accounts.js';
import { checkStanzas, type CheckEnv, type TargetResult } from './check.js';
import { defaultSpace, firstMissingAncestor } from '../fs/paths.js';
import { parseMountTable } from '../fs/mounts.js';
import type { ConfigFile } from './config-model.js';
import { loadConfig } from './parse.js';
import { fsConfigSource } from './source.js';
import { logrotateDebug, type SecondOpinion } from './second-opinion.js';

export interface LogrotateReport {
  config: string;
  state: string;
  ok: boolean;
  counts: Record<Finding['severity'], number>;
  findings: Finding[];
  targets: TargetResult[];
  files: ConfigFile[];
  secondOpinion: SecondOpinion | null;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The environment of a real host: its accounts, mount tables and free space. */
export function hostEnv(opts: { procMounts?: string; fstab?: string } = {}): Omit<CheckEnv, 'mongod'> {
  const mounted = readOrNull(opts.procMounts ?? '/proc/mounts');
  const fstab = readOrNull(opts.fstab ?? '/etc/fstab');
  return {
    accounts: systemAccounts(),
    runsAsRoot: true,
    mounted: mounted === null ? null : parseMountTable(mounted),
    fstab: fstab === null ? null : parseMountTable(fstab),
    space: defaultSpace,
  };
}

/** The state file must be in an existing directory and not be a directory: otherwise logrotate exits 3 and rotates nothing. */
export function checkStateFile(state: string): Finding[] {
  const dir = path.dirname(state);
  const refused = (code: string, message: string, fix: string): Finding[] => [
    { severity: 'error', code, file: state, line: 0, target: state, message, fix },
  ];
  let st;
  try {
    st = statSync(dir);
  } catch {
    const gone = firstMissingAncestor(state) ?? dir;
    return refused(
      'state-dir-missing',
      `directory ${gone} of the state file does not exist; logrotate exits 3 and rotates nothing`,
      `create ${dir} or pass another -s/--state`,
    );
  }
  if (!st.isDirectory())
    return refused(
      'state-dir-missing',
      `${dir} is not a directory; logrotate cannot open its state file and rotates nothing`,
      'pass another state file',
    );
  try {
    if (statSync(state).isDirectory())
      return refused(
        'state-is-dir',
        'the state file is a directory; logrotate exits 3 and rotates nothing',
        'remove it or pass another state file',
      );
  } catch {
    // a missing state file is created on the first run
  }
  return [];
}

/**
 * logrotate -d's verdict counts: when it exits non-zero, each error it printed
 * is an error of the check (or one error naming the exit status if it printed
 * none), so the check never passes what logrotate itself fails. Errors it
 * prints but exits 0 on (an unknown directive) are warnings.
 */
export function secondOpinionFindings(config: string, s: SecondOpinion): Finding[] {
  if (!s.available) return [];
  const failed = s.exitCode !== 0;
  const at = { file: config, line: 0, code: 'second-opinion', fix: 'see the logrotate -d output' };
  if (failed && s.errors.length === 0)
    return [{ ...at, severity: 'error', message: `logrotate -d exited ${s.exitCode ?? 'on a signal'}` }];
  return s.errors.map((e) => ({
    ...at,
    severity: failed ? 'error' : 'warning',
    message: `logrotate -d${failed ? ` (exit ${s.exitCode ?? 'on a signal'})` : ''}: ${e}`,
  }));
}

export function runLogrotateCheck(opts: {
  config: string;
  state: string;
  env: CheckEnv;
  secondOpinion?: boolean;
}): LogrotateReport {
  const parsed = loadConfig(opts.config, fsConfigSource(0));
  const { findings, targets } = checkStanzas(parsed, opts.env);
  const all = [...checkStateFile(opts.state), ...parsed.findings, ...findings];
  for (const f of parsed.files) {
    if (
      f.ignored &&
      f.ignored !== 'taboo extension or pattern' &&
      !all.some((x) => x.file === f.path && x.code === 'config-ignored')
    ) {
      all.push({
        severity: 'warning',
        code: 'config-ignored',
        file: f.path,
        line: 1,
        message: `logrotate ignores this file (${f.ignored}); none of its logs exist now, so nothing fails yet`,
        fix: `chmod go-w ${f.path}; chown root ${f.path}`,
      });
    }
  }
  const second = opts.secondOpinion ? logrotateDebug(opts.config) : null;
  if (second) all.push(...secondOpinionFindings(opts.config, second));
  all.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file.localeCompare(b.file)));
  const counts = countBySeverity(all);
  return {
    config: opts.config,
    state: opts.state,
    ok: counts.error === 0,
    counts,
    findings: all,
    targets,
    files: parsed.files,
    secondOpinion: second,
  };
}
