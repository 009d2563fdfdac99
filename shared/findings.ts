/**
 * A finding of a configuration check (logrotate, mongod.conf): where it is,
 * what is wrong, why it matters and how to fix it. Errors mean a rotation (or a
 * mongod start) would fail or be skipped; warnings are risky or ignored
 * settings that do not change the outcome.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** Stable identifier, e.g. `missing-parent-dir`, for rules and tests. */
  code: string;
  /** Config file and 1-based line the finding is about. */
  file: string;
  line: number;
  /** The log file, directory or setting concerned. */
  target?: string;
  message: string;
  fix?: string;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

/** Human lines: `file:line target` then the severity, message and fix. */
export function formatFindings(findings: readonly Finding[], withInfo = false): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    if (f.severity === 'info' && !withInfo) continue;
    lines.push(`${f.file}:${f.line}${f.target ? `  ${f.target}` : ''}`);
    lines.push(`  ${f.severity}: ${f.message}`);
    if (f.fix) lines.push(`  fix: ${f.fix}`);
  }
  return lines;
}
