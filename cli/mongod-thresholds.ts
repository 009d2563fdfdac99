import path from 'node:path';
import type { Gauges, Interval } from '../agent/mongod/server-status.js';
import { compare, loadRuleFile, type Condition, type Rule } from '../server/alerts/rules.js';
import { defaultRulesDir } from '../server/alerts/ruleset.js';

/**
 * `tidemark check mongod` holds one interval's figures to the thresholds of the
 * shipped rules (rules/mongod.yaml), so the command and the pager agree on what
 * is too much. One interval cannot show a rule's `for` or averaging window, so
 * crossing here means "over the line now", not "would page".
 */
export interface Crossed {
  rule: string;
  figure: string;
  value: number;
  threshold: string;
}

/** The figure a rule's primary condition reads, from one interval; null when this version lacks it. */
function figureFor(c: Condition, g: Gauges, iv: Interval): { label: string; value: number | null }[] {
  switch (c.metric) {
    case 'mongod_lock_percent':
      return iv.ok ? [{ label: `${iv.figures.lockKind ?? ''} lock %`, value: iv.figures.lockPercent }] : [];
    case 'mongod_queued':
      return [{ label: 'operations queued', value: g.queued.total }];
    case 'mongod_tickets_util_percent':
      return (['read', 'write'] as const).map((op) => ({
        label: `${op} tickets in use %`,
        value: g.tickets[op]?.utilPercent ?? null,
      }));
    default:
      return [];
  }
}

export function crossedThresholds(g: Gauges, iv: Interval, rules: readonly Rule[] = shippedMongodRules()): Crossed[] {
  const out: Crossed[] = [];
  for (const r of rules) {
    if (!r.when || r.when.kind !== 'threshold') continue;
    const c = r.when;
    for (const f of figureFor(c, g, iv)) {
      if (f.value !== null && compare(f.value, c.op, c.value))
        out.push({ rule: r.name, figure: f.label, value: f.value, threshold: `${c.op} ${c.value}` });
    }
  }
  return out;
}

function shippedMongodRules(): Rule[] {
  return loadRuleFile(path.join(defaultRulesDir(), 'mongod.yaml')).rules;
}
