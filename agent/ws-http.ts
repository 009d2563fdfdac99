/**
 * What the ws package takes from node:http and node:https, for the agent's bundle: scripts/build-agent.mjs
 * resolves ws's `require('http')` and `require('https')` to this module. A WebSocket client needs one HTTP/1.1
 * request, the opening handshake (RFC 6455 section 4.1), on a socket ws makes itself (`createConnection`: net or
 * tls); Node's http client, server and agent modules would cost the agent ~0.8 MB of RSS for it for good
 * (BENCHMARKS.md, fifth round). This writes the request as Node's http client writes it, reads the answer's
 * status line and headers, and hands ws the socket with any bytes after them (`upgrade`), or the status and
 * headers of any other answer (`response`). Anything else ws might ask of http (a server) loads node:http then.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

type NodeHttp = typeof import('node:http');
let nodeHttp: NodeHttp | null = null;
const loadNodeHttp = (): NodeHttp => (nodeHttp ??= createRequire(import.meta.url)('node:http') as NodeHttp);

/** Node's own limit on an answer's status line and headers (`--max-http-header-size`, 16 KiB). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** The options ws passes to `request()` (a subset of http.RequestOptions). */
export interface HandshakeRequestOptions {
  host: string;
  port: number | string;
  defaultPort: number;
  path: string;
  headers: Record<string, string | number>;
  timeout?: number;
  createConnection: (options: HandshakeRequestOptions) => Socket;
}

/** The part of an http.IncomingMessage that ws reads: the status and the headers, names in lower case. */
export interface HandshakeResponse {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
}

/** An error as Node's http client reports a broken answer (`code` as Node's). */
function httpError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The status line and headers of an answer (the text before the blank line); null when it is not HTTP/1.x. */
export function parseResponseHead(head: string): HandshakeResponse | null {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // Node joins repeated headers with ", " (set-cookie aside, which a handshake does not read).
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? '', headers };
}

/** The Host header as Node's http client writes it: the port left out when it is the scheme's default. */
export function hostHeader(host: string, port: number | string, defaultPort: number): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return Number(port) === defaultPort ? name : `${name}:${port}`;
}

/** One opening handshake: events 'upgrade' (res, socket, head), 'response' (res), 'error', 'timeout'. */
export class HandshakeRequest extends EventEmitter {
  readonly socket: Socket;
  private readonly head: string;
  private readonly timeoutMs: number;
  private aborted = false;
  private answered = false;

  constructor(options: HandshakeRequestOptions) {
    super();
    // Taken before createConnection, which may change the options (ws's sets `path` to the socket path).
    const lines = [`GET ${options.path || '/'} HTTP/1.1`];
    for (const [name, value] of Object.entries(options.headers)) lines.push(`${name}: ${value}`);
    // Node writes the caller's headers, then the Host it derives.
    lines.push(`Host: ${hostHeader(options.host, options.port, options.defaultPort)}`);
    this.head = `${lines.join('\r\n')}\r\n\r\n`;
    this.timeoutMs = options.timeout ?? 0;
    this.socket = options.createConnection(options);
  }

  /** ws checks for this method to tell a request from a socket (abortHandshake). */
  setHeader(): void {
    throw new Error('the handshake request is already written');
  }

  end(): void {
    this.socket.write(this.head);
    this.readAnswer();
  }

  abort(): void {
    this.aborted = true;
    this.socket.destroy();
  }

  destroy(err?: Error): this {
    this.abort();
    if (err) process.nextTick(() => this.emit('error', err));
    return this;
  }

  private readAnswer(): void {
    const socket = this.socket;
    let received: Buffer = Buffer.alloc(0);
    const onTimeout = () => this.emit('timeout');
    const onError = (err: Error) => this.fail(err);
    const onClose = () => this.fail(httpError('socket hang up', 'ECONNRESET'));
    const detach = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
    };
    const onData = (chunk: Buffer) => {
      received = received.length ? Buffer.concat([received, chunk]) : chunk;
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_HEADER_BYTES) {
          detach();
          this.fail(httpError('Parse Error: Header overflow', 'HPE_HEADER_OVERFLOW'));
          socket.destroy();
        }
        return;
      }
      detach();
      const res = end <= MAX_HEADER_BYTES ? parseResponseHead(received.toString('latin1', 0, end)) : null;
      if (!res) {
        this.fail(httpError('Parse Error: Invalid response', 'HPE_INVALID_CONSTANT'));
        socket.destroy();
        return;
      }
      this.answered = true;
      if (res.statusCode === 101) this.emit('upgrade', res, socket, received.subarray(end + 4));
      else {
        this.emit('response', res);
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (this.timeoutMs) {
      socket.setTimeout(this.timeoutMs);
      socket.on('timeout', onTimeout);
    }
  }

  private fail(err: Error): void {
    if (this.aborted || this.answered) return;
    this.answered = true;
    this.emit('error', err);
  }
}

export function request(options: HandshakeRequestOptions): HandshakeRequest {
  return new HandshakeRequest(options);
}

/** ws's server side reads these; they load node:http when first touched (the agent never serves). */
export const STATUS_CODES: Record<number, string | undefined> = new Proxy(
  {},
  { get: (_, code) => loadNodeHttp().STATUS_CODES[code as unknown as number] },
);
export const createServer: NodeHttp['createServer'] = ((...args: Parameters<NodeHttp['createServer']>) =>
  loadNodeHttp().createServer(...args)) as NodeHttp['createServer'];
