import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SecondOpinion {
  available: boolean;
  exitCode: number | null;
  /** logrotate's own error lines, verbatim. */
  errors: string[];
}

/** Runs `logrotate -d` (which changes nothing) with a throw-away state file and keeps its errors verbatim. */
export function logrotateDebug(config: string, binary = 'logrotate'): SecondOpinion {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-logrotate-'));
  try {
    const r = spawnSync(binary, ['-d', '-s', path.join(dir, 'state'), config], { encoding: 'utf8', timeout: 30_000 });
    if (r.error) return { available: false, exitCode: null, errors: [] };
    const errors = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').filter((l) => /^error: /.test(l));
    return { available: true, exitCode: r.status, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
