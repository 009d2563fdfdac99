/**
 * The body each kind of receiver expects, per its documented format:
 * PagerDuty Events API v2 (trigger, acknowledge, resolve with a stable
 * dedup_key), Alertmanager's POST /api/v2/alerts (postable alerts; a firing
 * alert carries an endsAt a few re-post intervals ahead, a resolved one its end),
 * Slack incoming webhooks (text plus blocks), and Tidemark's own webhook JSON;
 * grouped notifications (grouping.ts) as one message listing a group's alerts.
 */
import type { AlertSnapshot, NotificationKind, Receiver } from './notify.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** Alertmanager re-posts by default every minute, well inside its 5-minute resolve_timeout. */
export const DEFAULT_RESEND_MS = 60_000;

export interface PayloadContext {
  /** The dashboard at the alert's host and time, when --external-url is set. */
  link: string | null;
  /** The rule's runbook as an absolute URL (a shipped rule's is relative to --external-url), or null. */
  runbook: string | null;
  now: number;
}

/** A runbook link receivers can open: absolute as given, or relative to the dashboard's URL (the shipped /runbooks page). */
export function runbookUrl(runbook: string | null, base: string | null): string | null {
  if (!runbook) return null;
  if (/^https?:\/\//.test(runbook)) return runbook;
  return base ? new URL(runbook, `${base.replace(/\/+$/, '')}/`).toString() : null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The page's body text: what, the figure, the specifics, what to do. */
function pageText(a: AlertSnapshot, kind: NotificationKind): string {
  const lines = [a.description, ...a.facts.map((f) => `• ${f}`)].filter(Boolean);
  if (kind === 'resolve') return [a.summary, ...a.facts.map((f) => `• ${f}`)].join('\n');
  return lines.join('\n');
}

function pagerduty(r: Receiver, kind: NotificationKind, a: AlertSnapshot, ctx: PayloadContext): unknown {
  const base = { routing_key: r.routingKey ?? '', dedup_key: a.id };
  if (kind === 'resolve') return { ...base, event_action: 'resolve' };
  if (kind === 'acknowledge') return { ...base, event_action: 'acknowledge' };
  const links = [
    ...(ctx.link ? [{ href: ctx.link, text: `Dashboard: ${a.host}` }] : []),
    ...(ctx.runbook ? [{ href: ctx.runbook, text: `Runbook: ${a.rule}` }] : []),
  ];
  return {
    ...base,
    event_action: 'trigger',
    payload: {
      summary: a.summary.slice(0, 1024),
      source: a.host,
      severity: a.severity,
      timestamp: iso(a.startsAt),
      component: a.labels.device ?? a.labels.array ?? a.labels.check ?? a.labels.set ?? undefined,
      group: a.host,
      class: a.rule,
      custom_details: {
        value: a.valueText,
        facts: a.facts,
        description: a.description,
        labels: a.labels,
        ...(ctx.runbook ? { runbook: ctx.runbook } : {}),
      },
    },
    ...(links.length ? { links } : {}),
    client: 'Tidemark',
    ...(ctx.link ? { client_url: ctx.link } : {}),
  };
}

function alertmanager(r: Receiver, kind: NotificationKind, a: AlertSnapshot, ctx: PayloadContext): unknown {
  const resendMs = r.resendMs ?? DEFAULT_RESEND_MS;
  // Firing: valid for four re-post intervals (as Prometheus does), so one lost post does not resolve it.
  const endsAt = kind === 'resolve' ? (a.endsAt ?? ctx.now) : ctx.now + 4 * resendMs;
  return [
    {
      labels: { alertname: a.rule, host: a.host, severity: a.severity, ...a.labels },
      annotations: {
        summary: a.summary,
        description: pageText(a, kind),
        value: a.valueText,
        ...(ctx.runbook ? { runbook_url: ctx.runbook } : {}),
      },
      startsAt: iso(a.startsAt),
      endsAt: iso(endsAt),
      ...(ctx.link ? { generatorURL: ctx.link } : {}),
    },
  ];
}

const SLACK_MARK = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' };

function slack(kind: NotificationKind, a: AlertSnapshot, ctx: PayloadContext): unknown {
  const head =
    kind === 'resolve'
      ? `:white_check_mark: *RESOLVED* ${a.summary.replace(/^Resolved: /, '')}`
      : `${SLACK_MARK[a.severity]} *${a.severity.toUpperCase()}* ${a.summary}`;
  const body = pageText(a, kind);
  const links = [
    ...(ctx.link ? [`<${ctx.link}|Dashboard: ${a.host}>`] : []),
    ...(ctx.runbook ? [`<${ctx.runbook}|Runbook>`] : []),
  ];
  const context = [`${a.rule} on ${a.host}`, ...(kind === 'resolve' ? [] : [`value ${a.valueText}`]), ...links];
  return {
    text: `${head}${body ? `\n${body}` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      ...(body ? [{ type: 'section', text: { type: 'mrkdwn', text: body } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    ],
  };
}

/** What a webhook alert's status reads: firing (trigger, repeat), acknowledged, or resolved. */
function statusOf(kind: NotificationKind): 'firing' | 'acknowledged' | 'resolved' {
  return kind === 'resolve' ? 'resolved' : kind === 'acknowledge' ? 'acknowledged' : 'firing';
}

/**
 * Tidemark's webhook body (version 2), shaped like Alertmanager's webhook:
 * one group (one rule on one host) and the list of its alerts, each with the
 * kind of notification and its status; the group is firing while any alert
 * in it is.
 */
function webhook(items: readonly GroupItem[], ctxOf: (a: AlertSnapshot) => PayloadContext): unknown {
  const first = items[0]!.alert;
  const statuses = items.map((i) => statusOf(i.kind));
  const status = statuses.includes('firing') ? 'firing' : statuses.includes('resolved') ? 'resolved' : 'acknowledged';
  return {
    version: 2,
    groupKey: `${first.host}/${first.rule}`,
    groupLabels: { host: first.host, alertname: first.rule },
    status,
    alerts: items.map(({ kind, alert }) => {
      const ctx = ctxOf(alert);
      return { kind, status: statusOf(kind), ...alert, runbook: ctx.runbook ?? alert.runbook, link: ctx.link };
    }),
    link: ctxOf(first).link,
  };
}

/** Slack alerts listed in one message, at most this many (Slack allows 50 blocks): the rest are counted. */
const SLACK_MAX_LISTED = 20;

/** One Slack message for a group: a head with the counts, then each alert's summary and specifics. */
function slackGroup(items: readonly GroupItem[], ctxOf: (a: AlertSnapshot) => PayloadContext): unknown {
  const first = items[0]!.alert;
  const firing = items.filter((i) => i.kind !== 'resolve');
  const resolved = items.length - firing.length;
  const worst = firing.find((i) => i.alert.severity === 'critical') ?? firing[0];
  const counts = [firing.length ? `${firing.length} firing` : '', resolved ? `${resolved} resolved` : ''];
  const head = worst
    ? `${SLACK_MARK[worst.alert.severity]} *${worst.alert.severity.toUpperCase()}* ${first.rule} on ${first.host}: ${counts.filter(Boolean).join(', ')}`
    : `:white_check_mark: *RESOLVED* ${first.rule} on ${first.host}: ${resolved} resolved`;
  const lines = items.slice(0, SLACK_MAX_LISTED).map(({ kind, alert }) => {
    const mark = kind === 'resolve' ? ':white_check_mark: ' : '';
    const value = kind === 'resolve' ? '' : ` (${alert.valueText})`;
    return [`${mark}${alert.summary}${value}`, ...alert.facts.map((f) => `    • ${f}`)].join('\n');
  });
  if (items.length > SLACK_MAX_LISTED) lines.push(`… and ${items.length - SLACK_MAX_LISTED} more`);
  const ctx = ctxOf(first);
  const links = [
    ...(ctx.link ? [`<${ctx.link}|Dashboard: ${first.host}>`] : []),
    ...(ctx.runbook ? [`<${ctx.runbook}|Runbook>`] : []),
  ];
  return {
    text: [head, ...lines].join('\n'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      ...lines.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } })),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: [`${first.rule} on ${first.host}`, ...links].join(' · ') }],
      },
    ],
  };
}

export interface GroupItem {
  kind: NotificationKind;
  alert: AlertSnapshot;
}

/** The body of a grouped notification (grouping.ts): webhooks list the group's alerts, Slack one message (a group of one reads as before). */
export function groupPayload(
  r: Receiver,
  items: readonly GroupItem[],
  ctxOf: (a: AlertSnapshot) => PayloadContext,
): unknown {
  if (r.type === 'webhook') return webhook(items, ctxOf);
  if (r.type === 'slack' && items.length > 1) return slackGroup(items, ctxOf);
  return payload(r, items[0]!.kind, items[0]!.alert, ctxOf(items[0]!.alert));
}

export function payload(r: Receiver, kind: NotificationKind, a: AlertSnapshot, ctx: PayloadContext): unknown {
  switch (r.type) {
    case 'pagerduty':
      return pagerduty(r, kind, a, ctx);
    case 'alertmanager':
      return alertmanager(r, kind, a, ctx);
    case 'slack':
      return slack(kind, a, ctx);
    case 'webhook':
      return webhook([{ kind, alert: a }], () => ctx);
  }
}

/** Which kinds a receiver is sent: re-posts are Alertmanager's, acknowledgements PagerDuty's and webhooks'. */
export function wants(r: Receiver, kind: NotificationKind): boolean {
  if (kind === 'refresh') return r.type === 'alertmanager';
  if (kind === 'acknowledge') return r.type === 'pagerduty' || r.type === 'webhook';
  if (kind === 'repeat') return r.type !== 'alertmanager'; // it is re-posted every minute anyway
  return true;
}

export function endpoint(r: Receiver): string {
  return r.type === 'alertmanager' ? `${r.url.replace(/\/+$/, '')}/api/v2/alerts` : r.url;
}
