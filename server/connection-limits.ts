import type http from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimitOptions {
  /** Open TCP connections across all clients. */
  maxConnections: number;
  /** Open TCP connections from one remote address. */
  maxPerAddress: number;
  /** A connection must complete its request headers (or WebSocket upgrade) within this. */
  handshakeTimeoutMs: number;
}

/**
 * Defaults: a fleet's agents each hold one connection (the simulator runs
 * thousands from one address, so the per-address cap leaves it room); a
 * socket that sends nothing is closed after 10 s.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimitOptions = {
  maxConnections: 20_000,
  maxPerAddress: 10_000,
  handshakeTimeoutMs: 10_000,
};

/**
 * Caps the server's TCP connections, in total and per remote address, and
 * closes any connection that has not completed a request or upgrade within
 * the handshake deadline (silent and slowloris sockets). Counted for /metrics.
 */
export class ConnectionGuard {
  readonly counters = { refusedTotal: 0, refusedPerAddress: 0, handshakeTimeouts: 0 };
  open = 0;
  readonly limits: ConnectionLimitOptions;
  private readonly perAddress = new Map<string, number>();
  /**
   * By remote address and port, not by socket object: under TLS the request's socket is the TLSSocket that wraps
   * the TCP socket the 'connection' event saw, and both report the same peer.
   */
  private readonly deadlines = new Map<string, NodeJS.Timeout>();

  constructor(limits: Partial<ConnectionLimitOptions> = {}) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  }

  attach(server: http.Server): void {
    server.on('connection', (socket: Socket) => this.accepted(socket));
    server.on('request', (req: http.IncomingMessage) => this.handshakeDone(req.socket));
  }

  private accepted(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.open >= this.limits.maxConnections) {
      this.counters.refusedTotal++;
      socket.destroy();
      return;
    }
    if (fromAddress >= this.limits.maxPerAddress) {
      this.counters.refusedPerAddress++;
      socket.destroy();
      return;
    }
    this.open++;
    this.perAddress.set(address, fromAddress + 1);
    const deadline = setTimeout(() => {
      this.counters.handshakeTimeouts++;
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    deadline.unref();
    const peer = peerKey(socket);
    this.deadlines.set(peer, deadline);
    socket.once('close', () => {
      clearTimeout(deadline);
      this.deadlines.delete(peer);
      this.open--;
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.perAddress.set(address, n);
      else this.perAddress.delete(address);
    });
  }

  /** The request's headers (or the upgrade) arrived: the rest is up to the HTTP timeouts or the endpoint. */
  handshakeDone(socket: Socket): void {
    const peer = peerKey(socket);
    const deadline = this.deadlines.get(peer);
    if (deadline) clearTimeout(deadline);
    this.deadlines.delete(peer);
  }
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}
