import path from 'node:path';
import type { Finding } from '../../shared/findings.js';
import { mountVerdict } from '../fs/mounts.js';
import type { Stanza } from './config-model.js';
import type { CheckEnv } from './check.js';
import { firstMissingAncestor, stat } from '../fs/paths.js';

/**
 * logrotate 3.21 verifies olddir while reading the config (config.c), for each
 * log of the block in turn: first the log's own directory (gone: "error
 * verifying log file path", unless missingok, which passes over that log),
 * then the olddir (gone without createolddir: "error verifying olddir path"),
 * then that both are on one device unless the block copies. The first failure
 * skips the whole block.
 */
export function olddirVerdict(
  stanza: Stanza,
  files: readonly string[],
  env: CheckEnv,
): { finding: Finding; skip: string } | null {
  const o = stanza.options;
  if (!o.olddir) return null;
  const od = o.olddir;
  for (const file of files) {
    const dir = path.dirname(file);
    const dirStat = stat(dir);
    if (!dirStat) {
      if (o.missingok) continue;
      const gone = firstMissingAncestor(file) ?? dir;
      return {
        skip: `the log directory ${dir} does not exist`,
        finding: {
          severity: 'error',
          code: 'missing-parent-dir',
          file: stanza.file,
          line: stanza.line,
          target: file,
          message: `directory ${gone} of the log does not exist; logrotate fails with "error verifying log file path ${dir}" and skips the block`,
          fix: restoreFix(gone, env, 'point the block at the new log path'),
        },
      };
    }
    const old = path.resolve(dir, od.path);
    const ost = stat(old);
    const at = { file: od.file, line: od.line, target: old };
    const skipBlock = (skip: string, code: string, message: string, fix: string, target = old) => ({
      skip,
      finding: { severity: 'error' as const, code, ...at, target, message, fix },
    });
    if (!ost) {
      if (o.createolddir) continue; // created at parse time (see createolddirOnGoneMount)
      return skipBlock(
        `olddir ${old} does not exist`,
        'olddir-missing',
        `olddir ${old} does not exist; logrotate fails with "error verifying olddir path" and skips the block`,
        restoreFix(old, env, 'add createolddir'),
      );
    }
    if (!ost.isDirectory())
      return skipBlock(
        `olddir ${old} is not a directory`,
        'olddir-not-dir',
        `olddir ${old} is not a directory`,
        'point olddir at a directory',
      );
    if (ost.dev !== dirStat.dev && !(o.copy || o.copytruncate || o.renamecopy))
      return skipBlock(
        `olddir ${old} is on another device`,
        'olddir-other-device',
        `olddir ${old} is on another filesystem than ${file}; logrotate reports "olddir … and log file … are on different devices" and skips the block`,
        'move olddir onto the same filesystem, or add copy, copytruncate or renamecopy',
        file,
      );
  }
  return null;
}

/**
 * How to bring back a missing directory. Never `install -d` under an fstab
 * mount that is not mounted (that recreates it on the disk below), nor when
 * more than the last component is gone (a removed volume, as far as we know).
 */
export function restoreFix(missing: string, env: CheckEnv, otherwise: string): string {
  const gone = env.mounted && env.fstab ? mountVerdict(missing, env.mounted, env.fstab).missingMount : null;
  if (gone)
    return `mount ${gone.mountPoint} (${gone.device}, in /etc/fstab but not mounted), or ${otherwise}; creating ${missing} now would put it on the disk below the mount point`;
  const first = firstMissingAncestor(path.join(missing, 'x')) ?? missing;
  if (first === missing) return `create it (install -d ${missing}) or ${otherwise}`;
  return `${first} is gone too (a removed volume?): restore it, or ${otherwise}`;
}

/** createolddir under an fstab mount that is not mounted makes the directory on the disk below the mount point. */
export function createolddirOnGoneMount(stanza: Stanza, files: readonly string[], env: CheckEnv): Finding | null {
  const o = stanza.options;
  if (!o.olddir || !o.createolddir || !env.mounted || !env.fstab) return null;
  for (const file of files) {
    const old = path.resolve(path.dirname(file), o.olddir.path);
    const gone = stat(old) ? null : mountVerdict(old, env.mounted, env.fstab).missingMount;
    if (gone)
      return {
        severity: 'warning',
        code: 'mount-gone',
        file: o.olddir.file,
        line: o.olddir.line,
        target: old,
        message: `olddir ${old} is under ${gone.mountPoint}, which is in /etc/fstab but not mounted: createolddir would make it on the disk below`,
        fix: `mount ${gone.mountPoint}`,
      };
  }
  return null;
}
