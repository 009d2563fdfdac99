// The alert engine on its own for the alert benches (alert-engine.mjs, alert-memory.mjs): the shipped rules,
// and an engine whose notifier drops everything, so a figure is the engine's alone.
import { AlertEngine } from '../dist/server/alerts/engine.js';
import { loadRuleFile } from '../dist/server/alerts/rules.js';
import { defaultRulesDir, ruleFiles } from '../dist/server/alerts/ruleset.js';
import { silentLogger } from '../dist/shared/log.js';

/** The rules `tidemark server` loads by default. */
export const shippedRules = () => ruleFiles([defaultRulesDir()]).flatMap((f) => loadRuleFile(f).rules);

const notifier = /** @type {import('../dist/server/alerts/notify.js').Notifier} */ (
  /** @type {unknown} */ ({ enqueue() {}, restore() {}, pending: [], stop() {}, subscribe: () => () => {} })
);

/**
 * An engine evaluating `rules` at the time `clock` says, with no state file and no agents' last-seen times.
 * @param {import('../dist/server/alerts/rules.js').Rule[]} rules
 * @param {() => number} clock
 */
export function engineAlone(rules, clock) {
  return new AlertEngine({
    rules: () => rules,
    notifier,
    log: silentLogger,
    stateFile: null,
    agentsLastSeen: () => new Map(),
    clock,
  });
}
