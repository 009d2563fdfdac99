import { createHash, randomUUID } from 'node:crypto';
import type { SeriesRef, WireSample } from '../../shared/protocol.js';
import { seriesKey } from '../../shared/series-key.js';
import type { Logger } from '../../shared/log.js';
import { compare, exprMetrics, matches, PLACEHOLDER, type Condition, type Expr, type Rule } from './rules.js';
import { readState, silenceMatches, type Persisted, type Silence } from './state-file.js';
import { StateFile } from './durable-file.js';
import { conditionsOf, joins, valueAt, type Window } from './windows.js';
import { figure, roundForPeople } from './format.js';
import { DEFAULT_INHIBIT_RULES, inhibitor, type InhibitRule } from './inhibition.js';
import { HostCadence, RECONNECT_GRACE_MS, silentForMs, staleAfterMs } from './staleness.js';
import type { AlertSnapshot, Notifier, ResolvedBy } from './notify.js';

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

/** The alert's identity across restarts and receivers (PagerDuty dedup_key). */
export function alertId(rule: string, host: string, labels: Record<string, string>): string {
  return createHash('sha256')
    .update(`${rule}\u0000${host}\u0000${seriesKey('', labels)}`)
    .digest('hex')
    .slice(0, 32);
}

/** {{host}}, {{value}} (rounded for people), {{figure}} (rounded, with the metric's unit) and {{label}} in texts. */
export function render(
  template: string,
  host: string,
  labels: Record<string, string>,
  value: number | null,
  metric: string | null = null,
): string {
  return template.replace(PLACEHOLDER, (_m, k: string) => {
    if (k === 'host') return host;
    if (k === 'value') return value === null ? '?' : roundForPeople(value);
    if (k === 'figure') return figure(value, metric);
    return labels[k] ?? '';
  });
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
  /** Inhibition rules; the shipped defaults when not given. */
  inhibitRules?: readonly InhibitRule[];
  /** The specifics of an alert's subject from its host's reported states (array members, log paths, set members). */
  facts?: (host: string, rule: string, labels: Record<string, string>) => string[];
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
  /** Each host's sampling interval, for the default staleness. */
  private readonly cadence = new HostCadence();
  /** The window each `when` alert instance rests on, to tell when it has gone stale. */
  private readonly windowOf = new Map<string, Window>();
  private readonly retired = new Map<string, number>();
  /** When this engine started: absent-data rules and restored alerts wait for agents to reconnect after it. */
  private readonly startedAt: number;
  private readonly inhibitRules: readonly InhibitRule[];

  constructor(private readonly opts: EngineOptions) {
    this.repeatIntervalMs = opts.repeatIntervalMs ?? 4 * 3_600_000;
    this.startedAt = this.now();
    this.inhibitRules = opts.inhibitRules ?? DEFAULT_INHIBIT_RULES;
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
    const now = this.now();
    this.cadence.note(host, ts);
    if (this.retired.size && this.retired.delete(host)) this.scheduleSave(); // it reports again: no longer retired
    if (plan.metrics.length === 0) return;
    for (const m of plan.metrics) m.lastSeen = now;
    for (let i = 0; i < series.length; i++) {
      const w = plan.windows[i];
      if (!w) continue;
      if (w.ts.length && ts <= w.ts[w.ts.length - 1]!) continue;
      w.ts.push(ts);
      w.values.push(values[i] ?? NaN);
      w.lastAt = now;
      // Usually one sample leaves as one arrives: shift() trims the array in place, where splice copies it.
      const keepFrom = ts - plan.keepMs[i]!;
      while (w.ts.length > 1 && w.ts[0]! < keepFrom) {
        w.ts.shift();
        w.values.shift();
      }
    }
    for (const { rule, primary, w, id } of plan.evals) {
      const freshFrom = now - staleAfterMs(rule, host, this.cadence);
      if (w.lastAt < freshFrom) {
        this.staleStep(rule, id, now);
        continue;
      }
      const value = valueAt(w, primary, ts);
      const ok = this.holds(rule.when!, w, primary, value, host, ts, freshFrom);
      const clearOk = rule.clear ? this.holds(rule.clear, w, primary, value, host, ts, freshFrom) : !ok;
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
    if (!byMetric) this.windows.set(host, (byMetric = new Map<string, MetricWindows>()));
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
        m.series.set(key, (w = { labels, entries: Object.entries(labels), ts: [], values: [], lastAt: now }));
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
        let id = (w.alertIds ??= new Map<string, string>()).get(rule.name);
        if (id === undefined) w.alertIds.set(rule.name, (id = alertId(rule.name, host, w.labels)));
        this.windowOf.set(id, w);
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
    freshFrom: number,
  ): boolean {
    if (e.kind !== 'threshold' || e.metric !== primary.metric) return this.evalExpr(e, host, w.labels, ts, freshFrom);
    if (e !== primary && !matches(e.matchers, w.labels)) return false;
    const v = e.fn === primary.fn && e.overMs === primary.overMs ? primaryValue : valueAt(w, e, ts);
    return v !== null && compare(v, e.op, e.value);
  }

  /** A condition joined on the instance's labels; series received before `freshFrom` are stale and count for nothing. */
  private evalExpr(e: Expr, host: string, base: Record<string, string>, ts: number, freshFrom: number): boolean {
    if (e.kind !== 'threshold')
      return e.kind === 'all'
        ? e.of.every((x) => this.evalExpr(x, host, base, ts, freshFrom))
        : e.of.some((x) => this.evalExpr(x, host, base, ts, freshFrom));
    const windows = this.windows.get(host)?.get(e.metric)?.series;
    if (!windows) return false;
    for (const w of windows.values()) {
      if (w.lastAt < freshFrom || !matches(e.matchers, w.labels) || !joins(w, base)) continue;
      const v = valueAt(w, e, ts);
      if (v !== null && compare(v, e.op, e.value)) return true;
    }
    return false;
  }

  private snapshot(i: AlertInstance, endsAt: number | null): AlertSnapshot {
    const rule = this.opts.rules().find((r) => r.name === i.rule);
    const labels = { ...i.labels, ...(rule?.labels ?? {}) };
    const metric = rule?.when ? conditionsOf(rule.when)[0]!.metric : null;
    const text = (t: string) => render(t, i.host, labels, i.value, metric);
    const summary = text(rule?.summary ?? i.rule);
    return {
      id: i.id,
      rule: i.rule,
      host: i.host,
      labels,
      severity: rule?.severity ?? 'warning',
      summary: endsAt === null ? summary : rule?.resolved ? text(rule.resolved) : `Resolved: ${summary}`,
      description: text(rule?.description ?? ''),
      runbook: rule?.runbook ?? null,
      value: i.value,
      valueText: rule?.absent ? `silent for ${figure(i.value, null)} s` : figure(i.value, metric),
      facts: this.opts.facts?.(i.host, i.rule, labels) ?? [],
      startsAt: i.activeSince,
      endsAt,
    };
  }

  /** A silence or a firing inhibiting alert holds back notifications of `inst`. */
  private held(inst: AlertInstance, now: number, firing: Iterable<AlertInstance> = this.instances.values()): boolean {
    return !!this.silenced(inst, now) || !!inhibitor(inst, firing, this.inhibitRules);
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
    if (!this.held(inst, now)) {
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

  private resolve(inst: AlertInstance, ts: number, why: ResolvedBy = 'condition'): void {
    this.instances.delete(inst.id);
    this.windowOf.delete(inst.id);
    if (inst.notified) this.opts.notifier.enqueue('resolve', { ...this.snapshot(inst, ts), resolvedBy: why });
    this.opts.log.info('alert resolved', { rule: inst.rule, host: inst.host, labels: inst.labels, why });
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

  /**
   * Absent-data rules. Silence counts from when a host or metric was last
   * heard, but not from before the server could hear it (silentForMs): after a
   * restart the agents get their reconnect backoff on top of the rule's `for`.
   * A retired host is silent by design until its agent reports again.
   */
  private absentRules(now: number): void {
    for (const rule of this.opts.rules()) {
      if (!rule.absent) continue;
      const absentStep = (host: string, labels: Record<string, string>, last: number) => {
        const silent = now - last;
        const counted = silentForMs(last, now, this.startedAt);
        const id = this.absentId(rule.name, host, labels);
        this.step(
          rule,
          host,
          labels,
          counted >= rule.forMs,
          silent < rule.forMs,
          now,
          Math.round(silent / 1000),
          0,
          id,
        );
      };
      if ('agent' in rule.absent) {
        for (const [host, last] of this.opts.agentsLastSeen())
          if (!((this.retired.get(host) ?? -Infinity) >= last)) absentStep(host, {}, last);
        continue;
      }
      const { metric, matchers } = rule.absent;
      for (const [host, byMetric] of this.windows) {
        const m = byMetric.get(metric);
        if (m && [...m.series.values()].some((w) => matches(matchers, w.labels)))
          absentStep(host, { metric }, m.lastSeen);
      }
    }
  }

  /**
   * Alerts whose series stopped arriving resolve (see staleness.ts), as do
   * alerts of a rule that no longer exists. An alert restored from the state
   * file with no series yet gives its agent the reconnect grace first.
   */
  private sweepStale(now: number): void {
    const rules = this.opts.rules();
    for (const inst of [...this.instances.values()]) {
      const rule = rules.find((r) => r.name === inst.rule);
      if (!rule) {
        this.resolve(inst, now, 'rule-removed');
        continue;
      }
      if (!rule.when) continue;
      const lastAt = this.windowOf.get(inst.id)?.lastAt ?? this.startedAt + RECONNECT_GRACE_MS;
      if (lastAt < now - staleAfterMs(rule, inst.host, this.cadence)) this.staleStep(rule, inst.id, now);
    }
  }

  /** The series under an alert went stale: a pending alert is dropped, a firing one resolves (nothing is left to keep it firing). */
  private staleStep(rule: Rule, id: string, now: number): void {
    const inst = this.instances.get(id);
    if (!inst) return;
    if (inst.state === 'pending') {
      this.instances.delete(id);
      this.scheduleSave();
      return;
    }
    this.resolve(inst, now, 'stale');
  }

  /** Wall-clock work: absent-data rules, stale data, repeats, and triggers held back by a silence that has ended. */
  tick(now: number): void {
    this.absentRules(now);
    this.sweepStale(now);
    const firing = [...this.instances.values()].filter((i) => i.state === 'firing');
    for (const inst of firing) {
      if (this.held(inst, now, firing)) continue;
      if (!inst.notified) {
        inst.notified = true;
        inst.lastNotifiedAt = now;
        this.opts.notifier.enqueue('trigger', this.snapshot(inst, null));
        this.scheduleSave();
      } else if (!inst.acked && inst.lastNotifiedAt !== null && now - inst.lastNotifiedAt >= this.repeatIntervalMs) {
        inst.lastNotifiedAt = now;
        this.opts.notifier.enqueue('repeat', this.snapshot(inst, null));
        this.scheduleSave();
      } else if (this.opts.notifier.resendDue(inst.id, now)) {
        this.opts.notifier.resend(this.snapshot(inst, null), now);
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

  /** Acknowledged: no repeats while it fires, and PagerDuty (and webhooks) are told, so escalation stops. */
  ack(id: string): boolean {
    const inst = this.instances.get(id);
    if (!inst) return false;
    if (!inst.acked && inst.notified) this.opts.notifier.enqueue('acknowledge', this.snapshot(inst, null));
    inst.acked = true;
    this.scheduleSave();
    return true;
  }

  /**
   * A host taken out of service: its alerts resolve (told to receivers as
   * retired) and its silence is no alert until its agent reports again. Its
   * history stays in the store.
   */
  retire(host: string): number {
    const now = this.now();
    const mine = [...this.instances.values()].filter((i) => i.host === host);
    for (const inst of mine) this.resolve(inst, now, 'retired');
    this.windows.delete(host);
    this.plans.delete(host);
    this.cadence.forget(host);
    this.retired.set(host, now);
    this.scheduleSave();
    return mine.length;
  }

  retiredHosts(): string[] {
    return [...this.retired.keys()];
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
    inhibitedBy: string | null;
  })[] {
    return [...this.instances.values()].map((i) => ({
      ...this.snapshot(i, null),
      state: i.state,
      firedAt: i.firedAt,
      acked: i.acked,
      silencedBy: this.silenced(i, now)?.id ?? null,
      inhibitedBy: inhibitor(i, this.instances.values(), this.inhibitRules)?.rule ?? null,
    }));
  }

  private load(): void {
    const data = this.opts.stateFile ? readState(this.opts.stateFile, this.opts.log) : null;
    if (!data) return;
    for (const i of data.instances ?? []) this.instances.set(i.id, i);
    this.silences = data.silences ?? [];
    for (const [host, at] of Object.entries(data.retired ?? {})) this.retired.set(host, at);
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
      retired: Object.fromEntries(this.retired),
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

export type { Silence };
export { valueAt } from './windows.js';
