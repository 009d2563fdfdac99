import type { HostSummary, ServerToDashboard } from '../../shared/protocol.js';
import type { MetricDef } from '../../shared/catalogue.js';

const TOKEN_KEY = 'tidemark.token';

export class Unauthorized extends Error {}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

async function getJson<T>(path: string): Promise<T> {
  const t = token();
  const res = await fetch(path, { headers: t ? { Authorization: `Bearer ${t}` } : {} });
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** fetch with the dashboard credential, for the alert actions. */
export function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const t = token();
  return fetch(path, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string> | undefined),
      ...(t ? { Authorization: `Bearer ${t}` } : {}),
    },
  });
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const api = {
  catalogue: () => getJson<MetricDef[]>('/api/catalogue'),
  /** Every host without its inventory; `host` has one host in full. */
  hosts: () => getJson<HostSummary[]>('/api/hosts'),
  host: (id: string) => getJson<HostSummary>(`/api/hosts/${encodeURIComponent(id)}`),
  series: (host: string, metric: string, from: number, to?: number) =>
    getJson<{
      resolutionMs: number | null;
      series: { labels: Record<string, string>; points: [number, number | null][] }[];
    }>(
      `/api/series?host=${encodeURIComponent(host)}&metric=${encodeURIComponent(metric)}&from=${from}${to ? `&to=${to}` : ''}`,
    ),
};

/** A dashboard WebSocket that reconnects by itself; `onOpen` re-sends the subscription. */
export function connectLive(
  onMessage: (m: ServerToDashboard) => void,
  onState: (s: 'live' | 'offline') => void,
  onOpen: (ws: WebSocket) => void,
): void {
  let delay = 500;
  const open = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const t = token();
    // Browsers cannot set headers on a WebSocket: the credential travels as a subprotocol, never in the URL.
    const ws = new WebSocket(`${proto}://${location.host}/ws/dashboard`, [
      'tidemark',
      ...(t ? [`tidemark.bearer.${base64url(t)}`] : []),
    ]);
    ws.onopen = () => {
      delay = 500;
      onState('live');
      onOpen(ws);
    };
    ws.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)) as ServerToDashboard);
    ws.onclose = () => {
      onState('offline');
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  };
  open();
}
