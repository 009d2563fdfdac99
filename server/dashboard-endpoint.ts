import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  MAX_DASHBOARD_FRAME_BYTES,
  dashboardMessageSchema,
  decodeFrame,
  samplesOf,
  type CheckedState,
  type DecodedBatch,
  type HostSummary,
  type ServerToDashboard,
  type WireSample,
  type WireState,
} from '../shared/protocol.js';
import type { Logger } from '../shared/log.js';
import type { HostRegistry } from './hosts.js';
import { frameText } from '../shared/frame-text.js';
import { WS_SUBPROTOCOL } from './access.js';
import type { FleetHealth } from './fleet-health.js';
import { dashboardScope, type DashboardScope } from '../shared/overview.js';
import { OverviewPush } from './overview-push.js';
import { stateProblems } from './host-states.js';
import { LimitedLog } from '../shared/log-limit.js';
import { errorMessage } from '../shared/errors.js';

export interface DashboardEndpointOptions {
  hosts: HostRegistry;
  /** Verdicts for the overview push; without it, `overview` subscriptions get nothing. */
  health?: FleetHealth;
  log: Logger;
  /** How often the overview's changed tiles are pushed (default 2 s). */
  overviewIntervalMs?: number;
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
  /** Slow-client log lines a minute (default 10). */
  logLinesPerMinute?: number;
}

interface Client {
  ws: WebSocket;
  /** The connection under ws, to drop it with an error (see drop). */
  socket: Duplex;
  /** Since when the client has had more than maxQueued bytes unread; null while it keeps up. */
  behindSince: number | null;
  hosts: Set<string>;
  metrics: Set<string> | null;
  overview: boolean;
  /** Whether it is sent every host's changes or only those of the hosts it subscribed to (shared/overview.ts). */
  scope: DashboardScope;
}

/** What a dropped client's queued frames fail with: one error for all of them. */
const DROPPED = new Error('dashboard dropped for not reading');

/** Live pushes to dashboards: host-list changes to everyone, samples to those subscribed to the host. */
export class DashboardEndpoint {
  readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_DASHBOARD_FRAME_BYTES,
    // The browser offers its credential as a subprotocol; the answer must be one it offered, never the credential.
    handleProtocols: (offered) => (offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  private readonly clients = new Set<Client>();
  private readonly maxQueued: number;
  readonly limitedLog: LimitedLog;
  private readonly maxTotalQueued: number;
  /** Clients dropped for not reading. */
  dropped = 0;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly opts: DashboardEndpointOptions) {
    this.maxQueued = opts.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.limitedLog = new LimitedLog(opts.log, opts.logLinesPerMinute);
    this.maxTotalQueued = opts.maxTotalQueuedBytes ?? 64 * 1024 * 1024;
    this.wss.on('connection', (ws, req: IncomingMessage) =>
      this.accept(ws, req.socket, dashboardScope(new URL(req.url ?? '/', 'http://x').search)),
    );
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
    // Destroyed with an error, not ws.terminate(): without one, Node builds an error for each unread frame still
    // queued (thousands per client), and dropping 300 stuck tabs stalled the server for seconds.
    client.socket.destroy(DROPPED);
  }

  private accept(ws: WebSocket, socket: Duplex, scope: DashboardScope): void {
    const client: Client = { ws, socket, behindSince: null, hosts: new Set(), metrics: null, overview: false, scope };
    this.clients.add(client);
    if (scope === 'fleet') this.send(client, { type: 'hosts', hosts: this.opts.hosts.list() });
    ws.on('message', (data) => {
      const decoded = decodeFrame(frameText(data), dashboardMessageSchema);
      if (!decoded.ok) {
        this.send(client, { type: 'error', code: decoded.code, message: decoded.message });
        return;
      }
      const before = client.hosts;
      client.hosts = new Set(decoded.value.hosts);
      client.metrics = decoded.value.metrics ? new Set(decoded.value.metrics) : null;
      const wantsOverview = decoded.value.overview === true;
      if (wantsOverview && !client.overview) this.sendOverview(client);
      client.overview = wantsOverview;
      if (scope === 'subscribed') this.sendSubscribedHosts(client, before);
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
  }

  /**
   * The summaries, with states, of the hosts a `subscribed` client just added
   * (a host view opening): the schema bounds a subscription to 1 000 hosts,
   * and the push goes through the same unread-bytes allowance as any other.
   */
  private sendSubscribedHosts(client: Client, before: Set<string>): void {
    const added = [...client.hosts]
      .filter((h) => !before.has(h))
      .flatMap((h) => this.opts.hosts.get(h) ?? [])
      .map((h) => ({ ...h, inventory: null }));
    if (added.length) this.send(client, { type: 'hosts', partial: true, hosts: added });
  }

  private send(client: Client, msg: ServerToDashboard): void {
    const frame = this.frameOf(msg);
    if (frame !== null) this.sendFrame(client, frame);
  }

  /**
   * JSON of a push, or null when it cannot be written. Agents' values are
   * bounded on arrival (shared/json-limits.ts); this is the second line, so a
   * value that still cannot be serialised costs one push, never the process.
   */
  private frameOf(msg: ServerToDashboard): Buffer | null {
    try {
      return Buffer.from(JSON.stringify(msg));
    } catch (err) {
      this.opts.log.error('could not serialise a dashboard push', { type: msg.type, error: errorMessage(err) });
      return null;
    }
  }

  /** Frames are bytes encoded once per push: every client's queue then shares them, not a copy each. */
  private sendFrame(client: Client, frame: Buffer): void {
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
    ws.send(frame, { binary: false });
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
      const frame = this.frameOf({ type: 'hosts', partial: true, hosts: changed });
      if (frame === null) return;
      for (const c of this.clients) {
        if (c.scope === 'fleet') this.sendFrame(c, frame);
        else {
          const mine = changed.filter((h) => c.hosts.has(h.id));
          if (mine.length) this.send(c, { type: 'hosts', partial: true, hosts: mine });
        }
      }
    }, 1000);
    this.hostsTimer.unref();
  }

  private overviewTimer: NodeJS.Timeout | null = null;
  /** What the overview watchers were last sent, to push only what changed. */
  private readonly overviewPush = new OverviewPush();

  private sendOverview(client: Client): void {
    const health = this.opts.health;
    if (!health) return;
    const now = Date.now();
    const tiles = health.tiles(now);
    this.send(client, { type: 'overview', now, tiles, partial: false });
    // The first watcher's baseline is what it just got; with others watching, the baseline stays theirs.
    if (!this.overviewTimer) this.overviewPush.baseline(tiles);
    this.overviewTimer ??= setInterval(() => this.pushOverview(), this.opts.overviewIntervalMs ?? 2000);
    this.overviewTimer.unref();
  }

  /** The tiles that changed since the last push (and new sparkline points), to every dashboard showing the overview. */
  private pushOverview(): void {
    const watching = [...this.clients].filter((c) => c.overview);
    const health = this.opts.health;
    if (!health || watching.length === 0) {
      if (this.overviewTimer) clearInterval(this.overviewTimer);
      this.overviewTimer = null;
      this.overviewPush.clear();
      return;
    }
    const now = Date.now();
    const push = this.overviewPush.next(health.unsortedTiles(now), now);
    if (push === null) return;
    const frame = Buffer.from(JSON.stringify(push satisfies ServerToDashboard));
    for (const c of watching) this.sendFrame(c, frame);
  }

  publish(host: string, batch: DecodedBatch): void {
    // Nothing is built for a host no one watches (most of them): no samples, and no closure either.
    let all: WireSample[] | null = null; // built only when someone watches this host
    let allFrame: Buffer | null = null; // and serialised once for every client that takes all metrics
    for (const c of this.clients) {
      if (!c.hosts.has(host)) continue;
      all ??= samplesOf(batch);
      const kept = this.opts.hosts.get(host);
      if (c.metrics)
        this.send(
          c,
          samplesMessage(
            host,
            batch,
            all.filter((s) => c.metrics!.has(s.m)),
            kept,
          ),
        );
      else {
        // Serialised once for every client that takes all metrics; a push that cannot be serialised is skipped.
        allFrame ??= this.frameOf(samplesMessage(host, batch, all, kept));
        if (allFrame !== null) this.sendFrame(c, allFrame);
      }
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  close(): void {
    if (this.hostsTimer) clearTimeout(this.hostsTimer);
    if (this.overviewTimer) clearInterval(this.overviewTimer);
    clearInterval(this.sweepTimer);
    for (const c of this.clients) c.ws.terminate();
    this.wss.close();
  }
}

/** A batch's samples (all, or those of the metrics a client asked for) as a dashboard's push. */
function samplesMessage(
  host: string,
  batch: DecodedBatch,
  samples: WireSample[],
  summary: HostSummary | undefined,
): ServerToDashboard {
  return {
    type: 'samples',
    host,
    ts: batch.ts,
    samples,
    ...(batch.stateKinds ? pushedStates(batch.stateKinds, batch.states ?? [], summary) : {}),
  };
}

/**
 * A batch's states as a push carries them. A state set aside for its shape reaches no dashboard: in its place
 * goes what the host keeps for its key (its last good value, as /api/hosts shows it; nothing if it had none),
 * and the push names what was set aside — otherwise the kind's renewal in the tab would drop the key's card.
 */
function pushedStates(stateKinds: string[], states: CheckedState[], summary: HostSummary | undefined) {
  const problems = stateProblems(states);
  if (problems === undefined) return { stateKinds, states };
  const shown: WireState[] = [];
  for (const s of states) {
    if (s.problem === undefined) shown.push(s);
    else {
      const value = summary?.states[s.kind]?.[s.key];
      if (value !== undefined) shown.push({ kind: s.kind, key: s.key, value });
    }
  }
  return { stateKinds, states: shown, stateProblems: problems };
}
