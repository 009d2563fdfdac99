import type { SeriesQuery, SeriesResult } from './store/store.js';
import { errorMessage } from '../shared/errors.js';

/** A history range is asked for at about this many points per series (the query step follows from it). */
export const TARGET_POINTS = 2000;

/** The query step for a range: about TARGET_POINTS points, whole seconds, at least one. */
export function stepFor(from: number, to: number): number {
  return Math.max(1, Math.ceil((to - from) / TARGET_POINTS / 1000)) * 1000;
}

/** A PromQL string literal (double-quoted; backslash, quote and newline escaped). */
function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The selector of a host's metric as remote write names it: `tidemark_<metric>{host="…", <label>="…"}`. */
export function selector(q: Pick<SeriesQuery, 'host' | 'metric' | 'labels'>): string {
  const matchers = Object.entries({ host: q.host, ...q.labels }).map(([k, v]) => `${k}=${quote(v)}`);
  return `tidemark_${q.metric}{${matchers.join(',')}}`;
}

interface MatrixAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; values?: [number, string][] }[] };
}

/**
 * A query_range answer as /api/series series: the labels without `__name__`
 * and `host`, points in ms with values as numbers (NaN, ±Inf and non-numbers
 * as null). Throws on an answer that is not a success matrix.
 */
export function parseMatrix(body: unknown, metric: string): SeriesResult[] {
  const a = body as MatrixAnswer;
  if (!a || a.status !== 'success') throw new Error(a?.error ?? 'the answer is not a Prometheus API success');
  if (a.data?.resultType !== 'matrix' || !Array.isArray(a.data.result)) throw new Error('the answer is not a matrix');
  return a.data.result.map((s) => {
    const labels = { ...(s.metric ?? {}) };
    delete labels.__name__;
    delete labels.host;
    const points = (s.values ?? []).map(([t, v]): [number, number | null] => {
      const n = Number(v);
      return [Math.round(Number(t) * 1000), Number.isFinite(n) ? n : null];
    });
    return { metric, labels, points };
  });
}

/**
 * History read from a Prometheus-compatible query API (`--history-url`):
 * VictoriaMetrics, Prometheus, Mimir, Thanos — wherever the servers
 * remote-write to, so any server shows the whole fleet's history.
 */
export class RemoteHistory {
  /** How the dashboard names this store. */
  readonly name: string;

  constructor(
    readonly url: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.name = `shared store ${new URL(url).host}`;
  }

  async query(q: SeriesQuery): Promise<{ stepMs: number; series: SeriesResult[] }> {
    const stepMs = stepFor(q.from, q.to);
    const body = await this.get('/api/v1/query_range', {
      query: selector(q),
      start: String(q.from / 1000),
      end: String(q.to / 1000),
      step: `${stepMs / 1000}s`,
    });
    return { stepMs, series: parseMatrix(body, q.metric) };
  }

  /** Whether the store holds any tidemark series of this host in the last `withinMs`. */
  async hasHost(host: string, withinMs = 30 * 86_400_000): Promise<boolean> {
    const now = Date.now();
    const body = (await this.get('/api/v1/series', {
      'match[]': `{__name__=~"tidemark_.+",host=${quote(host)}}`,
      start: String((now - withinMs) / 1000),
      end: String(now / 1000),
      limit: '1',
    })) as { status?: string; error?: string; data?: unknown[] };
    if (body.status !== 'success') throw new Error(body.error ?? 'the answer is not a Prometheus API success');
    return Array.isArray(body.data) && body.data.length > 0;
  }

  private async get(path: string, params: Record<string, string>): Promise<unknown> {
    const url = new URL(this.url.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new Error(`${this.name} cannot be reached: ${errorMessage(err)}`, { cause: err });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${this.name} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const why = (body as { error?: string }).error ?? text.slice(0, 200);
      throw new Error(`${this.name} answered HTTP ${res.status}: ${why}`);
    }
    return body;
  }
}
