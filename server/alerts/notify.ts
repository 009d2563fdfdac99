import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { dashboardLink } from './format.js';
import { DEFAULT_RESEND_MS, endpoint, payload, runbookUrl, wants } from './payloads.js';
import { routes, type Route } from './routing.js';

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
const REQUEST_TIMEOUT_MS = 5000;

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
  onChange: () => void = () => {};

  constructor(
    private readonly receivers: Receiver[],
    private readonly log: Logger,
    private readonly dashboardUrl: string | null = null,
  ) {}

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
    this.onChange();
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
      this.onChange();
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

  private pump(): void {
    this.timer = null;
    const now = Date.now();
    const heads = new Map<string, Notification>();
    for (const n of this.queue) {
      const key = `${n.receiver}/${n.alert.id}`;
      if (!heads.has(key)) heads.set(key, n);
    }
    for (const [key, n] of heads) {
      if (this.inFlight.has(key) || n.nextAttemptAt > now) continue;
      this.inFlight.add(key);
      void this.send(n).finally(() => {
        this.inFlight.delete(key);
        this.kick();
      });
    }
    const next = Math.min(
      ...this.queue.filter((n) => !this.inFlight.has(`${n.receiver}/${n.alert.id}`)).map((n) => n.nextAttemptAt),
    );
    if (Number.isFinite(next) && !this.stopped) {
      this.timer = setTimeout(() => this.pump(), Math.max(10, next - Date.now()));
      this.timer.unref();
    }
  }

  private async send(n: Notification): Promise<void> {
    const r = this.receivers.find((x) => x.name === n.receiver);
    const done = () => {
      this.queue = this.queue.filter((x) => x !== n);
      this.onChange();
    };
    if (!r) return done();
    try {
      const res = await post(
        r,
        payload(r, n.kind, n.alert, {
          link: this.link(n.alert),
          runbook: runbookUrl(n.alert.runbook, this.dashboardUrl),
          now: Date.now(),
        }),
      );
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        this.reject(r, n, res.status, (await res.text().catch(() => '')).slice(0, 500));
        return done();
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.delivered++;
      done();
    } catch (err) {
      n.attempts++;
      n.lastError = (err as Error).message;
      if (Date.now() - n.createdAt > MAX_RETRY_AGE_MS) {
        this.abandoned++;
        this.log.error('giving up on a notification after a day of retries', {
          receiver: r.name,
          alert: n.alert.id,
          kind: n.kind,
          error: n.lastError,
        });
        return done();
      }
      const backoff = Math.min(300_000, 1000 * 2 ** Math.min(n.attempts - 1, 9));
      n.nextAttemptAt = Date.now() + backoff * (0.75 + Math.random() * 0.5);
      this.log.warn('notification failed; will retry', {
        receiver: r.name,
        alert: n.alert.id,
        kind: n.kind,
        attempt: n.attempts,
        error: n.lastError,
        retryInMs: Math.round(n.nextAttemptAt - Date.now()),
      });
      this.onChange();
    }
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

/** POSTs a body with the receiver's headers, credentials from its URL as Basic auth, and a webhook's signature. */
function post(r: Receiver, body: unknown): Promise<Response> {
  const url = new URL(endpoint(r));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(r.headers ?? {}) };
  if (url.username || url.password) {
    // fetch refuses URLs with credentials: send them as the header they stand for
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const text = JSON.stringify(body);
  if (r.secret) Object.assign(headers, signature(r.secret, text, Math.floor(Date.now() / 1000)));
  return fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/**
 * X-Tidemark-Timestamp (unix seconds) and X-Tidemark-Signature:
 * sha256=hex(HMAC-SHA256(secret, "<timestamp>.<body>")). The receiver
 * recomputes it and rejects old timestamps, so a captured request cannot be replayed later.
 */
function signature(secret: string, body: string, ts: number): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  return { 'x-tidemark-timestamp': String(ts), 'x-tidemark-signature': `sha256=${mac}` };
}
