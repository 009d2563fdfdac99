import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared/log.js';
import { packageRoot } from '../../shared/paths.js';
import { loadRuleFile, type Rule, type RuleError } from './rules.js';

/** The rule files shipped with Tidemark, one per domain. */
export function defaultRulesDir(): string {
  return path.join(packageRoot(), 'rules');
}

/** Expands files and directories (their *.yaml / *.yml files, in name order) into rule files. */
export function ruleFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(p); // reported as unreadable when loaded
      continue;
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/.test(f)) out.push(path.join(p, f));
    } else {
      out.push(p);
    }
  }
  return out;
}

export interface RuleFileStatus {
  file: string;
  rules: number;
  errors: RuleError[];
  /** Rules of the previous good version are still in force while this file has errors. */
  keptPrevious: boolean;
}

/**
 * The rules in force, from the shipped defaults and the user's files. Files
 * are re-read when they change; a file that no longer validates keeps its
 * previous rules and reports why.
 */
export class RuleSet {
  private byFile = new Map<string, Rule[]>();
  private statuses = new Map<string, RuleFileStatus>();
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;
  private current: Rule[] = [];

  constructor(
    private readonly paths: readonly string[],
    private readonly log: Logger,
  ) {
    this.reload();
  }

  rules(): readonly Rule[] {
    return this.current;
  }

  status(): RuleFileStatus[] {
    return [...this.statuses.values()];
  }

  reload(): void {
    const files = ruleFiles(this.paths);
    const next = new Map<string, Rule[]>();
    for (const file of files) {
      const { rules, errors } = loadRuleFile(file);
      const previous = this.byFile.get(file);
      if (errors.length) {
        for (const e of errors)
          this.log.error('rule file error', {
            at: `${e.file}:${e.line}`,
            error: e.message,
            keeping: previous ? 'previous rules' : 'none',
          });
        if (previous) next.set(file, previous);
        this.statuses.set(file, { file, rules: previous?.length ?? 0, errors, keptPrevious: !!previous });
      } else {
        next.set(file, rules);
        this.statuses.set(file, { file, rules: rules.length, errors: [], keptPrevious: false });
      }
    }
    for (const f of this.statuses.keys()) if (!files.includes(f)) this.statuses.delete(f);
    // A name defined in two files: the later file wins, and both are told.
    const byName = new Map<string, Rule>();
    for (const rules of next.values()) {
      for (const r of rules) {
        const dup = byName.get(r.name);
        if (dup)
          this.log.warn('rule defined twice; the later one is used', {
            rule: r.name,
            first: `${dup.file}:${dup.line}`,
            second: `${r.file}:${r.line}`,
          });
        byName.set(r.name, r);
      }
    }
    this.byFile = next;
    this.current = [...byName.values()];
  }

  watch(): void {
    const dirs = new Set(
      this.paths.map((p) => {
        try {
          return statSync(p).isDirectory() ? p : path.dirname(p);
        } catch {
          return path.dirname(p);
        }
      }),
    );
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => {
          if (this.reloadTimer) clearTimeout(this.reloadTimer);
          this.reloadTimer = setTimeout(() => {
            this.reloadTimer = null;
            this.reload();
            this.log.info('rules reloaded', { rules: this.current.length });
          }, 200);
          this.reloadTimer.unref();
        });
        w.on('error', () => {});
        this.watchers.push(w);
      } catch {
        // a directory that does not exist yet is not watched
      }
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
  }
}
