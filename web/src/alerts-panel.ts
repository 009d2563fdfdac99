/** The alerts list: firing, pending and silenced alerts with since-when and value, and silences; ack and silence from here. */

import { el } from './dom.js';

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
  comment: string;
}

type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

function since(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export class AlertsPanel {
  constructor(
    private readonly container: HTMLElement,
    private readonly fetcher: Fetcher,
  ) {}

  async refresh(): Promise<void> {
    const res = await this.fetcher('/api/alerts');
    if (!res.ok) return; // alerting off, or the server is away: keep what is shown
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

  private render(alerts: Alert[], silences: Silence[]): void {
    const order = (a: Alert) => (a.state === 'firing' ? (a.silencedBy ? 1 : 0) : 2);
    alerts.sort((a, b) => order(a) - order(b) || a.startsAt - b.startsAt);
    const firing = alerts.filter((a) => a.state === 'firing' && !a.silencedBy).length;
    (this.container.querySelector('.count') as HTMLElement).textContent = firing ? `${firing} firing` : 'none firing';
    this.container.dataset.firing = String(firing);
    const list = this.container.querySelector('.alert-list') as HTMLElement;
    list.replaceChildren(
      ...alerts.map((a) => {
        const state = a.silencedBy ? 'silenced' : a.state;
        const row = el('div', {
          class: 'alert-row',
          'data-rule': a.rule,
          'data-state': state,
          'data-severity': a.severity,
          'data-id': a.id,
        });
        row.append(
          el('span', { class: 'badge sev' }, a.severity),
          el('span', { class: 'badge state' }, `${state}${a.acked ? ', acked' : ''}`),
          el('span', { class: 'summary' }, a.summary),
          el(
            'span',
            { class: 'muted' },
            `${a.state === 'firing' ? 'firing' : 'pending'} for ${since(a.firedAt ?? a.startsAt)} · value ${a.value ?? '–'}`,
          ),
        );
        if (a.state === 'firing' && !a.acked) {
          const ack = el('button', { type: 'button', class: 'ack' }, 'Ack');
          ack.onclick = () => void this.post(`/api/alerts/${a.id}/ack`);
          row.append(ack);
        }
        if (!a.silencedBy) {
          const mute = el('button', { type: 'button', class: 'silence' }, 'Silence 2 h');
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
      }),
    );
    const active = silences.filter((s) => s.endsAt > Date.now());
    const sl = this.container.querySelector('.silence-list') as HTMLElement;
    sl.replaceChildren(
      ...active.map((s) => {
        const row = el('div', { class: 'silence-row', 'data-id': s.id });
        row.append(
          el('span', {}, s.matchers.map((m) => `${m.label}${m.regex ? '=~' : '='}${m.value}`).join(', ')),
          el('span', { class: 'muted' }, ` until ${new Date(s.endsAt).toLocaleTimeString()}`),
        );
        const expire = el('button', { type: 'button', class: 'expire' }, 'Expire');
        expire.onclick = () => void this.post(`/api/silences/${s.id}`, undefined, 'DELETE');
        row.append(expire);
        return row;
      }),
    );
  }
}
