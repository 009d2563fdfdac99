import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { dashboardLink } from './format.js';
import { DEFAULT_RESEND_MS, groupPayload, payload, runbookUrl, wants } from './payloads.js';
import { groupDueAt, grouped, groupKey, GroupClock, NO_GROUPING, type GroupTiming } from './grouping.js';
import { post } from './post.js';
import { routes, type Route } from './routing.js';
import { errorMessage } from '../../shared/errors.js';

export { PAGERDUTY_EVENTS_URL } from './payloads.js';

/** What receivers are told about an alert. */
export interface AlertSnapshot {
  id: string;
  rule: string;
  host: string;
  labels: Record<string, string>;
  severity: 'critical' | 'warning' | 'info';
  summary: string;
  description: string;
  runbook: string | null;
  value: number | null;
  /** The value for people, rounded, with its unit ("24.1 ms"). */
  valueText: string;
  /** Specifics of the thing: device, array and missing slot, log path, members down… */
  facts: string[];
  startsAt: number;
  endsAt: number | null;
  /** On a resolve: its condition cleared, its data went stale, its host was retired, or its rule was removed. */
  resolvedBy?: ResolvedBy;
}

export type ResolvedBy = 'condition' | 'stale' | 'retired' | 'rule-removed';

/** trigger, repeat (after repeatInterval), refresh (Alertmanager re-post), acknowledge, resolve. */
export type NotificationKind = 'trigger' | 'repeat' | 'refresh' | 'acknowledge' | 'resolve';

export interface Receiver {
  name: string;
  type: 'webhook' | 'pagerduty' | 'alertmanager' | 'slack';
  url: string;
  /** PagerDuty integration (routing) key. */
  routingKey?: string;
  /** Which alerts it hears (severities, label matchers); none: all. */
  route?: Route;
  /** Extra request headers (Authorization for Alertmanager or a webhook). */
  headers?: Record<string, string>;
  /** Webhooks: HMAC-SHA256 key for the X-Tidemark-Signature header. */
  secret?: string;
  /** Alertmanager: re-post interval of a firing alert. */
  resendMs?: number;
  /** Webhooks and Slack: group_wait and group_interval (grouping.ts); none: each notification at once. */
  group?: GroupTiming;
}

/** A receiver's permanent refusal (4xx other than 408/429): not retried, kept for /api/alerts. */
export interface Rejection {
  receiver: string;
  alert: string;
  rule: string;
  kind: NotificationKind;
  status: number;
  body: string;
  at: number;
}

export interface Notification {
  id: string;
  receiver: string;
  kind: NotificationKind;
  alert: AlertSnapshot;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

/** Give up on a notification only after a day of retries, and say so loudly. */
export const MAX_RETRY_AGE_MS = 24 * 3_600_000;

/**
 * Delivers notifications with retries and backoff. Evaluation only enqueues;
 * delivery runs on its own, so a slow or failing receiver never holds up the
 * rules. Per receiver and alert, notifications go out in order (a resolve
 * never overtakes its trigger). The queue is persisted with the alert state.
 */
export class Notifier {
  private queue: Notification[] = [];
  private inFlight = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  delivered = 0;
  abandoned = 0;
  /** Refused for good (4xx other than 408/429), counted, the latest kept. */
  rejected = 0;
  readonly rejections: Rejection[] = [];
  /** Alertmanager receiver/alert → last post, for re-posts. */
  private readonly posted = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly byName: Map<string, Receiver>;
  private readonly groupClock = new GroupClock();
  private readonly longestIntervalMs: number;

  constructor(
    private readonly receivers: Receiver[],
    private readonly log: Logger,
    private readonly dashboardUrl: string | null = null,
  ) {
    this.byName = new Map(receivers.map((r) => [r.name, r]));
    this.longestIntervalMs = Math.max(0, ...receivers.map((r) => r.group?.intervalMs ?? 0));
  }

  /** Calls `listener` whenever the queue changes (the engine saves its state then); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  get pending(): readonly Notification[] {
    return this.queue;
  }

  restore(queue: Notification[]): void {
    this.queue = queue.filter((n) => this.receivers.some((r) => r.name === n.receiver));
    this.kick();
  }

  enqueue(kind: NotificationKind, alert: AlertSnapshot, now = Date.now()): void {
    for (const r of this.receivers) {
      if (!wants(r, kind) || !routes(r.route ?? {}, alert)) continue;
      this.push(r, kind, alert, now);
    }
    this.emit();
    this.kick();
  }

  /** Whether an Alertmanager receiver may be due a re-post of this firing alert (cheap: no snapshot needed). */
  resendDue(alertId: string, _engineNow?: number): boolean {
    const now = Date.now(); // delivery runs on the wall clock, whatever clock the engine evaluates on
    for (const r of this.receivers) {
      if (r.type !== 'alertmanager') continue;
      const last = this.posted.get(`${r.name}/${alertId}`);
      if (last === undefined || now - last >= (r.resendMs ?? DEFAULT_RESEND_MS)) return true;
    }
    return false;
  }

  /** Re-posts a firing alert to each Alertmanager receiver whose interval has passed, so it never times out there. */
  resend(alert: AlertSnapshot, _engineNow?: number): void {
    const now = Date.now();
    let queued = false;
    for (const r of this.receivers) {
      if (r.type !== 'alertmanager') continue;
      const key = `${r.name}/${alert.id}`;
      const last = this.posted.get(key);
      if (last !== undefined && now - last < (r.resendMs ?? DEFAULT_RESEND_MS)) continue;
      this.posted.set(key, now);
      if (!routes(r.route ?? {}, alert)) continue;
      this.push(r, 'refresh', alert, now);
      queued = true;
    }
    if (queued) {
      this.emit();
      this.kick();
    }
  }

  private push(r: Receiver, kind: NotificationKind, alert: AlertSnapshot, now: number): void {
    if (r.type === 'alertmanager') {
      if (kind === 'resolve') this.posted.delete(`${r.name}/${alert.id}`);
      else this.posted.set(`${r.name}/${alert.id}`, now);
    }
    {
      this.queue.push({
        id: randomUUID(),
        receiver: r.name,
        kind,
        alert,
        createdAt: now,
        attempts: 0,
        nextAttemptAt: now,
        lastError: null,
      });
    }
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), 0);
    this.timer.unref();
  }

  /** Per receiver and alert, its oldest notification: the only one of that alert that may go out now. */
  private heads(): Map<string, Notification> {
    const heads = new Map<string, Notification>();
    for (const n of this.queue) {
      const key = `${n.receiver}/${n.alert.id}`;
      if (!heads.has(key)) heads.set(key, n);
    }
    return heads;
  }

  /** Sends what is due: single notifications when their retry time has come, groups when grouping.ts says so. */
  private pump(): void {
    this.timer = null;
    const now = Date.now();
    this.groupClock.prune(now, this.longestIntervalMs);
    let wake = Infinity;
    const groups = new Map<string, { r: Receiver; members: Notification[] }>();
    for (const [key, n] of this.heads()) {
      if (this.inFlight.has(key)) continue;
      const r = this.byName.get(n.receiver);
      if (r && grouped(r, n.kind)) {
        const gk = groupKey(n);
        const g = groups.get(gk) ?? groups.set(gk, { r, members: [] }).get(gk)!;
        g.members.push(n);
      } else if (n.nextAttemptAt <= now) this.dispatch(r, [n]);
      else wake = Math.min(wake, n.nextAttemptAt);
    }
    for (const [gk, { r, members }] of groups) {
      if (this.inFlight.has(gk)) continue;
      const due = groupDueAt(members, this.groupClock.last(gk), r.group ?? NO_GROUPING);
      const ready = members.filter((n) => n.nextAttemptAt <= now);
      if (due <= now && ready.length) {
        this.groupClock.sent(gk, now);
        this.dispatch(r, ready, gk);
      } else wake = Math.min(wake, Math.max(due, Math.min(...members.map((n) => n.nextAttemptAt))));
    }
    if (Number.isFinite(wake) && !this.stopped) {
      this.timer = setTimeout(() => this.pump(), Math.max(10, wake - Date.now()));
      this.timer.unref();
    }
  }

  /** One request for `batch` (one notification, or a group's); its alerts (and group) wait until it is done. */
  private dispatch(r: Receiver | undefined, batch: Notification[], group?: string): void {
    const keys = batch.map((n) => `${n.receiver}/${n.alert.id}`);
    if (group) keys.push(group);
    for (const k of keys) this.inFlight.add(k);
    void this.send(r, batch).finally(() => {
      for (const k of keys) this.inFlight.delete(k);
      this.kick();
    });
  }

  private done(batch: readonly Notification[]): void {
    const gone = new Set(batch);
    this.queue = this.queue.filter((x) => !gone.has(x));
    this.emit();
  }

  private async send(r: Receiver | undefined, batch: Notification[]): Promise<void> {
    if (!r) return this.done(batch);
    const now = Date.now();
    const ctx = (a: AlertSnapshot) => ({
      link: this.link(a),
      runbook: runbookUrl(a.runbook, this.dashboardUrl),
      now,
    });
    const first = batch[0]!;
    try {
      const body = grouped(r, first.kind)
        ? groupPayload(r, batch, ctx)
        : payload(r, first.kind, first.alert, ctx(first.alert));
      const res = await post(r, body);
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        const text = (await res.text().catch(() => '')).slice(0, 500);
        for (const n of batch) this.reject(r, n, res.status, text);
        return this.done(batch);
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.delivered += batch.length;
      this.done(batch);
    } catch (err) {
      this.failed(r, batch, errorMessage(err));
    }
  }

  /** A failed request: retried with backoff, or given up on (loudly) after a day. */
  private failed(r: Receiver, batch: Notification[], error: string): void {
    const expired = batch.filter((n) => Date.now() - n.createdAt > MAX_RETRY_AGE_MS);
    for (const n of expired) {
      this.abandoned++;
      this.log.error('giving up on a notification after a day of retries', {
        receiver: r.name,
        alert: n.alert.id,
        kind: n.kind,
        error,
      });
    }
    if (expired.length) this.done(expired);
    for (const n of batch) {
      if (expired.includes(n)) continue;
      n.attempts++;
      n.lastError = error;
      const backoff = Math.min(300_000, 1000 * 2 ** Math.min(n.attempts - 1, 9));
      n.nextAttemptAt = Date.now() + backoff * (0.75 + Math.random() * 0.5);
      this.log.warn('notification failed; will retry', {
        receiver: r.name,
        alert: n.alert.id,
        kind: n.kind,
        attempt: n.attempts,
        error,
        retryInMs: Math.round(n.nextAttemptAt - Date.now()),
      });
    }
    this.emit();
  }

  private link(a: AlertSnapshot): string | null {
    return dashboardLink(this.dashboardUrl, a.host, a.startsAt);
  }

  private reject(r: Receiver, n: Notification, status: number, body: string): void {
    this.rejected++;
    this.rejections.push({
      receiver: r.name,
      alert: n.alert.id,
      rule: n.alert.rule,
      kind: n.kind,
      status,
      body,
      at: Date.now(),
    });
    if (this.rejections.length > 20) this.rejections.shift();
    this.log.error('receiver refused a notification; not retrying (fix the receiver configuration)', {
      receiver: r.name,
      alert: n.alert.id,
      kind: n.kind,
      status,
      body,
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
