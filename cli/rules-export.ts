import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { metricDef } from '../shared/catalogue.js';
import { loadRuleFile, type Condition, type Expr, type Matcher, type Op, type Rule } from '../server/alerts/rules.js';
import { defaultRulesDir, ruleFiles } from '../server/alerts/ruleset.js';

/**
 * Tidemark rules as Prometheus (and vmalert) alerting rules, in PromQL over
 * the remote-written `tidemark_*` series, for teams that evaluate alerts where
 * the fleet's data lives. The translation:
 *
 *   condition      fn(tidemark_<metric>{match}[over]) <op> value
 *                  (last: the series itself; avg/min/max: *_over_time;
 *                   rate: delta(x[over]) / over-in-seconds, the change per second)
 *   all / any      `and on(host, shared labels)` / `or`
 *   clear          hysteresis through ALERTS: the alert stays while `clear` has not held
 *   absent         seen in the last hour `unless` seen within `for`
 *   {{host}}, {{label}}, {{value}}   {{ $labels.host }}, {{ $labels.label }}, {{ $value }}
 */

const PREFIX = 'tidemark_';
const INVERSE: Record<Op, Op> = { '>': '<=', '>=': '<', '<': '>=', '<=': '>', '==': '!=', '!=': '==' };

const quote = (s: string) => JSON.stringify(s);
const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

function selector(metric: string, matchers: readonly Matcher[]): string {
  const parts = matchers.map((m) => {
    const op = m.re ? (m.negate ? '!~' : '=~') : m.negate ? '!=' : '=';
    return `${m.label}${op}${quote(m.re ? m.value.slice(1) : m.value)}`;
  });
  return `${PREFIX}${metric}${parts.length ? `{${parts.join(',')}}` : ''}`;
}

function condition(c: Condition, op: Op = c.op): string {
  const sel = selector(c.metric, c.matchers);
  const w = seconds(c.overMs);
  const value =
    c.fn === 'last'
      ? sel
      : c.fn === 'rate'
        ? `(delta(${sel}[${w}]) / ${c.overMs / 1000})`
        : `${c.fn}_over_time(${sel}[${w}])`;
  return `${value} ${op} ${c.value}`;
}

/** Labels every metric of an expression carries (host and the catalogue's shared ones): what `all` joins on. */
function sharedLabels(e: Expr): string[] {
  const sets = conditions(e).map((c) => new Set(metricDef(c.metric)?.labels ?? []));
  const first = sets[0] ?? new Set<string>();
  return ['host', ...[...first].filter((l) => sets.every((s) => s.has(l)))];
}

function conditions(e: Expr): Condition[] {
  return e.kind === 'threshold' ? [e] : e.of.flatMap(conditions);
}

/** PromQL for an expression; `negate` gives its opposite (De Morgan over all/any, inverse operators). */
export function promql(e: Expr, negate = false): string {
  if (e.kind === 'threshold') return condition(e, negate ? INVERSE[e.op] : e.op);
  const any = (e.kind === 'any') !== negate;
  const join = any ? ' or ' : ` and on(${sharedLabels(e).join(', ')}) `;
  return e.of.map((x) => `(${promql(x, negate)})`).join(join);
}

function template(text: string): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k: string) =>
    k === 'value' ? '{{ $value }}' : `{{ $labels.${k} }}`,
  );
}

export interface PrometheusRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One Tidemark rule as a Prometheus alerting rule. */
export function prometheusRule(r: Rule): PrometheusRule {
  let expr: string;
  let forMs = r.forMs;
  let summary = r.summary;
  let description = r.description;
  if (r.absent) {
    const sel = 'agent' in r.absent ? `${PREFIX}agent_buffer_batches` : selector(r.absent.metric, r.absent.matchers);
    const by = 'agent' in r.absent ? 'group by (host) ' : '';
    expr = `${by}(present_over_time(${sel}[1h])) unless ${by}(present_over_time(${sel}[${seconds(r.forMs)}]))`;
    // The silence is measured by the window itself, so it fires at once; {{value}} (seconds of silence) becomes the window.
    forMs = 0;
    summary = summary.replace(/\{\{\s*value\s*\}\}/g, String(r.forMs / 1000));
    description = description.replace(/\{\{\s*value\s*\}\}/g, String(r.forMs / 1000));
  } else {
    expr = promql(r.when!);
    if (r.clear) {
      const on = sharedLabels(r.when!).join(', ');
      expr = `(${expr}) or ((${promql(r.clear, true)}) and on(${on}) ALERTS{alertname=${quote(r.name)},alertstate="firing"})`;
    }
  }
  const out: PrometheusRule = { alert: r.name, expr } as PrometheusRule;
  if (forMs) out.for = seconds(forMs);
  if (r.keepFiringForMs) out.keep_firing_for = seconds(r.keepFiringForMs);
  out.labels = { severity: r.severity, ...r.labels };
  out.annotations = { summary: template(summary) };
  if (description) out.annotations.description = template(description);
  if (r.runbook) out.annotations.runbook_url = r.runbook;
  return out;
}

/** `tidemark rules export --format prometheus [FILE…]`: the shipped rules (unless left out) and the given files. */
export function rulesExportCommand(
  files: string[],
  flags: { format?: string; output?: string; defaultRules?: boolean },
): number {
  if ((flags.format ?? 'prometheus') !== 'prometheus') {
    process.stderr.write(`tidemark: --format ${flags.format}: only prometheus is supported\n`);
    return 2;
  }
  const paths = [...(flags.defaultRules === false ? [] : [defaultRulesDir()]), ...files];
  const groups: { name: string; rules: PrometheusRule[] }[] = [];
  let bad = false;
  for (const file of ruleFiles(paths)) {
    const { rules, errors } = loadRuleFile(file);
    for (const e of errors) process.stderr.write(`${e.file}:${e.line}: ${e.message}\n`);
    if (errors.length) bad = true;
    else
      groups.push({
        name: `tidemark-${path.basename(file).replace(/\.ya?ml$/, '')}`,
        rules: rules.map(prometheusRule),
      });
  }
  if (bad) return 1;
  const text = `# Tidemark alert rules as Prometheus alerting rules (tidemark rules export).\n${stringify({ groups }, { lineWidth: 0 })}`;
  if (flags.output) writeFileSync(flags.output, text);
  else process.stdout.write(text);
  return 0;
}
