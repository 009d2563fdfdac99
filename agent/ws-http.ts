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

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;

/** The status line and headers of an answer (the text before the blank line); null when it is not HTTP/1.x. */
export function parseResponseHead(head: string): HandshakeResponse | null {
  const lines = head.split('\r\n');
  const status = STATUS_LINE.exec(lines[0] ?? '');
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

/**
 * What is wrong with the lines of an answer's head received so far (from `start`), as Node's parser names it,
 * or null: a line ended by a bare LF, or a first line that is not an HTTP/1.x status line. Checked as bytes
 * arrive, so a broken answer fails at once rather than at the timeout.
 */
export function headLineError(received: Buffer, start: number, stop: number): Error | null {
  const head = received.subarray(start, stop);
  const firstEnd = head.indexOf('\n');
  if (firstEnd < 0) return null;
  if (head[firstEnd - 1] !== 0x0d)
    return httpError('Parse Error: Missing expected CR after response line', 'HPE_CR_EXPECTED');
  if (!STATUS_LINE.test(head.toString('latin1', 0, firstEnd - 1)))
    return httpError('Parse Error: Invalid response', 'HPE_INVALID_CONSTANT');
  for (let lf = head.indexOf('\n', firstEnd + 1); lf >= 0; lf = head.indexOf('\n', lf + 1))
    if (head[lf - 1] !== 0x0d)
      return httpError('Parse Error: Missing expected CR after header value', 'HPE_CR_EXPECTED');
  return null;
}

/** Node's http client checks (validateHeaderName/Value): a name is a token, a value has no CR, LF or > U+00FF. */
export function checkHeader(name: string, value: string | number): void {
  if (!/^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/.test(name))
    throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), {
      code: 'ERR_INVALID_HTTP_TOKEN',
    });
  if (/[^\t\x20-\x7e\x80-\xff]/.test(String(value)))
    throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: 'ERR_INVALID_CHAR' });
}

/** The Host header as Node's http client writes it: the port left out when it is the scheme's default. */
export function hostHeader(host: string, port: number | string, defaultPort: number): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return Number(port) === defaultPort ? name : `${name}:${port}`;
}

/** One opening handshake: events 'upgrade' (res, socket, head), 'response' (res), 'error', 'timeout'. */
export class HandshakeRequest extends EventEmitter {
  /** Null when createConnection threw (tls.connect does, e.g. for a client key that does not match its cert). */
  readonly socket: Socket | null = null;
  private readonly head: string;
  private readonly timeoutMs: number;
  private aborted = false;
  private answered = false;

  constructor(options: HandshakeRequestOptions) {
    super();
    // Taken before createConnection, which may change the options (ws's sets `path` to the socket path).
    const lines = [`GET ${options.path || '/'} HTTP/1.1`];
    for (const [name, value] of Object.entries(options.headers)) {
      checkHeader(name, value); // throws, as http.request does
      lines.push(`${name}: ${value}`);
    }
    // Node writes the caller's headers, then the Host it derives.
    lines.push(`Host: ${hostHeader(options.host, options.port, options.defaultPort)}`);
    this.head = `${lines.join('\r\n')}\r\n\r\n`;
    this.timeoutMs = options.timeout ?? 0;
    try {
      this.socket = options.createConnection(options);
    } catch (err) {
      // As Node's http client: an ordinary 'error', on the next tick, for the caller to handle with the rest.
      process.nextTick(() => this.fail(err as Error));
    }
  }

  /** ws checks for this method to tell a request from a socket (abortHandshake). */
  setHeader(): void {
    throw new Error('the handshake request is already written');
  }

  end(): void {
    if (!this.socket) return;
    this.socket.write(this.head);
    this.readAnswer(this.socket);
  }

  abort(): void {
    this.aborted = true;
    this.socket?.destroy();
  }

  destroy(err?: Error): this {
    this.abort();
    if (err) process.nextTick(() => this.emit('error', err));
    return this;
  }

  private readAnswer(socket: Socket): void {
    let received: Buffer = Buffer.alloc(0);
    let start = 0; // where the answer being read begins: after any interim 1xx answers
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
    const failWith = (err: Error) => {
      detach();
      this.fail(err);
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      received = received.length ? Buffer.concat([received, chunk]) : chunk;
      for (;;) {
        const end = received.indexOf('\r\n\r\n', start);
        const broken = headLineError(received, start, end < 0 ? received.length : end + 4);
        if (broken) return failWith(broken);
        // The bound covers all of the head, interim answers included, as Node's parser counts it.
        if (end < 0 ? received.length > MAX_HEADER_BYTES : end > MAX_HEADER_BYTES)
          return failWith(httpError('Parse Error: Header overflow', 'HPE_HEADER_OVERFLOW'));
        if (end < 0) return;
        const res = parseResponseHead(received.toString('latin1', start, end));
        if (!res) return failWith(httpError('Parse Error: Invalid response', 'HPE_INVALID_CONSTANT'));
        start = end + 4;
        // 100 Continue, 102 Processing, 103 Early Hints come before the answer; Node reads on past them.
        if (res.statusCode >= 100 && res.statusCode < 200 && res.statusCode !== 101) continue;
        detach();
        this.answered = true;
        if (res.statusCode === 101) this.emit('upgrade', res, socket, received.subarray(start));
        else {
          this.emit('response', res);
          socket.destroy();
        }
        return;
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
