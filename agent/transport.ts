import WebSocket from 'ws';
import { MAX_AGENT_FRAME_BYTES, PROTOCOL_VERSION, decodeServerToAgent } from '../shared/wire.js';
import type { Batch, Hello } from '../shared/protocol.js';
import type { Logger } from '../shared/log.js';
import { UnackedBuffer } from './buffer.js';
import { BatchEncoder, binaryToJsonBatch } from './batch-encoder.js';
import { frameText } from '../shared/frame-text.js';
import { readFileSync } from 'node:fs';
import type { Spool } from './spool.js';
import { ServerList, probeHealth } from './server-list.js';

/** How the agent checks the server over wss://, and the certificate it shows for mutual TLS. */
export interface AgentTlsOptions {
  /** PEM CA(s) to trust instead of the system's store. */
  caFile?: string;
  /** Accept any server certificate (anyone on the path can then read the token). */
  insecureSkipVerify?: boolean;
  /** Client certificate and key for mutual TLS. */
  certFile?: string;
  keyFile?: string;
}
export interface TransportOptions {
  /**
   * ws://host:port of the server; the agent path is appended. Several,
   * comma-separated, are tried in order: see ServerList and failbackMs.
   */
  serverUrl: string;
  token: string;
  /** Called on every (re)connect so the hello carries the latest inventory. */
  hello: () => Hello;
  bufferCapacity: number;
  log: Logger;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Reconnect when nothing arrived from the server for this long. */
  silenceTimeoutMs?: number;
  tls?: AgentTlsOptions;
  /** On a server other than the first, how often to check whether the first is back (default 30 s). */
  failbackMs?: number;
  /** A copy of the unacknowledged batches on disk, for a restart to replay; null keeps them in memory only. */
  spool?: Spool | null;
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** TLS settings for the socket, read once; warnings for a token that could be read on the way. */
function socketTls(
  urls: readonly URL[],
  tls: AgentTlsOptions,
  log: Logger,
): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean } {
  for (const url of urls)
    if (url.protocol === 'ws:' && !LOOPBACK_HOST.test(url.host.replace(/:\d+$/, '')))
      log.warn(
        'the agent token is sent to a non-loopback server over plain ws://: anyone on the path can read it; use wss://',
        { server: url.origin },
      );
  if (tls.insecureSkipVerify)
    log.warn(
      "INSECURE: --insecure-skip-verify: the server's certificate is not checked; anyone on the path can pose as the server and read the token",
    );
  return {
    ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
    ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
    ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
    rejectUnauthorized: !tls.insecureSkipVerify,
  };
}

/** Error codes of a certificate the agent refused, as Node reports them. */
const CERT_ERRORS =
  /CERT|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED/;

/** Error codes of the agent's own certificate, key or CA file that OpenSSL refused to load. */
const OWN_TLS_ERRORS = /^ERR_OSSL_/;

/** Stop writing to the socket while this much is queued in it; the buffer holds the rest. */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
/** When failing back, how long the current server gets to acknowledge what it was sent before the switch. */
const FAILBACK_DRAIN_MS = 5000;
/** What an agent says to a server that refused PROTOCOL_VERSION: the last version before binary batches. */
const OLDER_PROTOCOL = 2;

/**
 * The agent's link to the server: authenticates with a bearer token, keeps
 * every batch until the server acknowledges it, replays the unacknowledged
 * ones in order after a reconnect, and reconnects with exponential backoff and
 * full jitter so a fleet does not stampede a restarted server.
 *
 * With several servers, a connection that fails or drops moves to the next
 * one in the list (after a short jittered pause; the exponential backoff
 * counts whole rounds). On any server but the first, the agent checks the
 * first's /healthz every failbackMs and, once it answers, stops sending,
 * lets the current server acknowledge what it has, and moves back. Sequence
 * numbers, buffer and spool belong to the agent, not to a connection: each
 * server's welcome says what it already holds, and the rest is replayed.
 */
export class AgentTransport {
  readonly buffer: UnackedBuffer;
  /** Names each series once per session; the hello carries its whole table. */
  readonly encoder = new BatchEncoder();
  private ws: WebSocket | null = null;
  private ready = false;
  /** Highest seq written to the current connection. */
  private sentSeq = 0;
  /** The protocol of the current connection's hello, and whether its welcome lets batches go binary. */
  private helloProtocol = PROTOCOL_VERSION;
  private binary = false;
  /**
   * Servers that refused PROTOCOL_VERSION with `unsupported_protocol` (older
   * ones): they get protocol 2 and JSON batches until a connection to them
   * ends, and the next one tries PROTOCOL_VERSION again (the server may have
   * been upgraded meanwhile).
   */
  private readonly olderServers = new Set<string>();
  /** Set when the server refused this hello's protocol: reconnect at once with the older one. */
  private retryOlder = false;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private failbackTimer: NodeJS.Timeout | null = null;
  /** Set while draining the current server before moving back to the first. */
  private failingBack = false;
  private readonly servers: ServerList;
  private readonly failbackMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly silenceTimeoutMs: number;
  /** Called with each state change, for logs and tests. */
  onState: (state: 'connecting' | 'ready' | 'disconnected', detail?: string) => void = () => {};

  private readonly tls: ReturnType<typeof socketTls>;

  constructor(private readonly opts: TransportOptions) {
    this.servers = new ServerList(opts.serverUrl);
    this.tls = socketTls(
      this.servers.urls.map((u) => new URL(u)),
      opts.tls ?? {},
      opts.log,
    );
    this.failbackMs = opts.failbackMs ?? 30_000;
    this.buffer = new UnackedBuffer(opts.bufferCapacity);
    this.initialBackoffMs = opts.initialBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.silenceTimeoutMs = opts.silenceTimeoutMs ?? 45_000;
  }

  get spool(): Spool | null {
    return this.opts.spool ?? null;
  }

  get connected(): boolean {
    return this.ready;
  }

  /** The server connected to, or being tried. */
  get server(): string {
    return this.servers.current;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.spool?.close();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    this.stopFailbackChecks();
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'agent stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    }
  }

  /** Queues a batch; it is sent now if connected, else after the next reconnect. */
  send(batch: Batch): void {
    const dropped = this.encoder.overflow;
    this.opts.spool?.append(batch);
    this.buffer.push(batch.seq, this.encoder.encodeBinary(batch));
    if (dropped === 0 && this.encoder.overflow > 0) {
      // Once: the same series would be left out every second.
      this.opts.log.warn('series table of this session is full; new series are left out until the agent restarts', {
        leftOut: this.encoder.overflow,
        series: this.encoder.series().length,
      });
    }
    this.flush();
  }

  /**
   * Queues a batch already encoded by this transport's encoder (the simulator
   * passes indexes and values straight to encodeValuesBinary): binary frames
   * go as they are to a server that speaks protocol 3, as JSON to an older one;
   * JSON frames go as they are to any server.
   */
  sendEncoded(seq: number, frame: string | Buffer): void {
    this.buffer.push(seq, frame);
    this.flush();
  }

  /** Sends a fresh inventory; not buffered, as the next hello carries it anyway. */
  sendInventory(inventory: Record<string, unknown>): void {
    if (this.ready && this.ws) this.ws.send(JSON.stringify({ type: 'inventory', inventory }));
  }

  private connect(): void {
    if (this.stopped) return;
    const server = this.servers.current;
    const url = server.replace(/\/+$/, '') + '/ws/agent';
    this.onState('connecting', server);
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${this.opts.token}` },
      maxPayload: MAX_AGENT_FRAME_BYTES,
      handshakeTimeout: 10_000,
      // A zero masking key: ws then skips XOR-ing every byte of every frame in JS (with --jitless, an
      // interpreted loop over ~10 KB a second). Masking guards proxies against a browser page's crafted
      // bytes (RFC 6455 §10.3); an agent sends only its own frames. The server skips unmasking too.
      generateMask: zeroMask,
      ...this.tls,
    });
    this.ws = ws;
    this.helloProtocol = this.olderServers.has(server) ? OLDER_PROTOCOL : PROTOCOL_VERSION;
    this.binary = false;
    ws.on('open', () => {
      this.touch();
      ws.send(JSON.stringify({ ...this.opts.hello(), protocol: this.helloProtocol, series: this.encoder.series() }));
    });
    ws.on('message', (data) => {
      this.touch();
      this.onMessage(frameText(data));
    });
    ws.on('ping', () => this.touch());
    ws.on('unexpected-response', (_req, res) => {
      const reason =
        res.statusCode === 401 ? 'server refused the agent token (HTTP 401)' : `server answered HTTP ${res.statusCode}`;
      this.opts.log.error('connection refused', { reason });
      ws.terminate();
    });
    ws.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      // A certificate the agent does not trust will not fix itself: say so at the default level (the first failure, then every tenth).
      if (CERT_ERRORS.test(code) && this.attempt % 10 === 0)
        this.opts.log.error("cannot verify the server's TLS certificate; not sending the token", {
          server,
          code,
          error: err.message,
          hint: 'pass --ca FILE with the CA that signed it',
        });
      // The agent's own TLS files (a key that is not the certificate's, a file that is not PEM): nor will this.
      else if (OWN_TLS_ERRORS.test(code) && this.attempt % 10 === 0)
        this.opts.log.error("cannot use the agent's TLS files; not connecting", {
          server,
          code,
          error: err.message,
          hint: '--client-cert and --client-key must be a PEM certificate and its own key (and --ca a PEM file)',
        });
      else this.opts.log.debug('socket error', { error: err.message });
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      const wasReady = this.ready;
      this.ready = false;
      this.ws = null;
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      this.silenceTimer = null;
      this.stopFailbackChecks();
      const detail = `code ${code}${reason.length ? ` (${reason.toString()})` : ''}`;
      this.onState('disconnected', detail);
      if (this.stopped) return;
      if (this.retryOlder) {
        this.retryOlder = false;
        this.opts.log.info('the server speaks an older protocol; saying hello again with it', {
          server,
          protocol: OLDER_PROTOCOL,
        });
        this.scheduleReconnect(0);
        return;
      }
      if (wasReady) this.olderServers.delete(server);
      if (this.failingBack) {
        this.failingBack = false;
        this.servers.backToPreferred();
        this.opts.log.info('failing back to the preferred server', { server: this.servers.current });
        this.scheduleReconnect(0);
        return;
      }
      if (wasReady) this.opts.log.warn('disconnected from server', { server, detail, buffered: this.buffer.size });
      this.nextServer(server);
    });
  }

  private onMessage(raw: string): void {
    const msg = decodeServerToAgent(raw);
    if (!msg.ok) {
      this.opts.log.warn('ignoring a frame from the server', { error: msg.message });
      return;
    }
    const m = msg.value;
    switch (m.type) {
      case 'welcome':
        this.ready = true;
        this.binary = m.protocol >= 3 && this.helloProtocol >= 3;
        this.attempt = 0;
        this.buffer.ack(m.lastSeq);
        this.opts.spool?.ack(m.lastSeq);
        this.sentSeq = m.lastSeq;
        this.opts.log.info('connected to server', { server: this.servers.current, replaying: this.buffer.size });
        this.onState('ready');
        if (!this.servers.onPreferred) this.startFailbackChecks();
        this.flush();
        break;
      case 'ack':
        this.buffer.ack(m.seq);
        this.opts.spool?.ack(m.seq);
        if (this.failingBack && this.allSentAcked()) this.ws?.close(1000, 'failing back');
        this.flush();
        break;
      case 'error':
        if (m.code === 'unsupported_protocol' && !this.ready && this.helloProtocol > OLDER_PROTOCOL) {
          this.olderServers.add(this.servers.current);
          this.retryOlder = true; // the server closes the connection; the close handler reconnects
          break;
        }
        this.opts.log.error('server reported an error', { code: m.code, message: m.message });
        break;
    }
  }

  private flush(): void {
    const ws = this.ws;
    if (!this.ready || this.failingBack || !ws || ws.readyState !== WebSocket.OPEN) return;
    for (const item of this.buffer.after(this.sentSeq)) {
      if (ws.bufferedAmount > SOCKET_HIGH_WATER) return; // resumes on the next ack
      ws.send(this.binary || typeof item.frame === 'string' ? item.frame : binaryToJsonBatch(item.frame));
      this.sentSeq = item.seq;
    }
  }

  private touch(): void {
    // re-armed in place: an ack a second would otherwise make a new timer each time
    if (this.silenceTimer) {
      this.silenceTimer.refresh();
      return;
    }
    this.silenceTimer = setTimeout(() => {
      this.opts.log.warn('server silent; reconnecting', { afterMs: this.silenceTimeoutMs });
      this.ws?.terminate();
    }, this.silenceTimeoutMs);
    this.silenceTimer.unref();
  }

  /** After a failure: the next server in the list; a whole round of failures backs off exponentially. */
  private nextServer(failed: string): void {
    const wrapped = this.servers.advance();
    if (this.servers.urls.length > 1)
      this.opts.log.info('trying the next server', { failed, next: this.servers.current });
    if (!wrapped) return this.scheduleReconnect(Math.round(Math.random() * this.initialBackoffMs));
    const cap = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.scheduleReconnect(Math.round(Math.random() * cap)); // "full jitter"
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private startFailbackChecks(): void {
    this.stopFailbackChecks();
    const preferred = this.servers.urls[0]!;
    this.failbackTimer = setInterval(() => {
      void probeHealth(preferred, this.tls).then((up) => {
        if (!up || !this.ready || this.failingBack || this.servers.onPreferred) return;
        this.opts.log.info('the preferred server answers again; moving back once this one has acknowledged', {
          preferred,
          current: this.servers.current,
        });
        this.stopFailbackChecks();
        this.failingBack = true;
        const ws = this.ws;
        if (this.allSentAcked()) ws?.close(1000, 'failing back');
        // A server that never acknowledges must not hold the agent: close anyway (it may then hold a copy).
        else
          setTimeout(() => {
            if (this.ws === ws && this.failingBack) ws?.close(1000, 'failing back');
          }, FAILBACK_DRAIN_MS).unref();
      });
    }, this.failbackMs);
    this.failbackTimer.unref();
  }

  private stopFailbackChecks(): void {
    if (this.failbackTimer) clearInterval(this.failbackTimer);
    this.failbackTimer = null;
  }

  /** Whether every batch written to the current connection has been acknowledged. */
  private allSentAcked(): boolean {
    for (const item of this.buffer.after(0)) return item.seq > this.sentSeq;
    return true;
  }
}

/** The masking key ws asks for on every frame: left all zeros (see connect). */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
