import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import {
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type DecodedBatch,
  type ErrorCode,
  type Hello,
  type InventoryMessage,
  type ServerToAgent,
} from '../shared/protocol.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { frameBytes, frameText } from '../shared/frame-text.js';
import { SessionSeries, decodeAgentFrame } from './agent-frames.js';
import { SlotStoreIds } from './slot-store-ids.js';
import { decodeBinaryFrame } from './agent-binary-frames.js';
import { StateNotice } from './state-notice.js';
import type { AgentEndpoint } from './agent-endpoint.js';
import type { Principal } from './access.js';
import type { CommitWaiters, DurableWaiter } from './commit-waiters.js';
import { errorMessage } from '../shared/errors.js';

/** Close codes the agent endpoint uses (4000-4999 are for applications). */
export const CLOSE_REPLACED = 4000;
export const CLOSE_PROTOCOL = 4002;
export const CLOSE_FORBIDDEN = 4003;
export const CLOSE_RATE_LIMITED = 4029;
export const CLOSE_TOO_MANY_BAD_FRAMES = 4030;

/**
 * Acks to one connection at most this often (the first at once): each is a
 * socket write, and one covers every batch before it. A fleet sending a
 * batch a second otherwise gets an ack a second per agent, ~8 % of the
 * server's main thread in writes at 3 000 agents.
 */
export const ACK_INTERVAL_MS = 2000;

/** Idle connections are pinged this often; one that missed the last ping is dropped. */
const HEARTBEAT_MS = 20_000;

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

/**
 * One agent connection: its hello, the session's series table (protocol 2)
 * and each entry's series number in the store, the last sequence stored, and
 * the frames it has sent wrong in a row. Every frame is validated; batches
 * are stored, acknowledged once durable, de-duplicated by sequence number.
 */
export class AgentSession implements DurableWaiter {
  private hello: Hello | null = null;
  /** The protocol of this connection: the hello's (one above this server's is refused). */
  private protocol = 0;
  private lastSeq = 0;
  /** The highest sequence known durable, and whether its ack is about to go out. */
  private durableSeq = 0;
  private ackQueued = false;
  /**
   * The waiters of the commit the newest batch waits on, and this session's place among them (where the
   * highest sequence that commit makes durable, and the hello it belongs to, are kept).
   */
  private durableWait: CommitWaiters | null = null;
  private durablePlace = 0;
  /** When the last ack went out, and the timer of the next while acks are spaced (ACK_INTERVAL_MS). */
  private lastAckAt = -Infinity;
  private ackTimer: NodeJS.Timeout | null = null;
  /** Counts the acks queued: a place in the pacer's line is good for the ack it was taken for only. */
  private ackTicket = 0;
  private badInARow = 0;
  private alive = true;
  private readonly table = new SessionSeries();
  private readonly storeIds = new SlotStoreIds();
  /** A refused series is told once per connection (the refusals are counted in /metrics). */
  private limitNoted = false;
  private readonly stateNotice = new StateNotice();
  private readonly bucket: TokenBucket;
  private readonly remote: string;
  private readonly heartbeat: NodeJS.Timeout;
  private helloDeadline: NodeJS.Timeout;
  /** Frames received and not yet handled (waiting in the ingest queue). */
  private unhandled = 0;

  constructor(
    private readonly endpoint: AgentEndpoint,
    private readonly ws: WebSocket,
    req: IncomingMessage,
    /** Which agent ids this connection may write as. */
    private readonly who: Principal,
  ) {
    const o = endpoint.opts;
    this.remote = req.socket.remoteAddress ?? 'unknown';
    this.bucket = new TokenBucket(o.ratePerSecond ?? 50, o.rateBurst ?? 5000);
    this.heartbeat = setInterval(() => this.checkAlive(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.helloDeadline = setTimeout(() => this.noHelloInTime(), o.helloTimeoutMs ?? 10_000);
    this.helloDeadline.unref();
    ws.on('pong', () => (this.alive = true));
    ws.on('message', (data, isBinary) => this.onArrival(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) =>
      o.log.warn('agent socket error', { agent: this.hello?.agentId ?? this.remote, error: err.message }),
    );
  }

  private get log() {
    return this.endpoint.opts.log;
  }

  private send(msg: ServerToAgent): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private checkAlive(): void {
    // A connection the ingest queue paused is silent because of this server, not the agent.
    if (!this.alive && !this.endpoint.ingest.isPaused(this.ws)) return void this.ws.terminate();
    this.alive = false;
    this.ws.ping();
  }

  private noHelloInTime(): void {
    if (this.hello) return;
    if (this.unhandled > 0) {
      // The agent sent its frames in time; they wait behind others' in the ingest queue.
      this.helloDeadline = setTimeout(() => this.noHelloInTime(), this.endpoint.opts.helloTimeoutMs ?? 10_000);
      this.helloDeadline.unref();
      return;
    }
    this.endpoint.helloTimeouts++;
    this.ws.terminate();
  }

  /** A bad frame gets an error reply and is dropped; too many in a row close the connection. */
  private reject(code: ErrorCode, message: string): void {
    this.badInARow++;
    const host = this.hello && this.endpoint.opts.hosts.get(this.hello.agentId);
    if (host) host.stats.badFrames++;
    const agent = this.hello?.agentId ?? this.remote;
    this.endpoint.limitedLog.warn('bad frame', 'bad frame from agent', { agent, code, message });
    this.send({ type: 'error', code, message });
    if (this.badInARow >= (this.endpoint.opts.maxBadFrames ?? 20))
      this.ws.close(CLOSE_TOO_MANY_BAD_FRAMES, 'too many bad frames');
  }

  /** The rate is the agent's, counted as frames arrive; handling waits its turn in the ingest queue. */
  private onArrival(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (!this.bucket.take()) {
      this.send({ type: 'error', code: 'rate_limited', message: 'too many frames; reconnect and replay later' });
      this.ws.close(CLOSE_RATE_LIMITED, 'rate limited');
      return;
    }
    this.unhandled++;
    this.endpoint.ingest.submit(this.ws, this.handleFrame, data, isBinary);
  }

  /** One function per session for the ingest queue to call, not a closure per frame. */
  private readonly handleFrame = (data: RawData, isBinary: boolean): void => {
    this.unhandled--;
    this.onFrame(data, isBinary);
  };

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary && !this.hello) return this.reject('hello_required', 'send a hello before anything else');
    if (isBinary && this.protocol < 3)
      return this.reject('bad_frame', `binary batch frames need protocol 3; this connection speaks ${this.protocol}`);
    const decoded = isBinary
      ? decodeBinaryFrame(frameBytes(data), this.table)
      : decodeAgentFrame(frameText(data), this.table);
    if (!decoded.ok) return this.reject(decoded.code, decoded.message);
    const msg = decoded.value;
    if (msg.type === 'hello') return this.onHello(msg);
    if (!this.hello) return this.reject('hello_required', 'send a hello before anything else');
    this.badInARow = 0;
    if (msg.type === 'inventory') this.onInventory(msg);
    else this.onBatch(this.hello, msg);
  }

  private onHello(msg: Hello): void {
    const { opts, live } = this.endpoint;
    const highest = opts.maxProtocol ?? PROTOCOL_VERSION;
    if (msg.protocol < MIN_PROTOCOL_VERSION || msg.protocol > highest) {
      this.send({
        type: 'error',
        code: 'unsupported_protocol',
        message: `protocol ${msg.protocol} not supported; this server speaks ${MIN_PROTOCOL_VERSION}..${highest}`,
      });
      this.ws.close(CLOSE_PROTOCOL, 'unsupported protocol');
      return;
    }
    if (!this.mayWriteAs(msg.agentId)) return;
    this.badInARow = 0;
    this.hello = keptOfHello(msg);
    this.forgetAcks();
    this.protocol = msg.protocol;
    this.table.reset(msg.series);
    this.storeIds.reset();
    const previous = live.get(msg.agentId);
    if (previous && previous !== this.ws) previous.close(CLOSE_REPLACED, 'replaced by a newer connection');
    live.set(msg.agentId, this.ws);
    this.lastSeq = opts.store.lastSeq(msg.agentId, msg.session);
    opts.hosts.connected(msg, Date.now());
    this.log.info('agent connected', {
      agent: msg.agentId,
      hostname: msg.hostname,
      version: msg.agentVersion,
      remote: this.remote,
      lastSeq: this.lastSeq,
    });
    // The agent's own version back: it is within this server's range, and it is what the agent may send.
    // The agent lets go of every batch up to the welcome's lastSeq: only those on disk. Batches stored but
    // still waiting for their commit come again, are counted as duplicates, and are acked once it lands.
    const durable = opts.store.durableSeq(msg.agentId, msg.session);
    this.send({ type: 'welcome', protocol: msg.protocol, serverVersion: TIDEMARK_VERSION, lastSeq: durable });
  }

  /** Whether this connection may write as `agentId`; if not, says why to the agent and closes the connection. */
  private mayWriteAs(agentId: string): boolean {
    const who = this.who;
    if (who.agentId === null || who.agentId === agentId) return true;
    this.log.warn('agent refused: writes as another agent', { credential: who.name, agentId, remote: this.remote });
    this.send({
      type: 'error',
      code: 'forbidden',
      message: `this credential may only write as agent "${who.agentId}", not "${agentId}"`,
    });
    this.ws.close(CLOSE_FORBIDDEN, 'agent id not allowed for this credential');
    return false;
  }

  private onInventory(msg: InventoryMessage): void {
    const host = this.endpoint.opts.hosts.get(this.hello!.agentId);
    if (host) host.inventory = msg.inventory;
  }

  private onBatch(hello: Hello, msg: DecodedBatch): void {
    // None is taken while shutting down: unacknowledged, the agent sends it again (here or elsewhere).
    if (this.endpoint.closing) return;
    const { opts } = this.endpoint;
    const now = Date.now();
    const host = opts.hosts.get(hello.agentId);
    const skew = this.timestampProblem(msg.ts, now);
    if (skew) {
      this.endpoint.refusedTimestamps++;
      if (host) host.stats.badFrames++;
      this.log.warn('batch refused: timestamp', { agent: hello.agentId, seq: msg.seq, reason: skew });
      this.send({ type: 'error', code: 'bad_timestamp', message: `batch ${msg.seq}: ${skew}` });
      return;
    }
    if (msg.seq <= this.lastSeq) {
      if (host) host.stats.duplicates++;
      // lastSeq may name a batch still on its way to disk: its ack waits as the batch's own does (and stays in order).
      this.ackWhenDurable(this.lastSeq);
      return;
    }
    if (this.lastSeq > 0 && msg.seq > this.lastSeq + 1 && host) host.stats.gaps += msg.seq - this.lastSeq - 1;
    const stored = this.store(hello, msg);
    if (!stored) return;
    this.lastSeq = msg.seq;
    if (host) host.stats.batches++;
    opts.hosts.seen(hello.agentId, now, msg);
    const told = msg.states && this.stateNotice.note(hello.agentId, msg.seq, msg.states, this.endpoint, this.log);
    if (told) this.send({ type: 'error', code: 'bad_frame', message: told });
    this.ackWhenDurable(msg.seq);
    opts.onBatch(hello.agentId, stored);
  }

  /**
   * Acknowledge only what is on disk: an acked batch is one the agent forgets.
   * Acks are cumulative, so the batches one commit made durable get one ack,
   * of the highest (a replay of dozens of batches: one frame, not dozens).
   */
  private ackWhenDurable(seq: number): void {
    const on = this.endpoint.opts.store.whenDurable();
    const pending = this.durableWait;
    // The store hands out one promise per commit: a later batch of the same commit only raises what its ack names.
    if (pending !== null && pending.on === on) return pending.raise(this.durablePlace, seq);
    const waiters = this.endpoint.durableWaits.for(on);
    this.durableWait = waiters;
    this.durablePlace = waiters.add(this, seq, this.hello);
  }

  /** A commit this session waited on is on disk (commit-waiters.ts). */
  durableReached(commit: CommitWaiters, seq: number, hello: Hello | null): void {
    if (this.durableWait === commit) this.durableWait = null;
    // A batch of a session this connection has since left: its number means nothing to the new one.
    if (hello === this.hello) this.durable(seq);
  }

  /**
   * A new hello on this connection starts a new session, numbered from 1 again: an ack still to come for
   * the previous one would name its numbers (batch 5 of the old session acked as the new session's 5).
   * Unacknowledged, those batches are the agent's to send again.
   */
  private forgetAcks(): void {
    this.durableSeq = 0;
    this.durableWait = null;
    this.unqueueAck();
  }

  /** Batches up to `seq` are on disk: their ack goes out now, or once the connection's spacing allows. */
  private durable(seq: number): void {
    if (seq > this.durableSeq) this.durableSeq = seq;
    if (this.ackQueued) return;
    this.ackQueued = true;
    this.ackTicket++;
    const wait = this.lastAckAt + ACK_INTERVAL_MS - performance.now();
    // A commit resolves all its waiters at once: a microtask runs after every one of them.
    if (this.endpoint.closing) return queueMicrotask(this.sendAck);
    this.endpoint.pendingAcks.add(this.sendAck);
    const ticket = this.ackTicket;
    if (wait <= 0) return queueMicrotask(() => this.paceAck(ticket));
    this.ackTimer = setTimeout(this.paceAck, wait, ticket);
  }

  /**
   * When the ack with `ticket` is due, it goes out in its turn among the fleet's (ack-pacer.ts: no burst of
   * a fleet's acks). Its place in line is for that queued ack only: if it is taken back meanwhile (a second
   * hello, the connection closing) and another queued, the place sends nothing, and the other waits for its
   * own spacing. One function each per session, the ticket passed along: no closures per ack.
   */
  private readonly paceAck = (ticket: number): void => this.endpoint.acks.submit(this.sendAckOf, ticket);
  private readonly sendAckOf = (ticket: number): boolean => ticket === this.ackTicket && this.sendAck();

  /** Sends the ack of the highest durable sequence (also called by the endpoint as it closes); false if none was queued. */
  private readonly sendAck = (): boolean => {
    if (!this.unqueueAck()) return false;
    this.lastAckAt = performance.now();
    this.send({ type: 'ack', seq: this.durableSeq });
    return true;
  };

  /** Takes back the ack about to go out, if one is (its timer, its place among the endpoint's pending acks). */
  private unqueueAck(): boolean {
    if (!this.ackQueued) return false;
    this.ackQueued = false;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.endpoint.pendingAcks.delete(this.sendAck);
    return true;
  }

  /** Stores a batch's samples (less those of series the limits refuse); null, with the connection closed, if the store fails. */
  private store(hello: Hello, msg: DecodedBatch): DecodedBatch | null {
    const { store } = this.endpoint.opts;
    try {
      const ids = this.storeIdsOf(hello.agentId, msg);
      // The ids kept from the last batch hold no refusal (SlotStoreIds keeps no other).
      const refused = !this.storeIds.isLast(ids) && ids.includes(-1);
      const stored = refused ? withoutRefused(msg, ids) : msg;
      store.appendValues(msg.ts, stored === msg ? ids : ids.filter((id) => id >= 0), stored.values);
      store.setLastSeq(hello.agentId, hello.session, msg.seq);
      return stored;
    } catch (err) {
      // Not acknowledged, so the agent keeps the batch and sends it again.
      this.log.error('storing a batch failed', { agent: hello.agentId, seq: msg.seq, error: errorMessage(err) });
      this.send({ type: 'error', code: 'internal', message: 'could not store the batch; it will be retried' });
      this.ws.close(1011, 'store failure');
      return null;
    }
  }

  /** Each sample's series number in the store (-1: refused by the series limits); protocol 2 resolves each slot once. */
  private storeIdsOf(agentId: string, msg: DecodedBatch): Int32Array {
    if (!msg.slots) return Int32Array.from(msg.series, (s) => this.storeIdOf(agentId, s.m, s.l));
    const entries = this.table.entries;
    return (
      this.storeIds.last(msg.slots) ??
      this.storeIds.resolve(msg.slots, (slot) => this.storeIdOf(agentId, entries[slot]!.m, entries[slot]!.l))
    );
  }

  /** A series' number in the store, or -1 if the series limits refuse it (told to the agent once per connection). */
  private storeIdOf(agentId: string, metric: string, labels: Record<string, string> | undefined): number {
    const r = this.endpoint.seriesLimits.resolve(agentId, metric, labels);
    if ('id' in r) return r.id;
    if (!this.limitNoted) this.send({ type: 'error', code: 'series_limit', message: r.refused });
    this.limitNoted = true;
    return -1;
  }

  /** Why a batch's timestamp is out of bounds for this server's clock, or null. */
  private timestampProblem(ts: number, now: number): string | null {
    const ahead = this.endpoint.opts.maxFutureMs ?? 5 * 60_000;
    const behind = this.endpoint.opts.maxPastMs ?? 48 * 3_600_000;
    if (ts <= now + ahead && ts >= now - behind) return null;
    const at = new Date(ts).toISOString();
    if (ts > now + ahead)
      return `stamped ${at}, more than ${ahead / 1000} s ahead of the server's clock (${new Date(now).toISOString()}); check the agent host's clock`;
    if (ts < now - behind)
      return `stamped ${at}, more than ${behind / 3_600_000} h behind the server's clock (${new Date(now).toISOString()})`;
    return null;
  }

  private onClose(): void {
    clearInterval(this.heartbeat);
    // Taken back: its place in the ack pacer's line, if it has one, then sends nothing and costs no budget.
    this.unqueueAck();
    clearTimeout(this.helloDeadline);
    this.endpoint.ingest.forget(this.ws);
    const { live, opts } = this.endpoint;
    if (this.hello && live.get(this.hello.agentId) === this.ws) {
      live.delete(this.hello.agentId);
      opts.hosts.disconnected(this.hello.agentId, Date.now());
      this.log.info('agent disconnected', { agent: this.hello.agentId });
    }
  }
}

/**
 * What a session keeps of its hello: not its series table (the session's
 * `table` has it, shared per series) nor its inventory (the host registry
 * has it). Kept whole, the hello's table was an array, a labels object and
 * strings per series of every connected agent.
 */
function keptOfHello(msg: Hello): Hello {
  const { type, protocol, agentId, session, hostname, agentVersion } = msg;
  return { type, protocol, agentId, session, hostname, agentVersion, inventory: null };
}

/** A batch without the samples of series the limits refused (ids -1): the rest is stored and acknowledged. */
function withoutRefused(batch: DecodedBatch, ids: Int32Array): DecodedBatch {
  const keep: number[] = [];
  ids.forEach((id, i) => id >= 0 && keep.push(i));
  return {
    ...batch,
    series: keep.map((i) => batch.series[i]!),
    values: Float64Array.from(keep, (i) => batch.values[i]!),
    ...(batch.slots ? { slots: keep.map((i) => batch.slots![i]!) } : {}),
  };
}
