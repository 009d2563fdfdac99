import type { Document } from 'bson';
import type { WireState } from '../../shared/protocol.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { countBySeverity, type Finding } from '../../shared/findings.js';
import { hostEnv } from '../logrotate/run.js';
import { MongodSource, redactUri } from '../mongod/client.js';
import { parseCmdLineOpts, type RunningOptions } from '../mongod/cmdline.js';
import { checkMongodConfig, loadMongodConfig } from '../mongod/config-check.js';
import { checkRunningMongod } from '../mongod/running-check.js';
import type { CollectResult, Collector } from './collector.js';
import { collectorName } from './instance.js';

import { MONGOD_RUNNING_STATE_KIND } from '../../shared/states.js';
import { errorMessage } from '../../shared/errors.js';
/** The running check's cadence: a detached log must show within seconds, and getCmdLineOpts is cheap. */
export const RUNNING_CHECK_INTERVAL_MS = 5_000;

export interface MongodRunningOptions {
  uri: string;
  /** Where /proc is read from. */
  root: string;
  /** The config file this instance is started from, to compare with the running settings. */
  configFile: string | null;
  user: string;
  /** The `instance` label, when the agent watches several. */
  instance: string | null;
  /** mongod's pid when known from /proc discovery; otherwise serverStatus.pid. */
  pid?: number | null;
  /** Also check the config file itself (labelled, as check="mongod-config"): each instance its own checks. */
  checkFile?: boolean;
  timeoutMs?: number;
}

interface RunningReport {
  ok: boolean;
  checkedAt: number;
  pid: number | null;
  running: RunningOptions | null;
  openLog: { fd: number; target: string } | null;
  counts: Record<Finding['severity'], number>;
  findings: Finding[];
  error?: string;
  /** The config file's own check, when asked for. */
  fileCheck?: { file: string; ok: boolean; counts: Record<Finding['severity'], number>; findings: Finding[] };
}

/**
 * Judges the running mongod rather than its config file: getCmdLineOpts for
 * the options it was started with, /proc/<pid>/fd for the log it holds open.
 * The config file is compared with them, so an edit without a restart shows.
 */
export class MongodRunningCollector implements Collector {
  readonly name: string;
  private readonly source: MongodSource;
  private last: RunningReport | null = null;
  private lastRun = -Infinity;

  constructor(private readonly opts: MongodRunningOptions) {
    this.name = collectorName('mongod_running', opts.instance);
    this.source = new MongodSource(opts.uri);
  }

  private async pid(timeoutMs: number): Promise<number | null> {
    if (this.opts.pid) return this.opts.pid;
    const ss: Document = await this.source.serverStatus(timeoutMs);
    const pid = Number(ss.pid);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  private async run(now: number): Promise<RunningReport> {
    const t = this.opts.timeoutMs ?? 800;
    const base = { checkedAt: now, openLog: null, counts: { error: 0, warning: 0, info: 0 }, findings: [] };
    let running: RunningOptions;
    let pid: number | null;
    try {
      running = parseCmdLineOpts(await this.source.getCmdLineOpts(t));
      pid = await this.pid(t);
    } catch (err) {
      return {
        ...base,
        ok: false,
        pid: null,
        running: null,
        error: `${redactUri(this.opts.uri)}: ${errorMessage(err)}`,
      };
    }
    const configFile = this.opts.configFile ?? running.configFile;
    let file = null;
    const pre: Finding[] = [];
    if (configFile)
      try {
        file = loadMongodConfig(configFile);
      } catch (err) {
        pre.push({
          severity: 'warning',
          code: 'config-unreadable',
          file: configFile,
          line: 0,
          message: errorMessage(err),
        });
      }
    const env = { ...hostEnv(), user: this.opts.user };
    const r = checkRunningMongod({ running, pid, root: this.opts.root, file, env });
    let fileCheck: RunningReport['fileCheck'];
    if (this.opts.checkFile && configFile) {
      const ff = file ? checkMongodConfig(file, env) : pre;
      const fc = countBySeverity(ff);
      fileCheck = { file: configFile, ok: file !== null && fc.error === 0, counts: fc, findings: ff };
    }
    const findings = [...pre, ...r.findings];
    const counts = countBySeverity(findings);
    return {
      ok: counts.error === 0,
      checkedAt: now,
      pid,
      running,
      openLog: r.openLog ? { fd: r.openLog.fd, target: r.openLog.target } : null,
      counts,
      findings: findings.filter((f) => f.severity !== 'info'),
      ...(fileCheck ? { fileCheck } : {}),
    };
  }

  async snapshot(): Promise<unknown> {
    return this.run(Date.now());
  }

  async collect(): Promise<CollectResult> {
    const now = Date.now();
    if (now - this.lastRun >= RUNNING_CHECK_INTERVAL_MS) {
      this.lastRun = now;
      this.last = await this.run(now);
    }
    const r = this.last!;
    const key = this.opts.instance ?? 'local';
    const state: WireState = {
      kind: MONGOD_RUNNING_STATE_KIND,
      key,
      value: (({ fileCheck: _f, ...rest }) => ({
        check: 'mongod-running',
        instance: this.opts.instance,
        file: this.opts.instance ?? redactUri(this.opts.uri),
        ...rest,
      }))(r),
    };
    const samples: MetricSample[] = [];
    const states = [state];
    const put = (check: string, c: { ok: boolean; counts: Record<Finding['severity'], number> }) => {
      const l = { check, ...(this.opts.instance ? { instance: this.opts.instance } : {}) };
      samples.push(
        { m: 'logpath_check_ok', l, v: c.ok ? 1 : 0 },
        { m: 'logpath_check_errors', l, v: c.counts.error },
        { m: 'logpath_check_warnings', l, v: c.counts.warning },
      );
    };
    // No verdict while mongod does not answer (MongodDown covers that): null values, so an alert on the
    // last verdict resolves instead of freezing on a process that is gone.
    if (!r.error) put('mongod-running', r);
    else
      for (const m of ['logpath_check_ok', 'logpath_check_errors', 'logpath_check_warnings'] as const)
        samples.push({
          m,
          l: { check: 'mongod-running', ...(this.opts.instance ? { instance: this.opts.instance } : {}) },
          v: null,
        });
    if (r.fileCheck) {
      put('mongod-config', r.fileCheck);
      const { file, ...fc } = r.fileCheck;
      states.push({
        kind: MONGOD_RUNNING_STATE_KIND,
        key: `${key} config`,
        value: { check: 'mongod-config', instance: this.opts.instance, file, checkedAt: r.checkedAt, ...fc },
      });
    }
    return {
      samples,
      states,
      stateKinds: [MONGOD_RUNNING_STATE_KIND],
      status: { name: this.name, state: 'ok', ...(r.error ? { message: r.error } : {}) },
    };
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}
