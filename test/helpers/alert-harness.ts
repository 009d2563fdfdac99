import type { WireSample } from '../../shared/protocol.js';
import { silentLogger } from '../../shared/log.js';
import { Alerts, type AlertsOptions } from '../../server/alerts/index.js';
import { defaultRulesDir } from '../../server/alerts/ruleset.js';
import type { Condition } from '../../server/alerts/rules.js';

/**
 * An alert engine with a clock the test drives: `feed` sends samples as a host
 * every step and ticks, `idle` only ticks (nothing arrives). Stop it with
 * `alerts.stop()`.
 */
export function alertHarness(opts: Partial<AlertsOptions> & Pick<AlertsOptions, 'receivers'>) {
  let now = 1_800_000_000_000;
  const lastSeen = new Map<string, number>();
  const alerts = new Alerts(
    { rulePaths: [defaultRulesDir()], stateFile: null, ...opts },
    silentLogger,
    () => lastSeen,
    () => now,
  );
  return {
    alerts,
    feed(samples: WireSample[], seconds: number, stepMs = 1000, host = 'db1') {
      for (let i = 0; i < (seconds * 1000) / stepMs; i++) {
        now += stepMs;
        lastSeen.set(host, now);
        alerts.engine.ingest(host, now, samples);
        alerts.engine.tick(now);
      }
    },
    idle(seconds: number) {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        alerts.engine.tick(now);
      }
    },
    seen: lastSeen,
    states: () =>
      alerts.engine
        .list()
        .map((a) => `${a.rule} ${a.state}`)
        .sort(),
    get now() {
      return now;
    },
  };
}

/** A condition `fn(m[overMs]) > 0` on metric m, for tests that evaluate a window directly. */
export const thresholdCondition = (fn: Condition['fn'], overMs: number): Condition => ({
  kind: 'threshold',
  metric: 'm',
  matchers: [],
  fn,
  overMs,
  op: '>',
  value: 0,
});
