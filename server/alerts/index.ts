import type { Logger } from '../../shared/log.js';
import { AlertEngine } from './engine.js';
import { Notifier, type Receiver } from './notify.js';
import { RuleSet } from './ruleset.js';
import { alertFacts } from './facts.js';
import type { HostStates } from '../../shared/states.js';

export interface AlertsOptions {
  /** Rule files and directories: the shipped defaults and the user's. */
  rulePaths: string[];
  receivers: Receiver[];
  /** Where alert state survives restarts; null keeps it in memory. */
  stateFile: string | null;
  repeatIntervalMs?: number;
  dashboardUrl?: string | null;
  /** The structured states each host reports, for the specifics in pages. */
  hostStates?: (host: string) => HostStates | undefined;
}

/** Rules, engine and notifier wired together. */
export class Alerts {
  readonly ruleSet: RuleSet;
  readonly notifier: Notifier;
  readonly engine: AlertEngine;

  constructor(opts: AlertsOptions, log: Logger, agentsLastSeen: () => Map<string, number>, clock?: () => number) {
    this.ruleSet = new RuleSet(opts.rulePaths, log.child('rules'));
    this.notifier = new Notifier(opts.receivers, log.child('notify'), opts.dashboardUrl ?? null);
    this.engine = new AlertEngine({
      rules: () => this.ruleSet.rules(),
      notifier: this.notifier,
      log: log.child('alerts'),
      stateFile: opts.stateFile,
      repeatIntervalMs: opts.repeatIntervalMs,
      agentsLastSeen,
      clock,
      facts: (host, rule, labels) => alertFacts(opts.hostStates?.(host) ?? {}, rule, labels),
    });
  }

  start(): void {
    this.ruleSet.watch();
    this.engine.start();
  }

  stop(): void {
    this.ruleSet.close();
    this.engine.stop();
  }
}
