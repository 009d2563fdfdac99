/**
 * Alerts grouped by host and rule: a group per (host, rule) with its firing
 * count, a row per label set with since-when, the value in the metric's unit,
 * and a link to the host at the alert's time with the series highlighted.
 * Ack and silence from here.
 */
import { el } from './dom.js';
import { unitOf } from './panels.js';
import { duration, dateTime } from './time-format.js';
import { hostLink, type Route } from './url.js';

interface Alert {
  id: string;
  rule: string;
  host: string;
  labels: Record<string, string>;
  severity: string;
  summary: string;
  value: number | null;
  startsAt: number;
  state: 'pending' | 'firing';
  firedAt: number | null;
  acked: boolean;
  silencedBy: string | null;
}
interface Silence {
  id: string;
  matchers: { label: string; value: string; regex: boolean }[];
  endsAt: number;
}

type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** Labels that name the alert, not the series. */
const NOT_SERIES = new Set(['host', 'alertname', 'severity', 'team', 'domain']);
/** The window a link opens around the alert's start. */
const BEFORE_MS = 15 * 60_000;
const AFTER_MS = 15 * 60_000;

export function formatValue(v: number | null, unit: string): string {
  if (v === null) return '–';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit ? (unit === '%' ? ' %' : ` ${unit}`) : ''}`;
}

/** The link that opens the alert's host around the time it started, its series highlighted. */
export function alertLink(a: Alert, metric: string | null, now: number): string {
  const route: Partial<Route> = {
    range: { from: a.startsAt - BEFORE_MS, to: Math.min(now, a.startsAt + AFTER_MS) },
    metric,
    highlight: Object.entries(a.labels)
      .filter(([k]) => !NOT_SERIES.has(k))
      .map(([, v]) => v),
  };
  return hostLink(a.host, route);
}

export class AlertsPanel {
  private ruleMetrics = new Map<string, string | null>();
  /** Only this host's alerts (the host view); null: every host (the alerts page). */
  host: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly fetcher: Fetcher,
    private readonly navigate: (url: string) => void,
  ) {}

  async refresh(): Promise<void> {
    if (this.ruleMetrics.size === 0) {
      const rules = await this.fetcher('/api/rules').catch(() => null);
      if (rules?.ok) {
        const body = (await rules.json()) as { rules: { name: string; metric?: string | null }[] };
        this.ruleMetrics = new Map(body.rules.map((r) => [r.name, r.metric ?? null]));
      }
    }
    const res = await this.fetcher('/api/alerts').catch(() => null);
    if (!res?.ok) return; // alerting off, or the server is away: keep what is shown
    const data = (await res.json()) as { alerts: Alert[]; silences: Silence[] };
    this.render(data.alerts, data.silences);
  }

  private async post(path: string, body?: unknown, method = 'POST'): Promise<void> {
    await this.fetcher(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await this.refresh();
  }

  private render(all: Alert[], silences: Silence[]): void {
    const alerts = this.host ? all.filter((a) => a.host === this.host) : all;
    const order = (a: Alert) => (a.state === 'firing' ? (a.silencedBy ? 1 : 0) : 2);
    alerts.sort(
      (a, b) =>
        order(a) - order(b) || a.host.localeCompare(b.host) || a.rule.localeCompare(b.rule) || a.startsAt - b.startsAt,
    );
    const firing = alerts.filter((a) => a.state === 'firing' && !a.silencedBy).length;
    (this.container.querySelector('.count') as HTMLElement).textContent = firing ? `${firing} firing` : 'none firing';
    this.container.dataset.firing = String(firing);
    this.container.hidden = this.host !== null && alerts.length === 0;
    const groups = new Map<string, Alert[]>();
    for (const a of alerts) {
      const key = `${a.host}\u0000${a.rule}`;
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    const now = Date.now();
    (this.container.querySelector('.alert-list') as HTMLElement).replaceChildren(
      ...[...groups.values()].map((g) => this.group(g, now)),
    );
    this.renderSilences(silences, now);
  }

  private group(alerts: Alert[], now: number): HTMLElement {
    const first = alerts[0]!;
    const firing = alerts.filter((a) => a.state === 'firing' && !a.silencedBy).length;
    const box = el('section', { class: 'alert-group', 'data-host': first.host, 'data-rule': first.rule });
    const head = el('header');
    head.append(
      el('span', { class: 'badge sev', 'data-severity': first.severity }, first.severity),
      el('strong', {}, first.host),
      el('span', {}, ` · ${first.rule}`),
      el(
        'span',
        { class: 'muted' },
        ` · ${alerts.length} alert${alerts.length === 1 ? '' : 's'}${firing ? `, ${firing} firing` : ''}`,
      ),
    );
    box.append(head, ...alerts.map((a) => this.row(a, now)));
    return box;
  }

  private row(a: Alert, now: number): HTMLElement {
    const state = a.silencedBy ? 'silenced' : a.state;
    const metric = this.ruleMetrics.get(a.rule) ?? null;
    const row = el('div', {
      class: 'alert-row',
      'data-rule': a.rule,
      'data-state': state,
      'data-severity': a.severity,
      'data-id': a.id,
    });
    const link = el('a', { class: 'summary', href: alertLink(a, metric, now) }, a.summary);
    link.onclick = (ev) => {
      if (ev.ctrlKey || ev.metaKey) return;
      ev.preventDefault();
      this.navigate(link.getAttribute('href')!);
    };
    row.append(
      el('span', { class: 'badge state' }, `${state}${a.acked ? ', acked' : ''}`),
      link,
      el(
        'span',
        { class: 'muted facts' },
        `${a.state === 'firing' ? 'firing' : 'pending'} for ${duration(now - (a.firedAt ?? a.startsAt))} (since ${dateTime(a.startsAt)}) · value ${formatValue(a.value, metric ? unitOf(metric) : '')}`,
      ),
    );
    if (a.state === 'firing' && !a.acked) {
      const ack = el('button', { type: 'button', class: 'ack', 'aria-label': `Ack ${a.summary}` }, 'Ack');
      ack.onclick = () => void this.post(`/api/alerts/${a.id}/ack`);
      row.append(ack);
    }
    if (!a.silencedBy) {
      const mute = el(
        'button',
        { type: 'button', class: 'silence', 'aria-label': `Silence 2 h ${a.summary}` },
        'Silence 2 h',
      );
      const matchers = [
        { label: 'alertname', value: a.rule },
        { label: 'host', value: a.host },
        ...Object.entries(a.labels)
          .filter(([k]) => k !== 'host')
          .map(([label, value]) => ({ label, value })),
      ];
      mute.onclick = () =>
        void this.post('/api/silences', {
          matchers,
          duration: '2h',
          comment: `silenced from the dashboard: ${a.summary}`,
        });
      row.append(mute);
    }
    return row;
  }

  private renderSilences(silences: Silence[], now: number): void {
    const active = silences.filter((s) => s.endsAt > now);
    (this.container.querySelector('.silence-list') as HTMLElement).replaceChildren(
      ...active.map((s) => {
        const row = el('div', { class: 'silence-row', 'data-id': s.id });
        row.append(
          el('span', {}, s.matchers.map((m) => `${m.label}${m.regex ? '=~' : '='}${m.value}`).join(', ')),
          el('span', { class: 'muted' }, ` until ${dateTime(s.endsAt)}`),
        );
        const expire = el('button', { type: 'button', class: 'expire' }, 'Expire');
        expire.onclick = () => void this.post(`/api/silences/${s.id}`, undefined, 'DELETE');
        row.append(expire);
        return row;
      }),
    );
  }
}
