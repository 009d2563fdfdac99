import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { packageRoot } from '../shared/paths.js';
import type { DecodedBatch } from '../shared/protocol.js';
import express from 'express';
import type { Logger } from '../shared/log.js';
import { AgentEndpoint } from './agent-endpoint.js';
import { DashboardEndpoint } from './dashboard-endpoint.js';
import { HostRegistry } from './hosts.js';
import { FleetHealth } from './fleet-health.js';
import { apiRouter } from './api.js';
import { isLoopback } from './auth.js';
import { Access, type Principal } from './access.js';
import type { TokenStore } from './token-store.js';
import { clientCertificateIdentity, createTlsServer, type TlsOptions } from './tls.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import { Alerts, type AlertsOptions } from './alerts/index.js';
import type { RemoteWrite } from './remote-write/index.js';
import { ConnectionGuard, type ConnectionLimitOptions } from './connection-limits.js';
import type { SeriesLimitOptions } from './series-limits.js';
import { resourceMetricsText } from './resource-metrics.js';
import type { HaStatus } from './ha.js';
import type { RemoteHistory } from './history-remote.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** The shared agent token: agents present it (or their own from `tokens`); it may write as any agent id. */
  agentToken: string;
  /** Admin credential for people (API, dashboard, silences, acks); with no person credential at all the API is open, which is allowed only on loopback. */
  apiToken: string | null;
  /** Read-only credential for people. */
  readToken?: string | null;
  /** Per-agent and per-person credentials (`tidemark token add`). */
  tokens?: TokenStore | null;
  /** Serve HTTPS and wss; with clientCaFile, agents must present a certificate naming their agent id. */
  tls?: TlsOptions | null;
  /** Host names besides loopback ones a browser may use to reach an open (credential-less) server. */
  allowedHosts?: string[];
  /** Batches stamped further ahead of or behind the server's clock are refused (defaults 5 min and 48 h). */
  maxFutureMs?: number;
  maxPastMs?: number;
  log: Logger;
  store?: Store;
  /** Directory with the built dashboard (index.html, app.js). */
  webDir?: string;
  /** Per-agent frame rate limit (sustained per second, and burst for replays). */
  agentRate?: { perSecond: number; burst: number };
  /** Bad frames in a row after which an agent connection is closed (default 20). */
  maxBadFrames?: number;
  /** The highest agent protocol accepted (default PROTOCOL_VERSION; see AgentEndpointOptions.maxProtocol). */
  agentMaxProtocol?: number;
  /** Agent acks sent at most in a window of 10 ms (server/ack-pacer.ts). */
  agentAcksPerWindow?: number;
  /** Longest stretch of agents' frames handled in one turn of the event loop (ingest-queue.ts; tests shorten it). */
  agentIngestSliceMs?: number;
  /** Log lines of one kind a peer can cause, a minute (default 10); the rest are counted in /metrics. */
  logLinesPerMinute?: number;
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
  /** Sends every stored sample to Prometheus-compatible stores; closed with the server. */
  remoteWrite?: RemoteWrite | null;
  /** This server is half of an HA pair: shown in /healthz with its warning about direct receivers. */
  ha?: HaStatus | null;
  /** History ranges read from a shared Prometheus-compatible store (`--history-url`) instead of this server's. */
  history?: RemoteHistory | null;
}

/** The built dashboard lives in dist/web below the package root, whether this file runs from src or dist. */
export function defaultWebDir(): string {
  return path.join(packageRoot(), 'dist', 'web');
}

export class TidemarkServer {
  readonly hosts = new HostRegistry();
  readonly health = new FleetHealth(this.hosts);
  readonly store: Store;
  readonly agents: AgentEndpoint;
  readonly dashboards: DashboardEndpoint;
  readonly alerts: Alerts | null;
  /** Batches and samples stored since start, for /healthz and the benchmarks. */
  readonly ingested = { batches: 0, samples: 0 };
  readonly access: Access;
  private readonly http: http.Server;
  private readonly stopTls: () => void = () => {};
  readonly connections: ConnectionGuard;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: ServerOptions) {
    if (!opts.agentToken) throw new Error('an agent token is required');
    this.access = new Access(opts);
    if (!isLoopback(opts.host) && this.access.open) {
      throw new Error(
        `refusing to serve the dashboard and API on ${opts.host} without a credential for people: ` +
          'set --api-token (admin) or --read-token, or add one with `tidemark token add NAME --role read`',
      );
    }
    this.store = opts.store ?? new MemoryStore();
    for (const [host, lastSeen] of this.store.knownHosts()) this.hosts.remembered(host, lastSeen);
    this.dashboards = new DashboardEndpoint({
      hosts: this.hosts,
      health: this.health,
      log: opts.log.child('dashboard'),
      maxQueuedBytes: opts.dashboardMaxQueuedBytes,
      slowGraceMs: opts.dashboardSlowGraceMs,
      maxTotalQueuedBytes: opts.dashboardMaxTotalQueuedBytes,
      logLinesPerMinute: opts.logLinesPerMinute,
    });
    this.agents = this.agentEndpoint();
    this.connections = new ConnectionGuard(opts.connectionLimits);
    this.hosts.onChange = (id) => this.dashboards.hostChanged(id);
    this.alerts = opts.alerts
      ? new Alerts(
          { hostStates: (id) => this.hosts.get(id)?.states, ...opts.alerts },
          opts.log,
          () => new Map(this.hosts.list().map((h) => [h.id, h.lastSeen ?? this.startedAt])),
        )
      : null;
    // Retired hosts stay out of the list after a restart, though the store still has their history.
    for (const id of this.alerts?.engine.retiredHosts() ?? []) this.hosts.forget(id);

    const app = this.app();
    const { server, stopTls } = this.httpServer(app);
    this.http = server;
    if (stopTls) this.stopTls = stopTls;
    this.connections.attach(this.http);
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  /** The agents' WebSocket endpoint; every stored batch fans out from it. */
  private agentEndpoint(): AgentEndpoint {
    return new AgentEndpoint({
      store: this.store,
      hosts: this.hosts,
      log: this.opts.log.child('agents'),
      onBatch: (host, batch) => this.fanOut(host, batch),
      ratePerSecond: this.opts.agentRate?.perSecond,
      rateBurst: this.opts.agentRate?.burst,
      maxBadFrames: this.opts.maxBadFrames,
      maxProtocol: this.opts.agentMaxProtocol,
      acksPerWindow: this.opts.agentAcksPerWindow,
      ingestSliceMs: this.opts.agentIngestSliceMs,
      logLinesPerMinute: this.opts.logLinesPerMinute,
      maxFutureMs: this.opts.maxFutureMs,
      maxPastMs: this.opts.maxPastMs,
      seriesLimits: this.opts.seriesLimits,
      helloTimeoutMs: this.opts.connectionLimits?.handshakeTimeoutMs,
    });
  }

  /** A stored batch goes to fleet health, dashboards, the alert engine and remote write. */
  private fanOut(host: string, batch: DecodedBatch): void {
    this.ingested.batches++;
    this.ingested.samples += batch.values.length;
    this.health.observe(host, batch);
    this.dashboards.publish(host, batch);
    const shape =
      batch.slots && batch.tableVersion !== undefined ? { version: batch.tableVersion, slots: batch.slots } : undefined;
    this.alerts?.engine.ingestValues(host, batch.ts, batch.series, batch.values, shape);
    this.opts.remoteWrite?.ingest(host, batch);
  }

  /** The HTTP app: access check first, then the API, then the built dashboard. */
  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    // Routes match exactly as written; the access check below works on the normalised path anyway.
    app.set('case sensitive routing', true);
    app.set('strict routing', true);
    app.use((req, res, next) => {
      const d = this.access.http(req);
      if (d.ok) return next();
      if (d.status === 403) this.opts.log.warn('request refused', { path: req.path, reason: d.reason });
      res.status(d.status).json({ error: d.reason });
    });
    app.use(
      apiRouter(
        this.store,
        this.hosts,
        this.startedAt,
        this.alerts,
        this.ingested,
        this.opts.remoteWrite ?? null,
        this.health,
        () => resourceMetricsText(this.connections, this.agents, this.dashboards),
        {
          ha: this.opts.ha ?? null,
          history: this.opts.history ?? null,
          ingestQueue: () => this.agents.ingest.stats(),
        },
      ),
    );
    const webDir = this.opts.webDir ?? defaultWebDir();
    app.use(express.static(webDir, { index: 'index.html', maxAge: '1h' }));
    // Browsers and tools that ignore the page's <link rel=icon> still ask for /favicon.ico.
    app.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'));
    return app;
  }

  /** Plain HTTP or TLS, with timeouts for slow or silent clients. */
  private httpServer(app: express.Express): { server: http.Server; stopTls?: () => void } {
    // Slow or silent clients: Node checks these timeouts every connectionsCheckingInterval (30 s by default).
    const timeouts = {
      headersTimeout: this.opts.headersTimeoutMs ?? 10_000,
      requestTimeout: this.opts.requestTimeoutMs ?? 30_000,
      connectionsCheckingInterval: 1000,
    };
    if (this.opts.tls) {
      const t = createTlsServer(this.opts.tls, app, this.opts.log.child('tls'), timeouts);
      return { server: t.server, stopTls: t.stop };
    }
    return { server: http.createServer(timeouts, app) };
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.connections.handshakeDone(req.socket);
    // Exact paths only: /WS/agent or /ws/agent/ is not an endpoint.
    const pathname = (req.url ?? '/').split('?', 1)[0];
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const remote = req.socket.remoteAddress;
    if (pathname === '/ws/agent') {
      const d = this.access.agentSocket(req);
      if (!d.ok) {
        this.opts.log.warn('agent refused', { remote, reason: d.reason });
        return refuse(d.status, d.status === 401 ? 'Unauthorized' : 'Forbidden');
      }
      const who = this.bindCertificate(d.who!, req);
      if ('error' in who) {
        this.opts.log.warn('agent refused', { remote, reason: who.error });
        return refuse(403, 'Forbidden');
      }
      this.agents.wss.handleUpgrade(req, socket, head, (ws) => this.agents.accept(ws, req, who));
      return;
    }
    if (pathname === '/ws/dashboard') {
      const d = this.access.dashboardSocket(req);
      if (!d.ok) {
        if (d.status === 403) this.opts.log.warn('dashboard socket refused', { remote, reason: d.reason });
        return refuse(d.status, d.status === 401 ? 'Unauthorized' : 'Forbidden');
      }
      this.dashboards.wss.handleUpgrade(req, socket, head, (ws) => this.dashboards.wss.emit('connection', ws, req));
      return;
    }
    refuse(404, 'Not Found');
  }

  /** With mutual TLS, an agent is who its certificate says; a token bound to another id is refused. */
  private bindCertificate(who: Principal, req: http.IncomingMessage): Principal | { error: string } {
    if (!this.opts.tls?.clientCaFile) return who;
    const cert = clientCertificateIdentity(req.socket);
    if ('error' in cert) return cert;
    if (who.agentId !== null && who.agentId !== cert.id)
      return { error: `token of agent ${who.agentId} used with the certificate of ${cert.id}` };
    return { ...who, agentId: cert.id, name: `certificate ${cert.id}` };
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
    await this.agents.close();
    this.dashboards.close();
    this.stopTls();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.opts.remoteWrite?.close();
    await this.store.close();
  }
}
