import type { HostSummary, ServerToDashboard } from '../../shared/protocol.js';
import { DASHBOARD_SCOPE_PARAM, type HostTile, type ReplsetView } from '../../shared/overview.js';
import type { SeriesResult } from './live-chart.js';

const TOKEN_KEY = 'tidemark.token';

export class Unauthorized extends Error {}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const t = token();
  const res = await fetch(path, { headers: t ? { Authorization: `Bearer ${t}` } : {}, signal });
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

/** Which store a chart's points came from: this server's, or the shared one (`--history-url`). */
export interface SeriesSource {
  kind: 'local' | 'remote';
  name: string;
}

export const api = {
  host: (id: string, signal?: AbortSignal) => getJson<HostSummary>(`/api/hosts/${encodeURIComponent(id)}`, signal),
  overview: () => getJson<{ now: number; tiles: HostTile[] }>('/api/overview'),
  replsets: () => getJson<{ now: number; sets: ReplsetView[] }>('/api/replsets'),
  rules: () => getJson<{ rules: { name: string; metric?: string | null }[] }>('/api/rules'),
  /** `local` for the live view's backfill; `history` reads the shared store when the server has one. */
  series: (
    host: string,
    metric: string,
    from: number,
    to: number | undefined,
    signal: AbortSignal,
    source: 'history' | 'local' = 'history',
  ) =>
    getJson<{ resolutionMs: number | null; source?: SeriesSource; series: SeriesResult[] }>(
      `/api/series?host=${encodeURIComponent(host)}&metric=${encodeURIComponent(metric)}&from=${Math.round(from)}${to ? `&to=${Math.round(to)}` : ''}&source=${source}`,
      signal,
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
    // Only what this tab subscribes to (the overview's tiles, the open host's states), never every host's states.
    const ws = new WebSocket(`${proto}://${location.host}/ws/dashboard?${DASHBOARD_SCOPE_PARAM}=subscribed`, [
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
