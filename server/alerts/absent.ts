/**
 * Absent-data rules (`absent: { agent: true }` or `absent: { metric: … }`):
 * one evaluation per host (and metric) each tick. Silence counts from when a
 * host or metric was last heard, but not from before the server could hear it
 * (silentForMs): after a restart the agents get their reconnect backoff on top
 * of the rule's `for`. A retired host is silent by design until its agent
 * reports again.
 */
import type { StepInput } from './instance.js';
import { matches, type Rule } from './rules.js';
import { silentForMs } from './staleness.js';
import type { HostWindows } from './windows.js';

export interface AbsentContext {
  now: number;
  /** When the engine started. */
  startedAt: number;
  agentsLastSeen: Map<string, number>;
  /** Retired hosts and when. */
  retired: Map<string, number>;
  windows: HostWindows;
  /** The alert id of an absent rule's instance. */
  id: (rule: string, host: string, labels: Record<string, string>) => string;
  /** True when `host` has no alert open: a step whose condition does not hold would change nothing, so none is made. */
  quiet: (host: string) => boolean;
}

/** The evaluations of the absent-data rules among `rules` at `ctx.now`. */
export function* absentSteps(rules: readonly Rule[], ctx: AbsentContext): Generator<StepInput> {
  const { now } = ctx;
  for (const rule of rules) {
    if (!rule.absent) continue;
    const step = (host: string, labels: Record<string, string>, last: number): StepInput => {
      const silent = now - last;
      return {
        rule,
        id: ctx.id(rule.name, host, labels),
        host,
        labels,
        ok: silentForMs(last, now, ctx.startedAt) >= rule.forMs,
        resolving: silent < rule.forMs,
        ts: now,
        value: Math.round(silent / 1000),
        forMs: 0, // the condition already is "silent for at least `for`"
      };
    };
    // Every host every second, nearly all heard from lately: those need no id (a hash) and no step.
    const idle = (host: string, last: number) => silentForMs(last, now, ctx.startedAt) < rule.forMs && ctx.quiet(host);
    if ('agent' in rule.absent) {
      for (const [host, last] of ctx.agentsLastSeen)
        if (!((ctx.retired.get(host) ?? -Infinity) >= last) && !idle(host, last)) yield step(host, {}, last);
      continue;
    }
    const { metric, matchers } = rule.absent;
    for (const [host, byMetric] of ctx.windows) {
      const m = byMetric.get(metric);
      if (m && !idle(host, m.lastSeen) && [...m.series.values()].some((w) => matches(matchers, w.labels)))
        yield step(host, { metric }, m.lastSeen);
    }
  }
}
