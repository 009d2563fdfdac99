import type { SeriesRef, WireSample } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import { compareCode, type Rule } from './rules.js';
import { STATE_VERSION, type Persisted } from './state-file.js';
import { conditionsOf, valueAt, type HostWindows } from './windows.js';
import { figure, resolveSummary, resolveValue } from './format.js';
import { DEFAULT_INHIBIT_RULES, inhibitor, type InhibitRule } from './inhibition.js';
import { defaultStaleMs, HostCadence, noteBatch, RECONNECT_GRACE_MS, staleAfterMs } from './staleness.js';
import type { AlertSnapshot, Notifier, ResolvedBy } from './notify.js';
import { advance, alertId, render, type AlertInstance, type StepInput } from './instance.js';
import { Silences, type Silence } from './silences.js';
import { PlanCache, QUICK, type BatchShape, type Plan } from './plan.js';
import { clearedBy, holds, not } from './evaluate.js';
import { absentSteps } from './absent.js';
import { EngineState } from './engine-state.js';
import { Instances } from './instances.js';
import { AlertLinks } from './links.js';

export type { AlertInstance } from './instance.js';
export type { BatchShape } from './plan.js';

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
  /** False: every evaluation takes the general path, no shortcut (the reference the differential test compares with). */
  shortcuts?: boolean;
}

/** An alert as the API and dashboard list it. */
export type ListedAlert = AlertSnapshot & {
  state: AlertInstance['state'];
  firedAt: number | null;
  acked: boolean;
  silencedBy: string | null;
  inhibitedBy: string | null;
};

/**
 * Evaluates the rules as samples arrive: per alert, inactive → pending →
 * firing → resolved (instance.ts). Only the series rules select are kept, for
 * the longest range a rule reads of them (windows.ts, ring.ts), fed through per-host plans
 * (plan.ts); silences in silences.ts, absent-data rules in absent.ts, the
 * state file in engine-state.ts.
 */
export class AlertEngine {
  private readonly instances = new Instances();
  private readonly silences: Silences;
  /** host → metric → series key → window */
  private readonly windows: HostWindows = new Map();
  private readonly plans: PlanCache;
  private readonly state: EngineState;
  private tickTimer: NodeJS.Timeout | null = null;
  readonly repeatIntervalMs: number;
  /** Each host's sampling interval, for the default staleness. */
  private readonly cadence = new HostCadence();
  /** The window each open `when` alert rests on (staleness), and back (links.ts). */
  private readonly links = new AlertLinks(this.instances);
  private readonly retired = new Map<string, number>();
  /** When this engine started: absent-data rules and restored alerts wait for agents to reconnect after it. */
  private readonly startedAt: number;
  private readonly inhibitRules: readonly InhibitRule[];
  /** Alert ids of absent-data rules, checked for every host every second: hashed once each. */
  private readonly absentIds = new Map<string, string>();
  private readonly shortcuts: boolean;

  constructor(private readonly opts: EngineOptions) {
    this.repeatIntervalMs = opts.repeatIntervalMs ?? 4 * 3_600_000;
    this.startedAt = this.now();
    this.inhibitRules = opts.inhibitRules ?? DEFAULT_INHIBIT_RULES;
    this.silences = new Silences(() => this.scheduleSave());
    this.plans = new PlanCache(
      this.windows,
      (host, rule, w) => this.links.relink(host, rule, w),
      (host) => ({ cadence: this.cadence.of(host), open: this.instances.countOf(host) }),
    );
    this.shortcuts = opts.shortcuts ?? true;
    this.state = new EngineState(opts.stateFile, () => this.persisted(), opts.log, opts.stateRetryMs);
    opts.notifier.subscribe(() => this.scheduleSave());
    this.load();
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  start(): void {
    this.tickTimer = setInterval(() => this.tick(this.now()), 1000);
    this.tickTimer.unref();
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

  /**
   * The same, with each sample's series and value in two aligned arrays (as
   * the server decodes batches; null or NaN: no value). `shape` (the
   * session's series-table version and the batch's slots) lets the host's
   * plan be reused; without it the plan is made anew.
   */
  ingestValues(
    host: string,
    ts: number,
    series: readonly SeriesRef[],
    values: ArrayLike<number | null>,
    shape?: BatchShape,
  ): void {
    const now = this.now();
    const plan = this.plans.get(host, this.opts.rules(), series, shape, now);
    const intervalMs = noteBatch(plan.records.cadence, ts);
    if (this.retired.size && this.retired.delete(host)) this.scheduleSave(); // it reports again: no longer retired
    for (const m of plan.metrics) m.lastSeen = now;
    // Only the samples some rule selects, straight into their rings: the plan says which.
    const { slab, from, rings } = plan;
    let newest = this.shortcuts;
    for (let k = 0; k < rings.length; k++)
      if (!slab.append(rings[k]!, ts, values[from[k]!] ?? NaN, now)) newest = false;
    if (plan.evals.length > 0) this.evaluate(host, plan, ts, now, defaultStaleMs(intervalMs), newest ? values : null);
  }

  /**
   * Steps the alert instances a batch fed, at sample time `ts`. `fed`: the
   * batch's values when each became its ring's newest sample (none was older
   * than what its ring held), so a `last` condition on a fed window reads its
   * value from the batch, fresh by definition.
   */
  private evaluate(
    host: string,
    plan: Plan,
    ts: number,
    now: number,
    hostStaleMs: number,
    fed: ArrayLike<number | null> | null,
  ): void {
    const { byMetric, evals, evalRules, primaries, quick } = plan;
    // A step below may open an alert of this host, but only for its own window and rule, which come once in a plan.
    let open = plan.records.open.n > 0;
    for (let e = 0; e < evals.length; e++) {
      const pos = quick[QUICK * e]!;
      if (fed !== null && pos >= 0) {
        // What valueAt and holds would say of the sample just appended (a null: unknown, no step), not reading the ring.
        const v = fed[pos] ?? NaN;
        const ok = v === v && compareCode(v, quick[QUICK * e + 1]!, quick[QUICK * e + 2]!);
        if (!ok && (!open || evals[e]!.open === null)) continue;
      }
      const w = evals[e]!;
      const rule = evalRules[e]!;
      // The alert open on this window, if any (a window without one links none: no id is made for it).
      const known = open ? w.openId(rule.name) : undefined;
      const freshFrom = now - (rule.staleAfterMs || hostStaleMs);
      if (w.lastAt < freshFrom) {
        if (known !== undefined) this.staleStep(known, now);
        continue;
      }
      const primary = primaries[e]!;
      const value = valueAt(w, primary, ts);
      // Null: unknown, not false (a null figure); an unknown step moves no alert (instance.ts).
      const ok = holds(rule.when!, w, primary, value, byMetric, ts, freshFrom);
      // Nearly every evaluation finds a healthy series with no alert: a step could only say "still nothing".
      if (ok !== true && (known === undefined || !this.instances.has(known))) continue;
      const resolving = rule.clear ? holds(rule.clear, w, primary, value, byMetric, ts, freshFrom) : not(ok);
      const why = resolving === true ? clearedBy(rule, w, primary, value, byMetric, ts, freshFrom) : 'condition';
      // The id is made when the alert opens (a hash), and kept on its window while it is open.
      const id = known ?? alertId(rule.name, host, w.labels);
      const step = { rule, id, host, labels: w.labels, ok, resolving, ts, value, forMs: rule.forMs };
      // A new instance rests on this window (else the sweep takes it for stale at once); so does an open one relink missed.
      if (this.step(step, why) || (known === undefined && this.instances.has(id))) {
        this.links.link(id, rule.name, w);
        open = true;
      }
    }
  }

  /** Forgets an alert instance, and its window's link to it. */
  private drop(id: string): void {
    this.instances.delete(id);
    this.links.unlink(id);
  }

  private snapshot(i: AlertInstance, endsAt: number | null, why: ResolvedBy = 'condition'): AlertSnapshot {
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
      summary: endsAt === null ? summary : resolveSummary(summary, rule?.resolved ? text(rule.resolved) : null, why),
      description: text(rule?.description ?? ''),
      runbook: rule?.runbook ?? null,
      value: i.value,
      valueText: resolveValue(rule?.absent ? `silent for ${figure(i.value, null)} s` : figure(i.value, metric), why),
      facts: this.opts.facts?.(i.host, i.rule, labels) ?? [],
      startsAt: i.activeSince,
      endsAt,
    };
  }

  /** A silence or a firing inhibiting alert holds back notifications of `inst`. */
  private held(inst: AlertInstance, now: number, firing: Iterable<AlertInstance> = this.instances.values()): boolean {
    return !!this.silences.covering(inst, now) || !!inhibitor(inst, firing, this.inhibitRules);
  }

  /** One evaluation of an instance, applied: created, dropped, fired or resolved (instance.ts decides); true if created. */
  private step(s: StepInput, why: ResolvedBy = 'condition'): boolean {
    const r = advance(this.instances.get(s.id), s);
    if (r.created && r.inst) this.instances.set(s.id, r.inst);
    if (r.dropped) this.drop(s.id);
    if (r.created || r.dropped) this.scheduleSave();
    if (r.fire && r.inst) this.fire(r.inst, s.ts);
    if (r.resolve && r.inst) this.resolve(r.inst, s.ts, why);
    return r.created;
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
    this.drop(inst.id);
    if (inst.notified) this.opts.notifier.enqueue('resolve', { ...this.snapshot(inst, ts, why), resolvedBy: why });
    this.opts.log.info('alert resolved', { rule: inst.rule, host: inst.host, labels: inst.labels, why });
    this.scheduleSave();
  }

  private absentId(rule: string, host: string, labels: Record<string, string>): string {
    const key = `${rule}\u0000${host}\u0000${labels.metric ?? ''}`;
    let id = this.absentIds.get(key);
    if (id === undefined) this.absentIds.set(key, (id = alertId(rule, host, labels)));
    return id;
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
      const lastAt = this.links.of(inst.id)?.lastAt ?? this.startedAt + RECONNECT_GRACE_MS;
      if (lastAt < now - staleAfterMs(rule, inst.host, this.cadence)) this.staleStep(inst.id, now);
    }
  }

  /** The series under an alert went stale: a pending alert is dropped, a firing one resolves (nothing is left to keep it firing). */
  private staleStep(id: string, now: number): void {
    const inst = this.instances.get(id);
    if (!inst) return;
    if (inst.state === 'pending') {
      this.drop(id);
      this.scheduleSave();
      return;
    }
    this.resolve(inst, now, 'stale');
  }

  /** Wall-clock work: absent-data rules, stale data, repeats, and triggers held back by a silence that has ended. */
  tick(now: number): void {
    const absent = absentSteps(this.opts.rules(), {
      now,
      startedAt: this.startedAt,
      agentsLastSeen: this.opts.agentsLastSeen(),
      retired: this.retired,
      windows: this.windows,
      id: (rule, host, labels) => this.absentId(rule, host, labels),
      quiet: (host) => this.shortcuts && this.instances.openOn(host) === 0,
    });
    for (const s of absent) this.step(s);
    this.sweepStale(now);
    const firing = [...this.instances.values()].filter((i) => i.state === 'firing');
    for (const inst of firing) if (!this.held(inst, now, firing)) this.notifyFiring(inst, now);
    this.silences.prune(now);
  }

  /** A firing alert's due notification: its late trigger, its repeat, or its Alertmanager re-post. */
  private notifyFiring(inst: AlertInstance, now: number): void {
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

  silenced(inst: AlertInstance, now: number): Silence | null {
    return this.silences.covering(inst, now);
  }

  addSilence(s: Omit<Silence, 'id'>): Silence {
    return this.silences.add(s);
  }

  expireSilence(id: string, now = this.now()): boolean {
    return this.silences.expire(id, now);
  }

  listSilences(): Silence[] {
    return this.silences.all();
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
    this.plans.forget(host);
    this.cadence.forget(host);
    this.retired.set(host, now);
    this.scheduleSave();
    return mine.length;
  }

  /** The series of `host` the engine keeps samples of (those some rule selects), as metric and labels. */
  keptSeries(host: string): { metric: string; labels: Record<string, string> }[] {
    const kept = [];
    for (const [metric, m] of this.windows.get(host) ?? [])
      for (const w of m.series.values()) kept.push({ metric, labels: w.labels });
    return kept;
  }

  retiredHosts(): string[] {
    return [...this.retired.keys()];
  }

  /** Alerts for the API and dashboard, with their rule's words and whether a silence covers them. */
  list(now = this.now()): ListedAlert[] {
    return [...this.instances.values()].map((i) => ({
      ...this.snapshot(i, null),
      state: i.state,
      firedAt: i.firedAt,
      acked: i.acked,
      silencedBy: this.silences.covering(i, now)?.id ?? null,
      inhibitedBy: inhibitor(i, this.instances.values(), this.inhibitRules)?.rule ?? null,
    }));
  }

  private load(): void {
    const data = this.state.load();
    if (!data) return;
    for (const i of data.instances) this.instances.set(i.id, i);
    this.silences.restore(data.silences);
    for (const [host, at] of Object.entries(data.retired ?? {})) this.retired.set(host, at);
    this.opts.notifier.restore(data.outbox);
    this.opts.log.info('alert state restored', {
      alerts: this.instances.size,
      silences: data.silences.length,
      undelivered: data.outbox.length,
    });
  }

  private scheduleSave(): void {
    this.state.schedule();
  }

  private persisted(): Persisted {
    return {
      version: STATE_VERSION,
      instances: [...this.instances.values()],
      silences: this.silences.all(),
      outbox: [...this.opts.notifier.pending],
      retired: Object.fromEntries(this.retired),
    };
  }

  /** Why the alert state could not be saved (it is retried), or null. */
  get saveFailure(): string | null {
    return this.state.failure;
  }

  /** Saves the state now (atomically; a failed write is retried, never thrown); false if it could not be written. */
  saveNow(): boolean {
    return this.state.saveNow();
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.state.stop();
    this.opts.notifier.stop();
  }
}

export type { Silence };
export { valueAt } from './windows.js';
