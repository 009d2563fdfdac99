/**
 * Declarative alert rules (YAML, one file per domain), validated with the line
 * of every error. A rule watches a metric of the catalogue (or the silence of
 * an agent or a metric) and fires when its condition has held for `for`.
 *
 *   rules:
 *     - name: DiskSaturated
 *       severity: critical
 *       when: { metric: disk_saturated, op: '>=', value: 1 }
 *       for: 30s
 *       keep_firing_for: 1m
 *       summary: 'Disk {{device}} on {{host}} is saturated'
 *
 * Conditions: { metric, match?, fn?, over?, op?, value } where fn is last
 * (default), avg, min, max or rate over the window `over`; { all: [...] } and
 * { any: [...] } combine them, joined on the labels the metrics share. `match`
 * maps a label to a value, "~regex" or "!value". Hysteresis: `clear` (a
 * separate condition that must hold to resolve) or `keep_firing_for`.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import { compileFullMatch, type FullMatcher } from '../../shared/safe-regex.js';
import { metricDef } from '../../shared/catalogue.js';
import { errorMessage } from '../../shared/errors.js';

export type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type Fn = 'last' | 'avg' | 'min' | 'max' | 'rate';

export interface Matcher {
  label: string;
  value: string;
  negate: boolean;
  re: FullMatcher | null;
}

export interface Condition {
  kind: 'threshold';
  metric: string;
  matchers: Matcher[];
  fn: Fn;
  overMs: number;
  op: Op;
  value: number;
}

export type Expr = Condition | { kind: 'all' | 'any'; of: Expr[] };

export interface Rule {
  name: string;
  file: string;
  line: number;
  severity: 'critical' | 'warning' | 'info';
  when: Expr | null;
  clear: Expr | null;
  absent: { agent: true } | { metric: string; matchers: Matcher[] } | null;
  forMs: number;
  keepFiringForMs: number;
  /** How long a series may go unreceived before the rule's conditions stop holding on it; null: a few sampling intervals. */
  staleAfterMs: number | null;
  summary: string;
  description: string;
  /** The summary of the resolve notification, written as a resolution; null: "Resolved: " + summary. */
  resolved: string | null;
  runbook: string | null;
  labels: Record<string, string>;
}

export interface RuleError {
  file: string;
  line: number;
  message: string;
}

const OPS = new Set(['>', '>=', '<', '<=', '==', '!=']);
const FNS = new Set(['last', 'avg', 'min', 'max', 'rate']);
const SEVERITIES = new Set(['critical', 'warning', 'info']);
const RULE_KEYS = new Set([
  'name',
  'severity',
  'when',
  'clear',
  'absent',
  'for',
  'keep_firing_for',
  'stale_after',
  'summary',
  'description',
  'resolved',
  'runbook',
  'labels',
]);
const COND_KEYS = new Set(['metric', 'match', 'fn', 'over', 'op', 'value', 'all', 'any']);

/** "30s", "5m", "1h", "1500ms" or a bare number of seconds. */
export function parseDuration(v: unknown): number | null {
  if (typeof v === 'number' && v >= 0) return v * 1000;
  if (typeof v !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) return null;
  return (
    Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd']
  );
}

/** The comparisons as small numbers (their index here), for plans that keep thresholds in typed arrays. */
export const OP_CODES: readonly Op[] = ['>', '>=', '<', '<=', '==', '!='];

/** `compare` by an OP_CODES index. */
export function compareCode(a: number, code: number, b: number): boolean {
  switch (code) {
    case 0:
      return a > b;
    case 1:
      return a >= b;
    case 2:
      return a < b;
    case 3:
      return a <= b;
    case 4:
      return a === b;
    default:
      return a !== b;
  }
}

export function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

export function matches(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => {
    const v = labels[m.label] ?? '';
    const hit = m.re ? m.re.test(v) : v === m.value;
    return m.negate ? !hit : hit;
  });
}

/** What each part's parser shares: where errors go, and the line of a YAML node. */
interface Ctx {
  errors: RuleError[];
  lineOf: (n: unknown) => number;
  err: (n: unknown, message: string) => void;
}

const get = (m: YAMLMap, key: string) => m.get(key, true) as Node | undefined;

/** A YAML scalar's value; anything else (a map, a list, a missing key) is undefined. */
function scalar(n: Node | undefined): string | number | boolean | null | undefined {
  const v: unknown = n && isScalar(n) ? n.value : undefined;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : undefined;
}

/** Parses and validates one rule file's text; every error names its line. */
export function parseRules(text: string, file: string): { rules: Rule[]; errors: RuleError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const errors: RuleError[] = [];
  const lineOf = (n: unknown) => {
    const r = (n as Node | null)?.range;
    return r ? lc.linePos(r[0]).line : 1;
  };
  const ctx: Ctx = { errors, lineOf, err: (n, message) => errors.push({ file, line: lineOf(n), message }) };
  for (const e of doc.errors)
    errors.push({ file, line: lc.linePos(e.pos[0]).line, message: `not valid YAML: ${e.message.split('\n')[0]}` });
  if (errors.length) return { rules: [], errors };

  const root = doc.contents;
  if (!isMap(root)) {
    ctx.err(root, 'a rule file is a mapping with a "rules:" list');
    return { rules: [], errors };
  }
  const list = root.get('rules', true);
  if (!isSeq(list)) {
    ctx.err(list ?? root, '"rules:" must be a list');
    return { rules: [], errors };
  }
  const names = new Set<string>();
  const rules: Rule[] = [];
  for (const item of list.items) {
    const rule = parseRule(ctx, item, names, file);
    if (rule) rules.push(rule);
  }
  return { rules, errors };
}

/** One entry of `rules:`, or null (its errors recorded). */
function parseRule(ctx: Ctx, item: unknown, names: Set<string>, file: string): Rule | null {
  const { err } = ctx;
  if (!isMap(item)) {
    err(item, 'each rule is a mapping');
    return null;
  }
  const before = ctx.errors.length;
  for (const pair of item.items) {
    const k = String(scalar(pair.key as Node));
    if (!RULE_KEYS.has(k)) err(pair.key, `unknown rule key "${k}"`);
  }
  const name = scalar(get(item, 'name'));
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    err(get(item, 'name') ?? item, 'every rule needs a name of letters, digits and _');
    return null;
  }
  if (names.has(name)) err(get(item, 'name'), `rule ${name} is defined twice in this file`);
  names.add(name);
  const severity = scalar(get(item, 'severity')) ?? 'warning';
  if (!SEVERITIES.has(String(severity))) err(get(item, 'severity'), 'severity must be critical, warning or info');
  const { when, absent } = parseWhen(ctx, item, name);
  const clearNode = get(item, 'clear');
  const clear = clearNode ? parseExpr(ctx, clearNode, 'clear') : null;
  const forMs = duration(ctx, item, 'for');
  const keepFiringForMs = duration(ctx, item, 'keep_firing_for');
  const staleAfterMs = duration(ctx, item, 'stale_after') || null;
  if (absent && forMs === 0) err(item, 'an absent rule needs for: how long the silence lasts before it fires');
  const labels = parseLabels(get(item, 'labels'));
  checkTemplates(ctx, item, templateFields(when, absent));
  if (ctx.errors.length > before) return null;
  return {
    name,
    file,
    line: ctx.lineOf(item),
    severity: severity as Rule['severity'],
    when,
    clear,
    absent,
    forMs,
    keepFiringForMs,
    staleAfterMs,
    summary: String(scalar(get(item, 'summary')) ?? name),
    description: String(scalar(get(item, 'description')) ?? ''),
    resolved: (scalar(get(item, 'resolved')) as string | undefined) ?? null,
    runbook: (scalar(get(item, 'runbook')) as string | undefined) ?? null,
    labels,
  };
}

/** A rule's `when` (a condition) or `absent` (silence of an agent or a metric): exactly one of them. */
function parseWhen(ctx: Ctx, item: YAMLMap, name: string): { when: Expr | null; absent: Rule['absent'] } {
  const whenNode = get(item, 'when');
  const absentNode = get(item, 'absent');
  if (whenNode && absentNode) ctx.err(absentNode, 'a rule has either when or absent, not both');
  else if (whenNode) return { when: parseExpr(ctx, whenNode, 'when'), absent: null };
  else if (absentNode && isMap(absentNode)) return { when: null, absent: parseAbsent(ctx, absentNode) };
  else ctx.err(item, `rule ${name} needs when (a condition) or absent (silence of an agent or a metric)`);
  return { when: null, absent: null };
}

function parseAbsent(ctx: Ctx, n: YAMLMap): Rule['absent'] {
  if (scalar(get(n, 'agent')) === true) return { agent: true };
  const metric = scalar(get(n, 'metric'));
  if (typeof metric !== 'string' || !metricDef(metric)) {
    ctx.err(get(n, 'metric') ?? n, 'absent needs agent: true or a known metric');
    return null;
  }
  const m = parseMatchers(ctx, get(n, 'match'), metric);
  return m ? { metric, matchers: m } : null;
}

/** A duration key of a rule in ms; 0 when absent or bad (recorded). */
function duration(ctx: Ctx, item: YAMLMap, key: string): number {
  const node = get(item, key);
  if (!node) return 0;
  const ms = parseDuration(scalar(node));
  if (ms === null) {
    ctx.err(node, `${key} must be a duration like 30s, 5m, 1h`);
    return 0;
  }
  return ms;
}

function parseLabels(n: Node | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (n && isMap(n)) for (const p of n.items) labels[String(scalar(p.key as Node))] = String(scalar(p.value as Node));
  return labels;
}

/** Every {{placeholder}} in a rule's texts must be one its alerts can fill. */
function checkTemplates(ctx: Ctx, item: YAMLMap, fields: string[]): void {
  for (const key of ['summary', 'description', 'resolved'] as const) {
    const node = get(item, key);
    const text = scalar(node);
    if (typeof text !== 'string') continue;
    for (const [, field] of text.matchAll(PLACEHOLDER)) {
      if (!fields.includes(field!))
        ctx.err(node, `{{${field}}} in ${key} can never be filled: this rule's alerts have ${fields.join(', ')}`);
    }
  }
}

function parseMatchers(ctx: Ctx, n: Node | undefined, metric: string): Matcher[] | null {
  if (!n) return [];
  if (!isMap(n)) {
    ctx.err(n, 'match must map label names to values ("~regex" for a pattern, "!value" to exclude)');
    return null;
  }
  const out: Matcher[] = [];
  for (const pair of n.items) {
    const label = String(scalar(pair.key as Node));
    const labels = metricDef(metric)?.labels ?? [];
    if (!labels.includes(label)) {
      // A matcher on a label the metric never has can never match: the rule could never fire.
      ctx.err(pair.key, `${metric} has no label "${label}" (its labels: ${labels.join(', ') || 'none'})`);
      return null;
    }
    let value = String(scalar(pair.value as Node) ?? '');
    const negate = value.startsWith('!');
    if (negate) value = value.slice(1);
    let re: FullMatcher | null = null;
    if (value.startsWith('~')) {
      try {
        re = compileFullMatch(value.slice(1));
      } catch (e) {
        ctx.err(pair.value, `bad pattern for ${label}: ${errorMessage(e)}`);
        return null;
      }
    }
    out.push({ label, value, negate, re });
  }
  return out;
}

/** A condition: { all: [...] }, { any: [...] }, or a threshold. */
function parseExpr(ctx: Ctx, n: Node | undefined, where: string): Expr | null {
  if (!n || !isMap(n)) {
    ctx.err(n, `${where} must be a condition: { metric, op, value } or { all: [...] } / { any: [...] }`);
    return null;
  }
  for (const pair of n.items) {
    const k = String(scalar(pair.key as Node));
    if (!COND_KEYS.has(k)) ctx.err(pair.key, `unknown key "${k}" in ${where}`);
  }
  for (const kind of ['all', 'any'] as const) {
    const sub = get(n, kind);
    if (!sub) continue;
    if (!isSeq(sub) || sub.items.length === 0) {
      ctx.err(sub, `${kind} must be a non-empty list of conditions`);
      return null;
    }
    const of = sub.items.map((item) => parseExpr(ctx, item as Node, `${where}.${kind}`));
    return of.some((e) => e === null) ? null : { kind, of: of as Expr[] };
  }
  return parseThreshold(ctx, n, where);
}

/** { metric, match?, fn?, over?, op?, value }. */
function parseThreshold(ctx: Ctx, n: YAMLMap, where: string): Condition | null {
  const { err } = ctx;
  const metric = scalar(get(n, 'metric'));
  if (typeof metric !== 'string') {
    err(n, `${where} needs a metric`);
    return null;
  }
  if (!metricDef(metric)) {
    err(get(n, 'metric'), `unknown metric "${metric}" (see the catalogue, /api/catalogue)`);
    return null;
  }
  const op = scalar(get(n, 'op')) ?? '>';
  if (!OPS.has(String(op))) {
    err(get(n, 'op'), `op must be one of ${[...OPS].join(' ')}`);
    return null;
  }
  const value = scalar(get(n, 'value'));
  if (typeof value !== 'number') {
    err(get(n, 'value') ?? n, `${where} needs a numeric value to compare with`);
    return null;
  }
  const fn = scalar(get(n, 'fn')) ?? 'last';
  if (!FNS.has(String(fn))) {
    err(get(n, 'fn'), `fn must be one of ${[...FNS].join(', ')}`);
    return null;
  }
  const overNode = get(n, 'over');
  const overMs = overNode ? parseDuration(scalar(overNode)) : 0;
  if (overMs === null) {
    err(overNode, 'over must be a duration like 30s, 5m, 1h');
    return null;
  }
  if (fn !== 'last' && overMs === 0) {
    err(get(n, 'fn'), `fn ${String(fn)} needs a window: add over: 1m`);
    return null;
  }
  const matchers = parseMatchers(ctx, get(n, 'match'), metric);
  if (!matchers) return null;
  return { kind: 'threshold', metric, matchers, fn: fn as Fn, overMs, op: op as Op, value };
}

export function loadRuleFile(file: string): { rules: Rule[]; errors: RuleError[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { rules: [], errors: [{ file, line: 0, message: `cannot read: ${errorMessage(e)}` }] };
  }
  return parseRules(text, file);
}

/** The metrics an expression reads, first the one whose series define the alert instances. */
/** A template placeholder: {{name}}. */
export const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/** Placeholders every alert can fill, whatever its rule (see render in engine.ts). */
export const ALERT_FIELDS = ['host', 'value', 'figure'];

/** What a rule's templates may name: the alert's own fields and the labels of the series it is about. */
function templateFields(when: Expr | null, absent: Rule['absent']): string[] {
  const metric = when ? exprMetrics(when)[0]?.metric : absent && 'metric' in absent ? absent.metric : undefined;
  return [...ALERT_FIELDS, ...((metric && metricDef(metric)?.labels) || [])];
}

export function exprMetrics(e: Expr): Condition[] {
  return e.kind === 'threshold' ? [e] : e.of.flatMap(exprMetrics);
}
