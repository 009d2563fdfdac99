import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_AGENT_FRAME_BYTES, type DecodedBatch } from '../shared/protocol.js';
import type { Logger } from '../shared/log.js';
import type { Store } from './store/store.js';
import type { HostRegistry } from './hosts.js';
import type { Principal } from './access.js';
import { LimitedLog } from '../shared/log-limit.js';
import { SeriesLimits, type SeriesLimitOptions } from './series-limits.js';
import { AgentSession } from './agent-session.js';
import { IngestQueue } from './ingest-queue.js';
import { readIntoSharedBuffer } from './socket-reads.js';
import { AckPacer } from './ack-pacer.js';
import { DurableWaits } from './commit-waiters.js';

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
  /**
   * The highest protocol version this endpoint accepts (default
   * PROTOCOL_VERSION); a lower one makes it answer as an older server would,
   * e.g. to try agents against one that speaks only protocol 2.
   */
  maxProtocol?: number;
  /** Acks sent at most in a window of ACK_WINDOW_MS (ack-pacer.ts; default ACKS_PER_WINDOW). */
  acksPerWindow?: number;
  /** Longest stretch of frames handled in one turn of the event loop (default INGEST_SLICE_MS). */
  ingestSliceMs?: number;
  /** Bad-frame log lines a minute (default 10). */
  logLinesPerMinute?: number;
}

/** A shared agent token may write as any agent id; no principal is the test harness's direct accept. */
const ANY_AGENT: Principal = { role: 'agent', name: 'shared agent token', agentId: null };

/**
 * The agents' WebSocket endpoint. The caller authenticates the upgrade; here
 * every frame is validated, batches are acknowledged by sequence number and
 * replays de-duplicated. A bad frame gets an error reply and is dropped; the
 * connection and every other agent carry on.
 */
export class AgentEndpoint {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_AGENT_FRAME_BYTES });
  /** The connection of each agent id that said hello (a newer one replaces it). */
  readonly live = new Map<string, WebSocket>();
  readonly seriesLimits: SeriesLimits;
  /** Bad-frame warnings are rate limited: a flood of them must not fill the disk with log. */
  readonly limitedLog: LimitedLog;
  /** Every connection's frames, handled in slices so the event loop keeps answering (see ingest-queue.ts). */
  readonly ingest: IngestQueue;
  /** Due acks, at a bounded rate (see ack-pacer.ts). */
  readonly acks: AckPacer;
  /** The sessions waiting on the newest commit, one list for them all (commit-waiters.ts). */
  readonly durableWaits = new DurableWaits();
  /** Acks waiting for their connection's spacing (ACK_INTERVAL_MS) or their turn; close() sends them at once. */
  readonly pendingAcks = new Set<() => boolean>();
  /** Connections closed for sending no hello in time. */
  helloTimeouts = 0;

  /** Batches refused for their timestamps, since start. */
  refusedTimestamps = 0;
  /** States set aside for their shape (their batches stored), since start. */
  badStates = 0;
  /** Set by close(): batches are no longer taken. */
  closing = false;
  /** Whether the log already said that sockets are read without the shared buffer (socket-reads.ts). */
  private toldOwnReads = false;

  // Connections reach accept() from the server's upgrade handler, with the caller's principal.
  constructor(readonly opts: AgentEndpointOptions) {
    this.seriesLimits = new SeriesLimits(opts.store, opts.seriesLimits);
    this.limitedLog = new LimitedLog(opts.log, opts.logLinesPerMinute);
    this.acks = new AckPacer(opts.acksPerWindow);
    this.ingest = new IngestQueue(opts.ingestSliceMs);
  }

  /** Serves one authenticated agent connection; `who` says which agent ids it may write as. */
  accept(ws: WebSocket, req: IncomingMessage, who: Principal = ANY_AGENT): void {
    if (!readIntoSharedBuffer(ws) && !this.toldOwnReads) {
      this.toldOwnReads = true;
      this.opts.log.warn('agent sockets read as Node reads them: this Node or ws lacks the shared read buffer');
    }
    new AgentSession(this, ws, req, who);
  }

  /**
   * Takes no more batches, lets what is stored become durable so its acks go
   * out, then closes each connection: an agent failing over to another server
   * then replays only what this one does not hold.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.opts.store.whenDurable().catch(() => {});
    for (const sendAck of [...this.pendingAcks]) sendAck();
    const sockets = [...this.wss.clients];
    for (const ws of sockets) ws.close(1001, 'server shutting down');
    await Promise.race([
      Promise.all(sockets.map((ws) => new Promise((r) => (ws.readyState === ws.CLOSED ? r(0) : ws.once('close', r))))),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
