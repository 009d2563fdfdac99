import { collectorNames, type CollectorChoice } from '../agent/collectors/host.js';
import { ConfigError } from './config.js';
import { nearest } from './nearest.js';

/** `--collector.NAME` or `--no-collector.NAME`, with or without `=value`. */
const COLLECTOR_FLAG = /^--(no-)?collector\.([^=]*)/;

/**
 * Rejects a `--collector.X` or `--no-collector.X` that names no collector,
 * naming the nearest one, before commander sees it (commander's own refusal
 * would exit 1, the code of a problem found, not of a wrong command line).
 */
export function checkCollectorFlags(argv: readonly string[]): void {
  const names = collectorNames();
  for (const arg of argv) {
    if (arg === '--') return;
    const m = COLLECTOR_FLAG.exec(arg);
    if (!m || names.includes(m[2]!)) continue;
    const guess = nearest(m[2]!, names);
    throw new ConfigError(
      `${arg}: no collector is called ${JSON.stringify(m[2])}` +
        (guess ? `; did you mean --${m[1] ?? ''}collector.${guess}?` : '') +
        ` (collectors: ${names.join(', ')})`,
    );
  }
}

/** The choice the flags make: names given on (true) or off (false), the last flag for a name winning. */
export function collectorChoice(flags: Record<string, unknown>): CollectorChoice {
  const out: Record<string, boolean> = {};
  for (const name of collectorNames()) {
    const v = flags[`collector.${name}`];
    if (typeof v === 'boolean') out[name] = v;
  }
  return out;
}
