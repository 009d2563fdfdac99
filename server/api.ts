import express, { type Request, type Response, type NextFunction } from 'express';
import type { IngestQueueStats } from './ingest-queue.js';
import { METRICS, metricDef } from '../shared/catalogue.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { errorMessage } from '../shared/errors.js';
import type { Store } from './store/store.js';
import type { HostRegistry } from './hosts.js';
import type { Alerts } from './alerts/index.js';
import { alertsRouter } from './alerts/api.js';
import { prometheusText } from './prometheus.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RemoteWrite } from './remote-write/index.js';
import { remoteWriteMetricsText } from './remote-write/metrics.js';
import type { FleetHealth } from './fleet-health.js';
import type { HaStatus } from './ha.js';
import type { RemoteHistory } from './history-remote.js';
import type { HostSummary } from '../shared/protocol.js';

/**
 * Event-loop delay over the last full 10 s window: the one figure that shows a
 * server falling behind (every frame, ack and push waits in that queue).
 */
function eventLoopWindow(): () => { p50: number; p99: number; max: number } | null {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let last: { p50: number; p99: number; max: number } | null = null;
  setInterval(() => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    last = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
    h.reset();
  }, 10_000).unref();
  return () => last;
}

/** Parses a time parameter: epoch milliseconds, an ISO date, or `now-15m`-style relative time. */
export function parseTime(raw: unknown, fallback: number, now: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string') throw new ApiError(400, 'time must be a single value');
  if (/^\d+$/.test(raw)) return Number(raw);
  const rel = /^now(?:-(\d+)(ms|s|m|h|d))?$/.exec(raw);
  if (rel) {
    if (!rel[1]) return now;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(rel[1]) * unit;
  }
  const parsed = Date.parse(raw);
  if (Number.isNaN(parsed)) throw new ApiError(400, `"${raw}" is not a time: use epoch ms, an ISO date or now-15m`);
  return parsed;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Optional parts of the API, by name (HA pair status, …). */
export interface ApiExtras {
  ha?: HaStatus | null;
  /** Where /api/series reads history (`--history-url`); null: this server's own store. */
  history?: RemoteHistory | null;
  /** The agents' frames waiting for a slice, and how many waited or paused a connection since start. */
  ingestQueue?: () => IngestQueueStats;
}

const RESERVED = new Set(['host', 'metric', 'from', 'to', 'source']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Where a chart's points came from, for the dashboard to say. */
type SeriesSource = { kind: 'local' | 'remote'; name: string };
const LOCAL: SeriesSource = { kind: 'local', name: 'this server' };

/** A host this server has never seen but the shared history store has: no live data, no states. */
function historyOnlyHost(id: string): HostSummary {
  return {
    id,
    hostname: id,
    connected: false,
    lastSeen: null,
    connectedSince: null,
    agentVersion: null,
    protocol: null,
    collectors: [],
    states: {},
    inventory: null,
    stats: { batches: 0, duplicates: 0, gaps: 0, badFrames: 0 },
  };
}

/** What the route groups below read: the server's parts, passed once. */
interface ApiContext {
  store: Store;
  hosts: HostRegistry;
  startedAt: number;
  alerts: Alerts | null;
  ingested: { batches: number; samples: number };
  remoteWrite: RemoteWrite | null;
  health: FleetHealth | null;
  resourceMetrics: () => string;
  more: ApiExtras;
  loopDelay: () => { p50: number; p99: number; max: number } | null;
}

/** /healthz and /metrics: what probes and Prometheus scrape. */
function healthRoutes(r: express.Router, c: ApiContext): void {
  r.get('/healthz', (_req, res) => {
    const list = c.hosts.list();
    // 503 while history or alert state cannot be written: agents are not acknowledged then, and a probe should know.
    const storeFailure = c.store.failure;
    const alertStateFailure = c.alerts?.engine.saveFailure ?? null;
    // Storage errors (unreadable rows, a database set aside at start) keep the status degraded for an hour.
    const storageErrors = c.store.storageErrors();
    const recentStorageError = storageErrors.some((e) => Date.now() - e.at < 3_600_000);
    const degraded = storeFailure !== null || alertStateFailure !== null || recentStorageError;
    res.status(degraded ? 503 : 200).json({
      status: degraded ? 'degraded' : 'ok',
      storeFailure,
      alertStateFailure,
      storageErrors,
      version: TIDEMARK_VERSION,
      uptimeSeconds: Math.round((Date.now() - c.startedAt) / 1000),
      hosts: list.length,
      agentsConnected: list.filter((h) => h.connected).length,
      ingested: c.ingested,
      persistedSamples: c.store.samplesWritten,
      eventLoopDelayMs: c.loopDelay(),
      ingestQueue: c.more.ingestQueue?.() ?? null,
      remoteWrite: c.remoteWrite?.stats() ?? null,
      ha: c.more.ha ?? null,
      history: c.more.history ? { url: c.more.history.url, name: c.more.history.name } : null,
    });
  });

  r.get('/metrics', (_req, res) => {
    const rw = c.remoteWrite ? remoteWriteMetricsText(c.remoteWrite.stats()) : '';
    res
      .type('text/plain; version=0.0.4; charset=utf-8')
      .send(prometheusText(c.store, c.hosts) + rw + c.resourceMetrics());
  });
}

/** The catalogue, hosts (list, one, retire), the overview and replica sets. */
function hostRoutes(r: express.Router, c: ApiContext): void {
  r.get('/api/catalogue', (_req, res) => {
    res.json(METRICS);
  });

  // The list leaves inventories out: a fleet's would be megabytes, and dashboards poll the list.
  r.get('/api/hosts', (_req, res) => {
    res.json(c.hosts.list().map((h) => ({ ...h, inventory: null })));
  });

  r.get('/api/hosts/:id', async (req, res) => {
    const host = c.hosts.get(req.params.id);
    if (host) return void res.json(host);
    // Another server's host: its history is in the shared store, its live view on that server.
    if (c.more.history && (await c.more.history.hasHost(req.params.id).catch(() => false)))
      return void res.json(historyOnlyHost(req.params.id));
    throw new ApiError(404, `unknown host "${req.params.id}"; see /api/hosts`);
  });

  // The overview: one tile per host with the server's verdict, worst first (no states, no inventories).
  r.get('/api/overview', (_req, res) => {
    if (!c.health) throw new ApiError(404, 'no overview on this server');
    res.json({ now: Date.now(), tiles: c.health.tiles() });
  });

  // Replica sets with their members mapped to the hosts they run on.
  r.get('/api/replsets', (_req, res) => {
    if (!c.health) throw new ApiError(404, 'no replica-set view on this server');
    res.json({ now: Date.now(), sets: c.health.replsets() });
  });

  // Retiring a host: its alerts resolve and its silence stops counting; its history stays queryable.
  r.delete('/api/hosts/:id', (req, res) => {
    const id = req.params.id;
    const host = c.hosts.get(id);
    if (!host) throw new ApiError(404, `unknown host "${id}"; see /api/hosts`);
    if (host.connected)
      throw new ApiError(409, `the agent of "${id}" is connected: stop it first, then retire the host`);
    const alertsResolved = c.alerts?.engine.retire(id) ?? 0;
    c.hosts.forget(id);
    res.json({ retired: id, alertsResolved, history: 'kept' });
  });
}

/** /api/series: one metric of one host over a range, from this store or the shared history store. */
function seriesRoute(r: express.Router, c: ApiContext): void {
  r.get('/api/series', async (req, res) => {
    const host = req.query.host;
    const metric = req.query.metric;
    if (typeof host !== 'string' || host === '') throw new ApiError(400, 'host is required');
    if (typeof metric !== 'string' || metric === '') throw new ApiError(400, 'metric is required');
    if (!metricDef(metric)) throw new ApiError(400, `unknown metric "${metric}"; see /api/catalogue`);
    const source = req.query.source ?? 'history';
    if (source !== 'history' && source !== 'local') throw new ApiError(400, 'source must be history or local');
    // The live view's backfill asks for `local`; history ranges go to the shared store when there is one.
    const remote = source === 'history' ? (c.more.history ?? null) : null;
    // a retired host's history stays queryable; the shared store answers for hosts of other servers
    if (!remote && !c.hosts.get(host) && !c.alerts?.engine.retiredHosts().includes(host))
      throw new ApiError(404, `unknown host "${host}"; see /api/hosts`);
    const now = Date.now();
    const from = parseTime(req.query.from, now - 15 * 60_000, now);
    const to = parseTime(req.query.to, now, now);
    if (from > to) throw new ApiError(400, 'from is after to');
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) {
      if (RESERVED.has(k)) continue;
      if (typeof v !== 'string') throw new ApiError(400, `label filter ${k} must be a single value`);
      if (remote && !LABEL_NAME.test(k)) throw new ApiError(400, `label filter ${k}: not a valid label name`);
      labels[k] = v;
    }
    if (remote) {
      const answer = await remote.query({ host, metric, labels, from, to }).catch((err: unknown) => {
        throw new ApiError(502, errorMessage(err));
      });
      const src: SeriesSource = { kind: 'remote', name: remote.name };
      return void res.json({ host, metric, from, to, resolutionMs: answer.stepMs, source: src, series: answer.series });
    }
    res.json({
      host,
      metric,
      from,
      to,
      resolutionMs: c.store.resolutionFor(from, to)?.stepMs ?? null,
      source: LOCAL,
      series: c.store.query({ host, metric, labels, from, to }),
    });
  });
}

export function apiRouter(
  store: Store,
  hosts: HostRegistry,
  startedAt: number,
  alerts: Alerts | null = null,
  ingested = { batches: 0, samples: 0 },
  remoteWrite: RemoteWrite | null = null,
  health: FleetHealth | null = null,
  /** The server's own counters (limits, refusals), appended to /metrics. */
  resourceMetrics: () => string = () => '',
  more: ApiExtras = {},
): express.Router {
  const r = express.Router();
  if (alerts) r.use(alertsRouter(alerts));
  const c: ApiContext = {
    store,
    hosts,
    startedAt,
    alerts,
    ingested,
    remoteWrite,
    health,
    resourceMetrics,
    more,
    loopDelay: eventLoopWindow(),
  };
  healthRoutes(r, c);
  hostRoutes(r, c);
  seriesRoute(r, c);
  r.use('/api', (_req, _res, next) => next(new ApiError(404, 'no such API endpoint')));

  // express 5 forwards thrown errors (sync and async) here.
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof ApiError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    res.status(500).json({ error: 'internal error' });
  });
  return r;
}
