import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { seriesKey, type SeriesRef, type WireSample } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import { compare, exprMetrics, matches, type Condition, type Expr, type Matcher, type Rule } from './rules.js';
import type { AlertSnapshot, Notification, Notifier } from './notify.js';
import { StateFile } from './state-file.js';

/** One alert: a rule for one host and label set, pending (condition true, `for` not yet up) or firing. */
export interface AlertInstance {
  id: string;
  rule: string;
  host: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  /** Sample time the condition became true. */
  activeSince: number;
  firedAt: number | null;
  value: number | null;
  /** Set while the resolve condition holds, for keep_firing_for. */
  resolvingSince: number | null;
  /** A trigger went out (false while silenced: it goes out late if the silence ends first). */
  notified: boolean;
  lastNotifiedAt: number | null;
  acked: boolean;
}

export interface Silence {
  id: string;
  matchers: { label: string; value: string; regex: boolean }[];
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
}

interface Persisted {
  version: 1;
  instances: AlertInstance[];
  silences: Silence[];
  outbox: Notification[];
}

/** The alert's identity across restarts and receivers (PagerDuty dedup_key). */
export function alertId(rule: string, host: string, labels: Record<string, string>): string {
  return createHash('sha256')
    .update(`${rule}\u0000${host}\u0000${seriesKey('', labels)}`)
    .digest('hex')
    .slice(0, 32);
}

/** {{host}}, {{value}} and {{label}} in summaries and descriptions. */
export function render(template: string, host: string, labels: Record<string, string>, value: number | null): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k: string) => {
    if (k === 'host') return host;
    if (k === 'value') return value === null ? '?' : Number.isInteger(value) ? String(value) : value.toFixed(2);
    return labels[k] ?? '';
  });
}

interface Window {
  labels: Record<string, string>;
  /** The labels' entries, for joining conditions on shared labels without Object.keys per check. */
  entries: [string, string][];
  ts: number[];
  /** NaN for null, so the array holds unboxed doubles. */
  values: number[];
  /** Alert ids by rule name for this host and label set: hashing is too dear to repeat every second. */
  alertIds?: Map<string, string>;
}

/** What one host's batches feed (see AlertEngine.plan). */
interface Plan {
  rules: readonly Rule[];
  /** The series objects of the batch the plan was made for. */
  refs: readonly SeriesRef[];
  /** Per sample: its window and how long that keeps, or null where no rule reads the metric. */
  windows: (Window | null)[];
  keepMs: number[];
  metrics: MetricWindows[];
  /** The alert instances the batch feeds: a rule, its primary condition, one of its windows and the alert's id. */
  evals: { rule: Rule; primary: Condition; w: Window; id: string }[];
}

function sameRefs(a: readonly SeriesRef[], b: readonly SeriesRef[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A host's windows of one metric, and when that metric was last received (for absent-data rules). */
interface MetricWindows {
  lastSeen: number;
  series: Map<string, Window>;
}

export interface EngineOptions {
  rules: () => readonly Rule[];
  notifier: Notifier;
  log: Logger;
  /** Where firing alerts, silences and undelivered notifications survive a restart; null keeps them in memory. */
  stateFile: string | null;
  repeatIntervalMs?: number;
  /** Last time each agent was heard from, for "agent silent" rules. */
  agentsLastSeen: () => Map<string, number>;
  /** Wall clock (tests drive it). */
  clock?: () => number;
  /** How soon a failed save of the state file is tried again (default 5 s). */
  stateRetryMs?: number;
}

/**
 * Evaluates the rules as samples arrive: per alert, inactive → pending →
 * firing → resolved. Only the metrics rules read are kept, for the longest
 * window a rule needs.
 */
export class AlertEngine {
  private readonly instances = new Map<string, AlertInstance>();
  private silences: Silence[] = [];
  /** host → metric → series key → window */
  private readonly windows = new Map<string, Map<string, MetricWindows>>();
  /** Series key of a labels object: batches decoded on the server reuse one labels object per series. */
  private readonly labelKeys = new WeakMap<object, string>();
  private saveTimer: NodeJS.Timeout | null = null;
  /** Where the state is saved; a failed save is retried there and shown in /healthz, never thrown. */
  private readonly stateFile: StateFile | null;
  private tickTimer: NodeJS.Timeout | null = null;
  readonly repeatIntervalMs: number;

  constructor(private readonly opts: EngineOptions) {
    this.repeatIntervalMs = opts.repeatIntervalMs ?? 4 * 3_600_000;
    opts.notifier.onChange = () => this.scheduleSave();
    this.stateFile = opts.stateFile
      ? new StateFile(opts.stateFile, () => JSON.stringify(this.persisted()), opts.log, opts.stateRetryMs)
      : null;
    this.load();
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  start(): void {
    this.tickTimer = setInterval(() => this.tick(this.now()), 1000);
    this.tickTimer.unref();
  }

  /** Per metric the rules read, the window to keep; recomputed only when the rule set changes (this runs per batch). */
  private windowsFor: { rules: readonly Rule[]; windowMs: Map<string, number> } | null = null;

  private watched(): Map<string, number> {
    const rules = this.opts.rules();
    if (this.windowsFor?.rules === rules) return this.windowsFor.windowMs;
    const windowMs = new Map<string, number>();
    const need = (metric: string, ms: number) => windowMs.set(metric, Math.max(windowMs.get(metric) ?? 0, ms + 5000));
    for (const r of rules) {
      for (const e of [r.when, r.clear]) if (e) for (const c of exprMetrics(e)) need(c.metric, c.overMs);
      if (r.absent && 'metric' in r.absent) need(r.absent.metric, 0);
    }
    this.windowsFor = { rules, windowMs };
    return windowMs;
  }

  /** Feeds one batch of a host and evaluates the rules that read its metrics. */
  ingest(host: string, ts: number, samples: readonly WireSample[]): void {
    this.ingestValues(
      host,
      ts,
      samples,
      samples.map((s) => s.v),
    );
  }

  /** The same, with each sample's series and value in two aligned arrays (as the server decodes batches; null or NaN: no value). */
  ingestValues(host: string, ts: number, series: readonly SeriesRef[], values: ArrayLike<number | null>): void {
    const rules = this.opts.rules();
    let plan = this.plans.get(host);
    if (!plan || plan.rules !== rules || !sameRefs(plan.refs, series))
      this.plans.set(host, (plan = this.plan(host, rules, series)));
    if (plan.metrics.length === 0) return;
    const now = this.now();
    for (const m of plan.metrics) m.lastSeen = now;
    for (let i = 0; i < series.length; i++) {
      const w = plan.windows[i];
      if (!w) continue;
      if (w.ts.length && ts <= w.ts[w.ts.length - 1]!) continue;
      w.ts.push(ts);
      w.values.push(values[i] ?? NaN);
      // Usually one sample leaves as one arrives: shift() trims the array in place, where splice copies it.
      const keepFrom = ts - plan.keepMs[i]!;
      while (w.ts.length > 1 && w.ts[0]! < keepFrom) {
        w.ts.shift();
        w.values.shift();
      }
    }
    for (const { rule, primary, w, id } of plan.evals) {
      const value = valueAt(w, primary, ts);
      const ok = this.holds(rule.when!, w, primary, value, host, ts);
      const clearOk = rule.clear ? this.holds(rule.clear, w, primary, value, host, ts) : !ok;
      this.step(rule, host, w.labels, ok, clearOk, ts, value, rule.forMs, id);
    }
  }

  /** Per host, what its batches feed; rebuilt when the rules change or a batch names other series objects (a new session, a new shape). */
  private readonly plans = new Map<string, Plan>();

  /**
   * Works out, once, which window each sample of a batch goes to and which
   * alert instances the batch feeds. Batches of one agent session reuse the
   * same series objects, so at 1 s per host the lookups (metric, labels,
   * window, rule, alert id) happen once per session instead of every second.
   */
  private plan(host: string, rules: readonly Rule[], series: readonly SeriesRef[]): Plan {
    const watched = this.watched();
    let byMetric = this.windows.get(host);
    if (!byMetric) this.windows.set(host, (byMetric = new Map()));
    const now = this.now();
    const windows: (Window | null)[] = new Array<Window | null>(series.length).fill(null);
    const keepMs: number[] = new Array<number>(series.length).fill(0);
    const metrics = new Set<MetricWindows>();
    const fed = new Set<string>();
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const keep = watched.get(s.m);
      if (keep === undefined) continue;
      fed.add(s.m);
      let m = byMetric.get(s.m);
      if (!m) byMetric.set(s.m, (m = { lastSeen: now, series: new Map() }));
      metrics.add(m);
      const key = this.labelKey(s.l);
      let w = m.series.get(key);
      if (!w) {
        const labels = { ...(s.l ?? {}) };
        m.series.set(key, (w = { labels, entries: Object.entries(labels), ts: [], values: [] }));
      }
      windows[i] = w;
      keepMs[i] = keep;
    }
    const evals: Plan['evals'] = [];
    for (const rule of rules) {
      if (!rule.when) continue;
      const conds = conditionsOf(rule.when);
      if (!conds.some((c) => fed.has(c.metric))) continue;
      const primary = conds[0]!;
      for (const w of byMetric.get(primary.metric)?.series.values() ?? []) {
        if (!matches(primary.matchers, w.labels)) continue;
        let id = (w.alertIds ??= new Map()).get(rule.name);
        if (id === undefined) w.alertIds.set(rule.name, (id = alertId(rule.name, host, w.labels)));
        evals.push({ rule, primary, w, id });
      }
    }
    return { rules, refs: series, windows, keepMs, metrics: [...metrics], evals };
  }

  private labelKey(labels: Record<string, string> | undefined): string {
    if (!labels) return '';
    let key = this.labelKeys.get(labels);
    if (key === undefined) this.labelKeys.set(labels, (key = seriesKey('', labels)));
    return key;
  }

  /**
   * Whether an expression holds for an alert instance (window `w` of the
   * rule's primary condition, whose value is already worked out). A condition
   * on the instance's own metric reads its own window — the only one of that
   * metric its labels join — reusing the value when it asks the same function
   * over the same span (a 5-minute average is one pass over 300 samples, not
   * three); anything else is a join, through evalExpr.
   */
  private holds(
    e: Expr,
    w: Window,
    primary: Condition,
    primaryValue: number | null,
    host: string,
    ts: number,
  ): boolean {
    if (e.kind !== 'threshold' || e.metric !== primary.metric) return this.evalExpr(e, host, w.labels, ts);
    if (e !== primary && !matches(e.matchers, w.labels)) return false;
    const v = e.fn === primary.fn && e.overMs === primary.overMs ? primaryValue : valueAt(w, e, ts);
    return v !== null && compare(v, e.op, e.value);
  }

  private evalExpr(e: Expr, host: string, base: Record<string, string>, ts: number): boolean {
    if (e.kind !== 'threshold')
      return e.kind === 'all'
        ? e.of.every((x) => this.evalExpr(x, host, base, ts))
        : e.of.some((x) => this.evalExpr(x, host, base, ts));
    const windows = this.windows.get(host)?.get(e.metric)?.series;
    if (!windows) return false;
    for (const w of windows.values()) {
      if (!matches(e.matchers, w.labels) || !joins(w, base)) continue;
      const v = valueAt(w, e, ts);
      if (v !== null && compare(v, e.op, e.value)) return true;
    }
    return false;
  }

  private snapshot(i: AlertInstance, endsAt: number | null): AlertSnapshot {
    const rule = this.opts.rules().find((r) => r.name === i.rule);
    const labels = { ...i.labels, ...(rule?.labels ?? {}) };
    return {
      id: i.id,
      rule: i.rule,
      host: i.host,
      labels,
      severity: rule?.severity ?? 'warning',
      summary: render(rule?.summary ?? i.rule, i.host, labels, i.value),
      description: render(rule?.description ?? '', i.host, labels, i.value),
      runbook: rule?.runbook ?? null,
      value: i.value,
      startsAt: i.activeSince,
      endsAt,
    };
  }

  /** `forMs` overrides the rule's: an absent rule's condition already is "silent for at least `for`". */
  private step(
    rule: Rule,
    host: string,
    labels: Record<string, string>,
    ok: boolean,
    resolving: boolean,
    ts: number,
    value: number | null,
    forMs = rule.forMs,
    id = alertId(rule.name, host, labels),
  ): void {
    let inst = this.instances.get(id);
    if (!inst) {
      if (!ok) return;
      inst = {
        id,
        rule: rule.name,
        host,
        labels,
        state: 'pending',
        activeSince: ts,
        firedAt: null,
        value,
        resolvingSince: null,
        notified: false,
        lastNotifiedAt: null,
        acked: false,
      };
      this.instances.set(id, inst);
      this.scheduleSave();
    }
    inst.value = value ?? inst.value;
    if (inst.state === 'pending') {
      if (!ok) {
        this.instances.delete(id);
        this.scheduleSave();
      } else if (ts - inst.activeSince >= forMs) this.fire(inst, ts);
      return;
    }
    if (!resolving) {
      inst.resolvingSince = null;
      return;
    }
    inst.resolvingSince ??= ts;
    if (ts - inst.resolvingSince >= rule.keepFiringForMs) this.resolve(inst, ts);
  }

  private fire(inst: AlertInstance, ts: number): void {
    inst.state = 'firing';
    inst.firedAt = ts;
    const now = this.now();
    if (!this.silenced(inst, now)) {
      inst.notified = true;
      inst.lastNotifiedAt = now;
      this.opts.notifier.enqueue('trigger', this.snapshot(inst, null));
    }
    this.opts.log.info('alert firing', {
      rule: inst.rule,
      host: inst.host,
      labels: inst.labels,
      value: inst.value,
      notified: inst.notified,
    });
    this.scheduleSave();
  }

  private resolve(inst: AlertInstance, ts: number): void {
    this.instances.delete(inst.id);
    if (inst.notified) this.opts.notifier.enqueue('resolve', this.snapshot(inst, ts));
    this.opts.log.info('alert resolved', { rule: inst.rule, host: inst.host, labels: inst.labels });
    this.scheduleSave();
  }

  /** Alert ids of absent-data rules, checked for every host every second: hashed once each. */
  private readonly absentIds = new Map<string, string>();
  private absentId(rule: string, host: string, labels: Record<string, string>): string {
    const key = `${rule}\u0000${host}\u0000${labels.metric ?? ''}`;
    let id = this.absentIds.get(key);
    if (id === undefined) this.absentIds.set(key, (id = alertId(rule, host, labels)));
    return id;
  }

  /** Wall-clock work: absent-data rules, repeats, and triggers held back by a silence that has ended. */
  tick(now: number): void {
    for (const rule of this.opts.rules()) {
      if (!rule.absent) continue;
      if ('agent' in rule.absent) {
        for (const [host, last] of this.opts.agentsLastSeen()) {
          const silent = now - last;
          this.step(
            rule,
            host,
            {},
            silent >= rule.forMs,
            silent < rule.forMs,
            now,
            Math.round(silent / 1000),
            0,
            this.absentId(rule.name, host, {}),
          );
        }
      } else {
        const { metric, matchers } = rule.absent;
        for (const [host, byMetric] of this.windows) {
          const m = byMetric.get(metric);
          if (!m || ![...m.series.values()].some((w) => matches(matchers, w.labels))) continue;
          const silent = now - m.lastSeen;
          this.step(
            rule,
            host,
            { metric },
            silent >= rule.forMs,
            silent < rule.forMs,
            now,
            Math.round(silent / 1000),
            0,
            this.absentId(rule.name, host, { metric }),
          );
        }
      }
    }
    for (const inst of this.instances.values()) {
      if (inst.state !== 'firing' || this.silenced(inst, now)) continue;
      if (!inst.notified) {
        inst.notified = true;
        inst.lastNotifiedAt = now;
        this.opts.notifier.enqueue('trigger', this.snapshot(inst, null));
        this.scheduleSave();
      } else if (!inst.acked && inst.lastNotifiedAt !== null && now - inst.lastNotifiedAt >= this.repeatIntervalMs) {
        inst.lastNotifiedAt = now;
        this.opts.notifier.enqueue('repeat', this.snapshot(inst, null));
        this.scheduleSave();
      }
    }
    const before = this.silences.length;
    this.silences = this.silences.filter((s) => s.endsAt > now - 24 * 3_600_000); // keep expired ones a day, for the record
    if (this.silences.length !== before) this.scheduleSave();
  }

  silenced(inst: AlertInstance, now: number): Silence | null {
    const labels: Record<string, string> = { alertname: inst.rule, host: inst.host, ...inst.labels };
    return this.silences.find((s) => s.startsAt <= now && now < s.endsAt && silenceMatches(s, labels)) ?? null;
  }

  addSilence(s: Omit<Silence, 'id'>): Silence {
    const silence = { ...s, id: randomUUID() };
    this.silences.push(silence);
    this.scheduleSave();
    return silence;
  }

  expireSilence(id: string, now = this.now()): boolean {
    const s = this.silences.find((x) => x.id === id);
    if (!s) return false;
    s.endsAt = Math.min(s.endsAt, now);
    this.scheduleSave();
    return true;
  }

  ack(id: string): boolean {
    const inst = this.instances.get(id);
    if (!inst) return false;
    inst.acked = true;
    this.scheduleSave();
    return true;
  }

  listSilences(): Silence[] {
    return [...this.silences];
  }

  /** Alerts for the API and dashboard, with their rule's words and whether a silence covers them. */
  list(now = this.now()): (AlertSnapshot & {
    state: AlertInstance['state'];
    firedAt: number | null;
    acked: boolean;
    silencedBy: string | null;
  })[] {
    return [...this.instances.values()].map((i) => ({
      ...this.snapshot(i, null),
      state: i.state,
      firedAt: i.firedAt,
      acked: i.acked,
      silencedBy: this.silenced(i, now)?.id ?? null,
    }));
  }

  private load(): void {
    if (!this.opts.stateFile) return;
    let data: Persisted;
    try {
      data = JSON.parse(readFileSync(this.opts.stateFile, 'utf8')) as Persisted;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.opts.log.error('alert state unreadable; starting empty', {
          file: this.opts.stateFile,
          error: (err as Error).message,
        });
      return;
    }
    for (const i of data.instances ?? []) this.instances.set(i.id, i);
    this.silences = data.silences ?? [];
    this.opts.notifier.restore(data.outbox ?? []);
    this.opts.log.info('alert state restored', {
      alerts: this.instances.size,
      silences: this.silences.length,
      undelivered: (data.outbox ?? []).length,
    });
  }

  private scheduleSave(): void {
    if (!this.opts.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveNow();
    }, 100);
    this.saveTimer.unref();
  }

  private persisted(): Persisted {
    return {
      version: 1,
      instances: [...this.instances.values()],
      silences: this.silences,
      outbox: [...this.opts.notifier.pending],
    };
  }

  /** Why the alert state could not be saved (it is retried), or null. */
  get saveFailure(): string | null {
    return this.stateFile?.failure ?? null;
  }

  /**
   * Writes the state atomically (temp file, fsync, rename), so a crash
   * mid-write leaves the previous state. A full or read-only disk never throws
   * here (this runs from timers): the state stays in memory and is retried.
   */
  saveNow(): boolean {
    return this.stateFile?.save() ?? true;
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    this.stateFile?.stop();
    this.saveNow();
    this.opts.notifier.stop();
  }
}

/** A silence's matchers as tests, compiled once per silence (they are checked on every tick for every firing alert). */
const silenceTests = new WeakMap<Silence, ((labels: Record<string, string>) => boolean)[]>();
function silenceMatches(s: Silence, labels: Record<string, string>): boolean {
  let tests = silenceTests.get(s);
  if (!tests) {
    tests = s.matchers.map((m) => {
      if (!m.regex) return (l: Record<string, string>) => (l[m.label] ?? '') === m.value;
      const re = new RegExp(`^(?:${m.value})$`);
      return (l: Record<string, string>) => re.test(l[m.label] ?? '');
    });
    silenceTests.set(s, tests);
  }
  return tests.every((t) => t(labels));
}

/** Conditions on other metrics join on the labels both carry (device, array, …). */
function joins(w: Window, base: Record<string, string>): boolean {
  for (const [k, v] of w.entries) if (k in base && base[k] !== v) return false;
  return true;
}

/** A condition's function of its window ending at `ts`. */
export function valueAt(w: Pick<Window, 'ts' | 'values'>, c: Condition, ts: number): number | null {
  // The newest sample at or before ts; `last` is its value whatever its age.
  let i = w.ts.length - 1;
  while (i >= 0 && w.ts[i]! > ts) i--;
  if (i < 0) return null;
  if (c.fn === 'last') {
    const v = w.values[i]!;
    return Number.isNaN(v) ? null : v;
  }
  // One pass back to the start of the window, over the non-null values.
  const from = ts - c.overMs;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let newest = 0;
  let newestTs = 0;
  let oldest = 0;
  let oldestTs = 0;
  for (; i >= 0 && w.ts[i]! >= from; i--) {
    const v = w.values[i]!;
    if (Number.isNaN(v)) continue;
    if (n === 0) ((newest = v), (newestTs = w.ts[i]!));
    oldest = v;
    oldestTs = w.ts[i]!;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!n) return null;
  switch (c.fn) {
    case 'avg':
      return sum / n;
    case 'min':
      return min;
    case 'max':
      return max;
    case 'rate': {
      if (n < 2) return null;
      const dt = (newestTs - oldestTs) / 1000;
      return dt > 0 ? (newest - oldest) / dt : null;
    }
  }
}

/** A rule's conditions, worked out once per parsed rule (rules are replaced, never changed, on reload). */
const conditionCache = new WeakMap<Expr, Condition[]>();
function conditionsOf(e: Expr): Condition[] {
  let c = conditionCache.get(e);
  if (!c) conditionCache.set(e, (c = exprMetrics(e)));
  return c;
}

export type { Matcher };
