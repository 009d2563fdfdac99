import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';

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
  startsAt: number;
  endsAt: number | null;
  /** On a resolve: its condition cleared, its data went stale, its host was retired, or its rule was removed. */
  resolvedBy?: ResolvedBy;
}

export type ResolvedBy = 'condition' | 'stale' | 'retired' | 'rule-removed';

export type NotificationKind = 'trigger' | 'repeat' | 'resolve';

export interface Receiver {
  name: string;
  type: 'webhook' | 'pagerduty' | 'alertmanager' | 'slack';
  url: string;
  /** PagerDuty integration (routing) key. */
  routingKey?: string;
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

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** Give up on a notification only after a day of retries, and say so loudly. */
export const MAX_RETRY_AGE_MS = 24 * 3_600_000;
const REQUEST_TIMEOUT_MS = 5000;

/** The body each kind of receiver expects. */
export function payload(r: Receiver, kind: NotificationKind, a: AlertSnapshot, dashboardUrl: string | null): unknown {
  const status = kind === 'resolve' ? 'resolved' : 'firing';
  switch (r.type) {
    case 'pagerduty':
      return {
        routing_key: r.routingKey ?? '',
        event_action: kind === 'resolve' ? 'resolve' : 'trigger',
        dedup_key: a.id,
        payload: {
          summary: a.summary.slice(0, 1024),
          source: a.host,
          severity: a.severity,
          timestamp: new Date(kind === 'resolve' ? (a.endsAt ?? Date.now()) : a.startsAt).toISOString(),
          component: a.labels.device ?? a.labels.array ?? a.labels.check ?? undefined,
          class: a.rule,
          custom_details: { description: a.description, value: a.value, labels: a.labels },
        },
        ...(a.runbook ? { links: [{ href: a.runbook, text: 'runbook' }] } : {}),
      };
    case 'alertmanager':
      return [
        {
          labels: { alertname: a.rule, host: a.host, severity: a.severity, ...a.labels },
          annotations: {
            summary: a.summary,
            description: a.description,
            ...(a.runbook ? { runbook_url: a.runbook } : {}),
            value: a.value === null ? '' : String(a.value),
          },
          startsAt: new Date(a.startsAt).toISOString(),
          // A firing alert is re-sent before Alertmanager's resolve timeout; endsAt set means resolved.
          ...(kind === 'resolve' ? { endsAt: new Date(a.endsAt ?? Date.now()).toISOString() } : {}),
          ...(dashboardUrl ? { generatorURL: dashboardUrl } : {}),
        },
      ];
    case 'slack':
      return {
        text: `${kind === 'resolve' ? ':white_check_mark: RESOLVED' : `:rotating_light: ${a.severity.toUpperCase()}`} ${a.summary}${a.description ? `\n${a.description}` : ''}${a.runbook ? `\nRunbook: ${a.runbook}` : ''}`,
      };
    case 'webhook':
      return { version: 1, status, kind, alert: a };
  }
}

function endpoint(r: Receiver): string {
  return r.type === 'alertmanager' ? `${r.url.replace(/\/+$/, '')}/api/v2/alerts` : r.url;
}

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
  onChange: () => void = () => {};

  constructor(
    private receivers: Receiver[],
    private readonly log: Logger,
    private readonly dashboardUrl: string | null = null,
  ) {}

  setReceivers(receivers: Receiver[]): void {
    this.receivers = receivers;
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
    this.onChange();
    this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), 0);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
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
      this.timer = setTimeout(() => void this.pump(), Math.max(10, next - Date.now()));
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
      const res = await fetch(endpoint(r), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload(r, n.kind, n.alert, this.dashboardUrl)),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
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

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
