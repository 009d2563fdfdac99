import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { packageRoot } from '../shared/paths.js';
import express from 'express';
import type { Logger } from '../shared/log.js';
import { AgentEndpoint } from './agent-endpoint.js';
import { DashboardEndpoint } from './dashboard-endpoint.js';
import { HostRegistry } from './hosts.js';
import { apiRouter } from './api.js';
import { isLoopback, presentedToken, tokenMatches } from './auth.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import { Alerts, type AlertsOptions } from './alerts/index.js';
import { ConnectionGuard, type ConnectionLimitOptions } from './connection-limits.js';
import type { SeriesLimitOptions } from './series-limits.js';
import { resourceMetricsText } from './resource-metrics.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** Agents must present this token. */
  agentToken: string;
  /** Dashboard and API credential; null leaves them open, which is allowed only on loopback. */
  apiToken: string | null;
  log: Logger;
  store?: Store;
  /** Directory with the built dashboard (index.html, app.js). */
  webDir?: string;
  /** Per-agent frame rate limit (sustained per second, and burst for replays). */
  agentRate?: { perSecond: number; burst: number };
  /** Unread bytes a dashboard client may keep for dashboardSlowGraceMs before it is dropped. */
  dashboardMaxQueuedBytes?: number;
  dashboardSlowGraceMs?: number;
  /** Unread bytes all dashboard clients together may hold before the furthest behind are dropped. */
  dashboardMaxTotalQueuedBytes?: number;
  /** TCP connection caps and the handshake deadline (connection-limits.ts). */
  connectionLimits?: Partial<ConnectionLimitOptions>;
  /** Series per agent and server-wide (series-limits.ts). */
  seriesLimits?: Partial<SeriesLimitOptions>;
  /** HTTP request headers must arrive within this (default 10 s), a whole request within requestTimeoutMs (default 30 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Alert rules and receivers; null runs without alerting. */
  alerts?: AlertsOptions | null;
}

/** The built dashboard lives in dist/web below the package root, whether this file runs from src or dist. */
export function defaultWebDir(): string {
  return path.join(packageRoot(), 'dist', 'web');
}

export class TidemarkServer {
  readonly hosts = new HostRegistry();
  readonly store: Store;
  readonly agents: AgentEndpoint;
  readonly dashboards: DashboardEndpoint;
  readonly alerts: Alerts | null;
  /** Batches and samples stored since start, for /healthz and the benchmarks. */
  readonly ingested = { batches: 0, samples: 0 };
  private readonly http: http.Server;
  readonly connections: ConnectionGuard;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: ServerOptions) {
    if (!isLoopback(opts.host) && !opts.apiToken) {
      throw new Error(`refusing to serve the dashboard and API on ${opts.host} without a credential: set a token`);
    }
    if (!opts.agentToken) throw new Error('an agent token is required');
    this.store = opts.store ?? new MemoryStore();
    for (const [host, lastSeen] of this.store.knownHosts()) this.hosts.remembered(host, lastSeen);
    this.dashboards = new DashboardEndpoint({
      hosts: this.hosts,
      log: opts.log.child('dashboard'),
      maxQueuedBytes: opts.dashboardMaxQueuedBytes,
      slowGraceMs: opts.dashboardSlowGraceMs,
      maxTotalQueuedBytes: opts.dashboardMaxTotalQueuedBytes,
    });
    this.agents = new AgentEndpoint({
      store: this.store,
      hosts: this.hosts,
      log: opts.log.child('agents'),
      onBatch: (host, batch) => {
        this.ingested.batches++;
        this.ingested.samples += batch.values.length;
        this.dashboards.publish(host, batch);
        this.alerts?.engine.ingestValues(host, batch.ts, batch.series, batch.values);
      },
      ratePerSecond: opts.agentRate?.perSecond,
      rateBurst: opts.agentRate?.burst,
      seriesLimits: opts.seriesLimits,
      helloTimeoutMs: opts.connectionLimits?.handshakeTimeoutMs,
    });
    this.connections = new ConnectionGuard(opts.connectionLimits);
    this.hosts.onChange = (id) => this.dashboards.hostChanged(id);
    this.alerts = opts.alerts
      ? new Alerts(
          opts.alerts,
          opts.log,
          () => new Map(this.hosts.list().map((h) => [h.id, h.lastSeen ?? this.startedAt])),
        )
      : null;

    const app = express();
    app.disable('x-powered-by');
    app.use((req, res, next) => {
      // /healthz stays open so load balancers and `tidemark start` can probe it.
      if (!opts.apiToken || req.path === '/healthz' || (!req.path.startsWith('/api') && req.path !== '/metrics'))
        return next();
      if (tokenMatches(presentedToken(req), opts.apiToken)) return next();
      res.status(401).json({ error: 'a credential is required: Authorization: Bearer <token>' });
    });
    app.use(
      apiRouter(this.store, this.hosts, this.startedAt, this.alerts, this.ingested, () =>
        resourceMetricsText(this.connections, this.agents, this.dashboards),
      ),
    );
    const webDir = opts.webDir ?? defaultWebDir();
    app.use(express.static(webDir, { index: 'index.html', maxAge: '1h' }));
    // Slow or silent clients: Node checks these timeouts every connectionsCheckingInterval (30 s by default).
    this.http = http.createServer(
      {
        headersTimeout: opts.headersTimeoutMs ?? 10_000,
        requestTimeout: opts.requestTimeoutMs ?? 30_000,
        connectionsCheckingInterval: 1000,
      },
      app,
    );
    this.connections.attach(this.http);
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.connections.handshakeDone(req.socket);
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (pathname === '/ws/agent') {
      if (!tokenMatches(presentedToken(req), this.opts.agentToken)) {
        this.opts.log.warn('agent refused: bad or missing token', { remote: req.socket.remoteAddress });
        return refuse(401, 'Unauthorized');
      }
      this.agents.wss.handleUpgrade(req, socket, head, (ws) => this.agents.wss.emit('connection', ws, req));
      return;
    }
    if (pathname === '/ws/dashboard') {
      if (this.opts.apiToken && !tokenMatches(presentedToken(req), this.opts.apiToken))
        return refuse(401, 'Unauthorized');
      this.dashboards.wss.handleUpgrade(req, socket, head, (ws) => this.dashboards.wss.emit('connection', ws, req));
      return;
    }
    refuse(404, 'Not Found');
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    this.alerts?.start();
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off('error', reject);
        const addr = this.http.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.opts.port);
      });
    });
  }

  async close(): Promise<void> {
    this.alerts?.stop();
    this.agents.close();
    this.dashboards.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.store.close();
  }
}
