import { WebSocketServer, type WebSocket } from 'ws';
import {
  MAX_DASHBOARD_FRAME_BYTES,
  dashboardMessageSchema,
  decodeFrame,
  samplesOf,
  type DecodedBatch,
  type ServerToDashboard,
  type WireSample,
} from '../shared/protocol.js';
import type { Logger } from '../shared/log.js';
import type { HostRegistry } from './hosts.js';
import { LimitedLog } from '../shared/log-limit.js';

export interface DashboardEndpointOptions {
  hosts: HostRegistry;
  log: Logger;
  /**
   * Bytes a client may leave unread in its socket for longer than
   * `slowGraceMs` (default 10 s) before it is dropped, or at all past 16 times
   * as much: a tab that stopped reading must not grow the server's memory, but
   * one large push (a fleet connecting at once) is not a reason to drop it.
   */
  maxQueuedBytes?: number;
  slowGraceMs?: number;
  /**
   * Unread bytes all clients together may hold (default 64 MiB): past it the
   * clients furthest behind are dropped first. This is what bounds the
   * server's memory with hundreds of tabs that stopped reading.
   */
  maxTotalQueuedBytes?: number;
}

interface Client {
  ws: WebSocket;
  /** Since when the client has had more than maxQueued bytes unread; null while it keeps up. */
  behindSince: number | null;
  hosts: Set<string>;
  metrics: Set<string> | null;
}

export const CLOSE_SLOW_CONSUMER = 4008;

/** Live pushes to dashboards: host-list changes to everyone, samples to those subscribed to the host. */
export class DashboardEndpoint {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_DASHBOARD_FRAME_BYTES });
  private readonly clients = new Set<Client>();
  private readonly maxQueued: number;
  readonly limitedLog: LimitedLog;
  private readonly maxTotalQueued: number;
  /** Clients dropped for not reading. */
  dropped = 0;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly opts: DashboardEndpointOptions) {
    this.maxQueued = opts.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.limitedLog = new LimitedLog(opts.log);
    this.maxTotalQueued = opts.maxTotalQueuedBytes ?? 64 * 1024 * 1024;
    this.wss.on('connection', (ws) => this.accept(ws));
    // Checked on a timer as well as on each send: a client that is sent nothing more still holds what it has not read.
    this.sweepTimer = setInterval(() => this.sweep(), 250);
    this.sweepTimer.unref();
  }

  /** Drops clients behind for longer than the grace, then the furthest behind until all together are within budget. */
  private sweep(): void {
    let total = 0;
    const behind: Client[] = [];
    for (const c of this.clients) {
      const queued = c.ws.bufferedAmount;
      if (queued <= this.maxQueued) {
        c.behindSince = null;
        continue;
      }
      c.behindSince ??= Date.now();
      if (Date.now() - c.behindSince > (this.opts.slowGraceMs ?? 10_000)) this.drop(c);
      else {
        total += queued;
        behind.push(c);
      }
    }
    if (total <= this.maxTotalQueued) return;
    behind.sort((a, b) => b.ws.bufferedAmount - a.ws.bufferedAmount);
    for (const c of behind) {
      if (total <= this.maxTotalQueued) break;
      total -= c.ws.bufferedAmount;
      this.drop(c);
    }
  }

  private drop(client: Client): void {
    this.dropped++;
    this.limitedLog.warn('slow dashboard', 'dropping a dashboard client that does not read', {
      queuedBytes: client.ws.bufferedAmount,
    });
    this.clients.delete(client);
    client.ws.terminate();
  }

  private accept(ws: WebSocket): void {
    const client: Client = { ws, behindSince: null, hosts: new Set(), metrics: null };
    this.clients.add(client);
    this.send(client, { type: 'hosts', hosts: this.opts.hosts.list() });
    ws.on('message', (data) => {
      const decoded = decodeFrame(data.toString(), dashboardMessageSchema);
      if (!decoded.ok) {
        this.send(client, { type: 'error', code: decoded.code, message: decoded.message });
        return;
      }
      client.hosts = new Set(decoded.value.hosts);
      client.metrics = decoded.value.metrics ? new Set(decoded.value.metrics) : null;
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
  }

  private send(client: Client, msg: ServerToDashboard): void {
    this.sendFrame(client, JSON.stringify(msg));
  }

  private sendFrame(client: Client, frame: string): void {
    const ws = client.ws;
    if (ws.readyState !== ws.OPEN) return;
    const queued = ws.bufferedAmount;
    if (queued <= this.maxQueued) client.behindSince = null;
    else client.behindSince ??= Date.now();
    if (
      queued > 16 * this.maxQueued ||
      (client.behindSince !== null && Date.now() - client.behindSince > (this.opts.slowGraceMs ?? 10_000))
    ) {
      this.drop(client);
      return;
    }
    ws.send(frame);
  }

  private hostsTimer: NodeJS.Timeout | null = null;
  private readonly changedHosts = new Set<string>();

  /**
   * Host-list changes reach dashboards at most once a second, as the changed
   * hosts only (`partial`) and without inventories: when a fleet of thousands
   * connects at once, a full list per change would be quadratic traffic, and
   * one list of 5000 hosts is larger than a client's send allowance. A
   * dashboard gets the full list when it connects and fetches details from
   * /api/hosts.
   */
  hostChanged(id: string): void {
    this.changedHosts.add(id);
    if (this.hostsTimer) return;
    this.hostsTimer = setTimeout(() => {
      this.hostsTimer = null;
      const changed = [...this.changedHosts]
        .flatMap((h) => this.opts.hosts.get(h) ?? [])
        .map((h) => ({ ...h, inventory: null }));
      this.changedHosts.clear();
      const frame = JSON.stringify({ type: 'hosts', partial: true, hosts: changed } satisfies ServerToDashboard);
      for (const c of this.clients) this.sendFrame(c, frame);
    }, 1000);
    this.hostsTimer.unref();
  }

  publish(host: string, batch: DecodedBatch): void {
    let all: WireSample[] | null = null; // built only when someone watches this host
    let allFrame: string | null = null; // and serialised once for every client that takes all metrics
    const message = (samples: WireSample[]): ServerToDashboard => ({
      type: 'samples',
      host,
      ts: batch.ts,
      samples,
      ...(batch.stateKinds ? { stateKinds: batch.stateKinds, states: batch.states ?? [] } : {}),
    });
    for (const c of this.clients) {
      if (!c.hosts.has(host)) continue;
      all ??= samplesOf(batch);
      if (c.metrics) this.send(c, message(all.filter((s) => c.metrics!.has(s.m))));
      else this.sendFrame(c, (allFrame ??= JSON.stringify(message(all))));
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  close(): void {
    if (this.hostsTimer) clearTimeout(this.hostsTimer);
    clearInterval(this.sweepTimer);
    for (const c of this.clients) c.ws.terminate();
    this.wss.close();
  }
}
