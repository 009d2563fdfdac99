import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  MAX_AGENT_FRAME_BYTES,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type DecodedBatch,
  type ErrorCode,
  type Hello,
  type ServerToAgent,
} from '../shared/protocol.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { SessionSeries, decodeAgentFrame } from './agent-frames.js';
import type { Logger } from '../shared/log.js';
import type { Store } from './store/store.js';
import type { HostRegistry } from './hosts.js';
import { frameText } from '../shared/frame-text.js';
import type { Principal } from './access.js';
import { LimitedLog } from '../shared/log-limit.js';
import { SeriesLimits, type SeriesLimitOptions } from './series-limits.js';

export interface AgentEndpointOptions {
  store: Store;
  hosts: HostRegistry;
  log: Logger;
  /** Called after a batch is stored, to fan it out to dashboards and rules. */
  onBatch: (host: string, batch: DecodedBatch) => void;
  /** Sustained frames per second one agent may send, and the burst above it (a replay after an outage). */
  ratePerSecond?: number;
  rateBurst?: number;
  /** Consecutive bad frames after which the connection is closed. */
  maxBadFrames?: number;
  /**
   * Batches stamped further ahead of the server's clock than this, or further
   * behind, are refused with an error the agent logs: the store keeps one
   * series in time order, so a batch from 2100 would hide every later one.
   */
  maxFutureMs?: number;
  maxPastMs?: number;
  /** Series per agent and server-wide (see series-limits.ts). */
  seriesLimits?: Partial<SeriesLimitOptions>;
  /** An upgraded agent connection must send its hello within this (default 10 s). */
  helloTimeoutMs?: number;
  /** Bad-frame log lines a minute (default 10). */
  logLinesPerMinute?: number;
}

/** A shared agent token may write as any agent id; no principal is the test harness's direct accept. */
const ANY_AGENT: Principal = { role: 'agent', name: 'shared agent token', agentId: null };

/** A token bucket: `take()` is false once the agent sends faster than allowed. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Close codes the agent endpoint uses (4000-4999 are for applications). */
export const CLOSE_REPLACED = 4000;
export const CLOSE_PROTOCOL = 4002;
export const CLOSE_FORBIDDEN = 4003;
export const CLOSE_RATE_LIMITED = 4029;
export const CLOSE_TOO_MANY_BAD_FRAMES = 4030;

/**
 * The agents' WebSocket endpoint. The caller authenticates the upgrade; here
 * every frame is validated, batches are acknowledged by sequence number and
 * replays de-duplicated. A bad frame gets an error reply and is dropped; the
 * connection and every other agent carry on.
 */
export class AgentEndpoint {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_AGENT_FRAME_BYTES });
  private readonly live = new Map<string, WebSocket>();
  readonly seriesLimits: SeriesLimits;
  /** Bad-frame warnings are rate limited: a flood of them must not fill the disk with log. */
  readonly limitedLog: LimitedLog;
  /** Connections closed for sending no hello in time. */
  helloTimeouts = 0;

  /** Batches refused for their timestamps, since start. */
  refusedTimestamps = 0;

  // Connections reach accept() from the server's upgrade handler, with the caller's principal.
  constructor(private readonly opts: AgentEndpointOptions) {
    this.seriesLimits = new SeriesLimits(opts.store, opts.seriesLimits);
    this.limitedLog = new LimitedLog(opts.log, opts.logLinesPerMinute);
  }

  /** Serves one authenticated agent connection; `who` says which agent ids it may write as. */
  accept(ws: WebSocket, req: IncomingMessage, who: Principal = ANY_AGENT): void {
    const log = this.opts.log;
    const remote = req.socket.remoteAddress ?? 'unknown';
    const bucket = new TokenBucket(this.opts.ratePerSecond ?? 50, this.opts.rateBurst ?? 5000);
    const maxBad = this.opts.maxBadFrames ?? 20;
    let hello: Hello | null = null;
    let lastSeq = 0;
    let badInARow = 0;
    let alive = true;
    // Protocol 2: the session's series table, and each entry's series number in the store, resolved once.
    const table = new SessionSeries();
    let storeIds: number[] = [];
    // A refused series is told once per connection (the refusals are counted in /metrics).
    let limitNoted = false;

    const send = (msg: ServerToAgent) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const reject = (code: ErrorCode, message: string) => {
      badInARow++;
      if (hello) {
        const h = this.opts.hosts.get(hello.agentId);
        if (h) h.stats.badFrames++;
      }
      this.limitedLog.warn('bad frame', 'bad frame from agent', { agent: hello?.agentId ?? remote, code, message });
      send({ type: 'error', code, message });
      if (badInARow >= maxBad) ws.close(CLOSE_TOO_MANY_BAD_FRAMES, 'too many bad frames');
    };

    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 20_000);
    heartbeat.unref();
    ws.on('pong', () => (alive = true));
    const helloDeadline = setTimeout(() => {
      if (hello) return;
      this.helloTimeouts++;
      ws.terminate();
    }, this.opts.helloTimeoutMs ?? 10_000);
    helloDeadline.unref();

    ws.on('message', (data, isBinary) => {
      alive = true;
      if (!bucket.take()) {
        send({ type: 'error', code: 'rate_limited', message: 'too many frames; reconnect and replay later' });
        ws.close(CLOSE_RATE_LIMITED, 'rate limited');
        return;
      }
      if (isBinary) return reject('bad_frame', 'binary frames are not part of the protocol');
      const decoded = decodeAgentFrame(frameText(data), table);
      if (!decoded.ok) return reject(decoded.code, decoded.message);
      const msg = decoded.value;
      const now = Date.now();

      if (msg.type === 'hello') {
        if (msg.protocol < MIN_PROTOCOL_VERSION || msg.protocol > PROTOCOL_VERSION) {
          send({
            type: 'error',
            code: 'unsupported_protocol',
            message: `protocol ${msg.protocol} not supported; this server speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
          });
          ws.close(CLOSE_PROTOCOL, 'unsupported protocol');
          return;
        }
        if (!this.mayWriteAs(who, msg.agentId, ws, remote)) return;
        badInARow = 0;
        hello = msg;
        table.reset(msg.series);
        storeIds = [];
        const previous = this.live.get(msg.agentId);
        if (previous && previous !== ws) previous.close(CLOSE_REPLACED, 'replaced by a newer connection');
        this.live.set(msg.agentId, ws);
        lastSeq = this.opts.store.lastSeq(msg.agentId, msg.session);
        this.opts.hosts.connected(msg, now);
        log.info('agent connected', {
          agent: msg.agentId,
          hostname: msg.hostname,
          version: msg.agentVersion,
          remote,
          lastSeq,
        });
        send({ type: 'welcome', protocol: PROTOCOL_VERSION, serverVersion: TIDEMARK_VERSION, lastSeq });
        return;
      }
      if (!hello) return reject('hello_required', 'send a hello before anything else');
      badInARow = 0;
      const host = this.opts.hosts.get(hello.agentId);

      if (msg.type === 'inventory') {
        if (host) host.inventory = msg.inventory;
        return;
      }

      // batch
      const skew = this.timestampProblem(msg.ts, now);
      if (skew) {
        this.refusedTimestamps++;
        if (host) host.stats.badFrames++;
        log.warn('batch refused: timestamp', { agent: hello.agentId, seq: msg.seq, reason: skew });
        send({ type: 'error', code: 'bad_timestamp', message: `batch ${msg.seq}: ${skew}` });
        return;
      }
      if (msg.seq <= lastSeq) {
        if (host) host.stats.duplicates++;
        send({ type: 'ack', seq: lastSeq });
        return;
      }
      if (lastSeq > 0 && msg.seq > lastSeq + 1 && host) host.stats.gaps += msg.seq - lastSeq - 1;
      let stored: DecodedBatch;
      try {
        const agentId = hello.agentId;
        const resolve = (m: string, l: Record<string, string> | undefined) => {
          const r = this.seriesLimits.resolve(agentId, m, l);
          if ('id' in r) return r.id;
          if (!limitNoted) send({ type: 'error', code: 'series_limit', message: r.refused });
          limitNoted = true;
          return -1;
        };
        const ids = msg.slots
          ? msg.slots.map((slot) => (storeIds[slot] ??= resolve(table.entries[slot]!.m, table.entries[slot]!.l)))
          : msg.series.map((s) => resolve(s.m, s.l));
        stored = ids.includes(-1) ? withoutRefused(msg, ids) : msg;
        this.opts.store.appendValues(msg.ts, stored === msg ? ids : ids.filter((id) => id >= 0), stored.values);
        this.opts.store.setLastSeq(hello.agentId, hello.session, msg.seq);
      } catch (err) {
        // Not acknowledged, so the agent keeps the batch and sends it again.
        log.error('storing a batch failed', { agent: hello.agentId, seq: msg.seq, error: (err as Error).message });
        send({ type: 'error', code: 'internal', message: 'could not store the batch; it will be retried' });
        ws.close(1011, 'store failure');
        return;
      }
      lastSeq = msg.seq;
      if (host) host.stats.batches++;
      this.opts.hosts.seen(hello.agentId, now, msg);
      // Acknowledge only what is on disk: an acked batch is one the agent forgets.
      const acked = lastSeq;
      const durable = this.opts.store.whenDurable?.();
      if (durable) void durable.then(() => send({ type: 'ack', seq: acked }));
      else send({ type: 'ack', seq: acked });
      this.opts.onBatch(hello.agentId, stored);
    });

    ws.on('close', () => {
      clearInterval(heartbeat);
      clearTimeout(helloDeadline);
      if (hello && this.live.get(hello.agentId) === ws) {
        this.live.delete(hello.agentId);
        this.opts.hosts.disconnected(hello.agentId, Date.now());
        log.info('agent disconnected', { agent: hello.agentId });
      }
    });
    ws.on('error', (err) => log.warn('agent socket error', { agent: hello?.agentId ?? remote, error: err.message }));
  }

  /** Whether `who` may write as `agentId`; if not, says why to the agent and closes the connection. */
  private mayWriteAs(who: Principal, agentId: string, ws: WebSocket, remote: string): boolean {
    if (who.agentId === null || who.agentId === agentId) return true;
    this.opts.log.warn('agent refused: writes as another agent', { credential: who.name, agentId, remote });
    const refusal: ServerToAgent = {
      type: 'error',
      code: 'forbidden',
      message: `this credential may only write as agent "${who.agentId}", not "${agentId}"`,
    };
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(refusal));
    ws.close(CLOSE_FORBIDDEN, 'agent id not allowed for this credential');
    return false;
  }

  /** Why a batch's timestamp is out of bounds for this server's clock, or null. */
  private timestampProblem(ts: number, now: number): string | null {
    const ahead = this.opts.maxFutureMs ?? 5 * 60_000;
    const behind = this.opts.maxPastMs ?? 48 * 3_600_000;
    const at = new Date(ts).toISOString();
    if (ts > now + ahead)
      return `stamped ${at}, more than ${ahead / 1000} s ahead of the server's clock (${new Date(now).toISOString()}); check the agent host's clock`;
    if (ts < now - behind)
      return `stamped ${at}, more than ${behind / 3_600_000} h behind the server's clock (${new Date(now).toISOString()})`;
    return null;
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

/** A batch without the samples of series the limits refused (ids -1): the rest is stored and acknowledged. */
function withoutRefused(batch: DecodedBatch, ids: number[]): DecodedBatch {
  const keep = ids.flatMap((id, i) => (id >= 0 ? [i] : []));
  return {
    ...batch,
    series: keep.map((i) => batch.series[i]!),
    values: Float64Array.from(keep, (i) => batch.values[i]!),
    ...(batch.slots ? { slots: keep.map((i) => batch.slots![i]!) } : {}),
  };
}
