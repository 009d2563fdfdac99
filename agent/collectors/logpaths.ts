import { LOGPATH_STATE_KIND, type LogPathCheckState } from '../../shared/states.js';
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { WireState } from '../../shared/protocol.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { countBySeverity, type Finding } from '../../shared/findings.js';
import { hostEnv, runLogrotateCheck } from '../logrotate/run.js';
import { checkMongodConfig, loadMongodConfig, mongodLogSettings } from '../mongod/config-check.js';
import type { MongodLogSettings } from '../logrotate/check.js';
import type { Accounts } from '../logrotate/accounts.js';
import { absent, type CollectResult, type Collector } from './collector.js';
import { registerCollector } from './registry.js';
import { errorMessage } from '../../shared/errors.js';

/** How often the checks run even when no watched file changed: mounts come and go, disks fill. */
export const LOGPATH_CHECK_INTERVAL_MS = 60_000;
/** A changed watched file is checked this long after the change (editors write in several steps). */
const CHANGE_SETTLE_MS = 250;
/** Account lookups are kept this long (unless /etc/passwd or /etc/group change): a name missing there costs a getent process. */
const ACCOUNT_TTL_MS = 10 * 60_000;

/**
 * Users and groups looked up by the checks, kept between runs: a name that is
 * not in /etc/passwd or /etc/group is asked of NSS with a getent process,
 * which every minute would be a fork (and up to 5 s of waiting) each time.
 */
class AccountCache {
  private readonly cache = new Map<string, { value: unknown; at: number }>();
  private filesStamp = '';

  wrap(base: Accounts): Accounts {
    const stamp = ['/etc/passwd', '/etc/group'].map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs).join();
    if (stamp !== this.filesStamp) this.cache.clear();
    this.filesStamp = stamp;
    const cached = <T>(key: string, look: () => T): T => {
      const now = Date.now();
      const hit = this.cache.get(key);
      if (hit && now - hit.at < ACCOUNT_TTL_MS) return hit.value as T;
      const value = look();
      this.cache.set(key, { value, at: now });
      return value;
    };
    return {
      user: (name) => cached(`u:${name}`, () => base.user(name)),
      group: (name) => cached(`g:${name}`, () => base.group(name)),
    };
  }
}

export interface LogPathOptions {
  logrotateConfig: string | null;
  logrotateState: string;
  mongodConfig: string | null;
  mongodUser: string;
}

interface CheckResult {
  ok: boolean;
  counts: Record<Finding['severity'], number>;
  /** Errors and warnings only: the dashboard and rules need what is wrong. */
  findings: Finding[];
  checkedAt: number;
  error?: string;
}

/** A check that threw (a config file that cannot be read or parsed): one error, the reason kept. */
function couldNotCheck(err: unknown, now: number): CheckResult {
  return {
    ok: false,
    counts: { error: 1, warning: 0, info: 0 },
    findings: [],
    checkedAt: now,
    error: errorMessage(err),
  };
}

/**
 * Runs the logrotate and mongod.conf checks every minute and whenever a
 * watched configuration file changes, and reports the latest results on every
 * tick (states for the dashboard, counts for the alert rules). The checks
 * run on a timer of their own half-way between ticks, never inside one (only
 * the very first run, so the first batch has results), so their file-system
 * work and account lookups never delay the sampling.
 */
export class LogPathsCollector implements Collector {
  readonly name = 'logpaths';
  private last: { logrotate: CheckResult | null; mongod: CheckResult | null } | null = null;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly accounts = new AccountCache();

  constructor(private readonly opts: LogPathOptions) {
    for (const file of [opts.logrotateConfig, opts.mongodConfig]) {
      if (!file) continue;
      // Watch the directory: editors replace files, which ends a watch on the file itself.
      for (const dir of new Set([
        path.dirname(file),
        ...(file === opts.logrotateConfig ? [path.join(path.dirname(file), 'logrotate.d')] : []),
      ])) {
        if (!existsSync(dir)) continue;
        try {
          const w = watch(dir, { persistent: false }, () => this.schedule(CHANGE_SETTLE_MS));
          w.on('error', () => {});
          this.watchers.push(w);
        } catch {
          // not watchable: the minute timer still runs the checks
        }
      }
    }
  }

  /** The next run in `delayMs`, or at the next half-second between ticks after a minute. */
  private schedule(delayMs?: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const now = Date.now();
    const delay = delayMs ?? LOGPATH_CHECK_INTERVAL_MS + 500 - (now % 1000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
      this.schedule();
    }, delay);
    this.timer.unref();
  }

  private run(): void {
    const host = hostEnv();
    const env = { ...host, accounts: this.accounts.wrap(host.accounts) };
    let mongodSettings: MongodLogSettings | null = null;
    let mongod: CheckResult | null = null;
    const now = Date.now();
    const summarise = (findings: Finding[]): CheckResult => {
      const counts = countBySeverity(findings);
      return {
        ok: counts.error === 0,
        counts,
        findings: findings.filter((f) => f.severity !== 'info'),
        checkedAt: now,
      };
    };
    if (this.opts.mongodConfig) {
      try {
        const conf = loadMongodConfig(this.opts.mongodConfig);
        mongodSettings = mongodLogSettings(conf);
        mongod = summarise(checkMongodConfig(conf, { ...env, user: this.opts.mongodUser }));
      } catch (err) {
        mongod = couldNotCheck(err, now);
      }
    }
    let logrotate: CheckResult | null = null;
    if (this.opts.logrotateConfig) {
      try {
        const r = runLogrotateCheck({
          config: this.opts.logrotateConfig,
          state: this.opts.logrotateState,
          env: { ...env, mongod: mongodSettings },
        });
        logrotate = summarise(r.findings);
      } catch (err) {
        logrotate = couldNotCheck(err, now);
      }
    }
    this.last = { logrotate, mongod };
  }

  async snapshot(): Promise<unknown> {
    this.run();
    return this.last;
  }

  async collect(): Promise<CollectResult> {
    if (!this.opts.logrotateConfig && !this.opts.mongodConfig) {
      return absent(this.name, 'no logrotate configuration and no mongod.conf to check');
    }
    if (!this.last) {
      this.run();
      this.schedule();
    }
    const samples: MetricSample[] = [];
    const states: WireState[] = [];
    const checks = [
      ['logrotate', this.last?.logrotate ?? null, this.opts.logrotateConfig],
      ['mongod-config', this.last?.mongod ?? null, this.opts.mongodConfig],
    ] as const;
    for (const [check, result, file] of checks) {
      if (!result) continue;
      const l = { check };
      samples.push(
        { m: 'logpath_check_ok', l, v: result.ok ? 1 : 0 },
        { m: 'logpath_check_errors', l, v: result.counts.error },
        { m: 'logpath_check_warnings', l, v: result.counts.warning },
      );
      states.push({
        kind: LOGPATH_STATE_KIND,
        key: check,
        value: { check, file, ...result } satisfies LogPathCheckState,
      });
    }
    const failed = checks.filter(([, r]) => r?.error).map(([c, r]) => `${c}: ${r!.error}`);
    return {
      samples,
      states,
      stateKinds: [LOGPATH_STATE_KIND],
      status: failed.length
        ? { name: this.name, state: 'error', message: failed.join('; ') }
        : { name: this.name, state: 'ok' },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}

registerCollector({
  name: 'logpaths',
  help: 'logrotate and mongod.conf checks of the log paths',
  defaultEnabled: true,
  create: (host) => {
    const lp = host.logPathOptions;
    // With several instances each checks its own config file, labelled; the shared check would name only one.
    return [new LogPathsCollector(host.labelled ? { ...lp, mongodConfig: null } : lp)];
  },
});
