import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HandshakeRequest,
  MAX_HEADER_BYTES,
  STATUS_CODES,
  createServer,
  hostHeader,
  parseResponseHead,
  request,
  type HandshakeRequestOptions,
  type HandshakeResponse,
} from '../../agent/ws-http.js';
import { makeCerts } from '../helpers/certs.js';
import { REPO, serverProcess, until } from '../helpers/process.js';

/**
 * agent/ws-http.ts stands in for node:http in the agent's bundle: the WebSocket opening handshake, written as
 * Node's http client writes it and read back, over real sockets on loopback.
 */

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A raw TCP server: hands each connection's first bytes to `answer`, which writes what it likes. */
async function rawServer(answer: (request: string, socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (d) => answer(d.toString('latin1'), socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function options(port: number, extra: Partial<HandshakeRequestOptions> = {}): HandshakeRequestOptions {
  return {
    host: '127.0.0.1',
    port,
    defaultPort: 80,
    path: '/ws/agent',
    headers: { Authorization: 'Bearer t', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    // as ws's netConnect does: it overwrites `path` with the socket path
    createConnection: (o) => {
      const socket = net.connect({ host: o.host, port: Number(o.port) });
      o.path = undefined as unknown as string;
      return socket;
    },
    ...extra,
  };
}

type Outcome =
  | { event: 'upgrade'; res: HandshakeResponse; head: Buffer }
  | { event: 'response'; res: HandshakeResponse }
  | { event: 'error'; err: NodeJS.ErrnoException }
  | { event: 'timeout' };

function outcome(req: HandshakeRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    req.on('upgrade', (res: HandshakeResponse, socket: net.Socket, head: Buffer) => {
      socket.destroy();
      resolve({ event: 'upgrade', res, head: Buffer.from(head) });
    });
    req.on('response', (res: HandshakeResponse) => resolve({ event: 'response', res }));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ event: 'error', err }));
    req.on('timeout', () => {
      req.abort();
      resolve({ event: 'timeout' });
    });
    req.end();
  });
}

describe('the handshake request that stands in for node:http', () => {
  it("writes Node's request: the path taken before the socket is made, the caller's headers, then Host", async () => {
    let seen = '';
    const port = await rawServer((text, socket) => {
      seen = text;
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    });
    await outcome(request(options(port)));
    expect(seen).toBe(
      'GET /ws/agent HTTP/1.1\r\n' +
        'Authorization: Bearer t\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Host: 127.0.0.1:${port}\r\n\r\n`,
    );
    expect(hostHeader('db1.example', 443, 443)).toBe('db1.example');
    expect(hostHeader('db1.example', 8443, 443)).toBe('db1.example:8443');
    expect(hostHeader('::1', '7070', 80)).toBe('[::1]:7070');
  });

  it('hands over the socket on 101 with the bytes that came after the headers', async () => {
    // RFC 6455 section 1.3's example key and accept value; then a text frame "hi" in the same write
    const port = await rawServer((_text, socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi',
        'latin1',
      ),
    );
    const r = await outcome(request(options(port)));
    expect(r.event).toBe('upgrade');
    if (r.event !== 'upgrade') return;
    expect(r.res).toEqual({
      statusCode: 101,
      statusMessage: 'Switching Protocols',
      headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
    });
    expect([...r.head]).toEqual([0x81, 0x02, 0x68, 0x69]);
  });

  it('leaves the socket to the next reader as ws takes it: the bytes after the headers first, then what follows', async () => {
    const port = await rawServer((_text, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nfirst');
      setTimeout(() => socket.write('second'), 100);
    });
    const req = request(options(port));
    const read = await new Promise<string>((resolve) => {
      req.on('upgrade', (_res: HandshakeResponse, socket: net.Socket, head: Buffer) => {
        // what ws's setSocket does with them
        let text = '';
        socket.unshift(head);
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (text.length >= 'firstsecond'.length) {
            socket.destroy();
            resolve(text);
          }
        });
      });
      req.end();
    });
    expect(read).toBe('firstsecond');
  });

  it('reports any other answer by status and headers, names in lower case, repeats joined', async () => {
    const port = await rawServer((_text, socket) =>
      socket.end('HTTP/1.1 401 Unauthorized\r\nX-Reason: a\r\nx-reason: b\r\nContent-Length: 0\r\n\r\n'),
    );
    const r = await outcome(request(options(port)));
    expect(r).toEqual({
      event: 'response',
      res: { statusCode: 401, statusMessage: 'Unauthorized', headers: { 'x-reason': 'a, b', 'content-length': '0' } },
    });
  });

  it("fails as Node's client does: refused, hung up, headers too long, not HTTP", async () => {
    const closed = await rawServer(() => {});
    servers.pop()!.close();
    const refused = await outcome(request(options(closed)));
    expect(refused.event === 'error' && refused.err.code).toBe('ECONNREFUSED');

    const hangUp = await outcome(request(options(await rawServer((_t, s) => s.destroy()))));
    expect(hangUp.event === 'error' && [hangUp.err.code, hangUp.err.message]).toEqual(['ECONNRESET', 'socket hang up']);

    const long = `HTTP/1.1 101 Switching Protocols\r\nX-Long: ${'a'.repeat(MAX_HEADER_BYTES)}`;
    const overflow = await outcome(request(options(await rawServer((_t, s) => s.write(long)))));
    expect(overflow.event === 'error' && overflow.err.code).toBe('HPE_HEADER_OVERFLOW');

    const notHttp = await outcome(request(options(await rawServer((_t, s) => s.write('SSH-2.0-OpenSSH\r\n\r\n')))));
    expect(notHttp.event === 'error' && notHttp.err.code).toBe('HPE_INVALID_CONSTANT');
  });

  it('reports a connection that cannot be made (tls.connect throws) as an error on the next tick', async () => {
    const certs = makeCerts();
    const a = certs.client('a');
    const b = certs.client('b');
    const port = await rawServer(() => {});
    // a client key that is not the certificate's: tls.connect throws at once, as it does for a file not PEM
    const mismatched = (o: HandshakeRequestOptions) =>
      tls.connect({ host: o.host, port: Number(o.port), cert: readFileSync(a.cert), key: readFileSync(b.key) });
    const req = request(options(port, { createConnection: mismatched }));
    expect(req.socket).toBeNull();
    const r = await outcome(req);
    expect(r.event === 'error' && r.err.message).toMatch(/key values mismatch/);
    const aborted = request(options(port, { createConnection: mismatched }));
    const events: string[] = [];
    aborted.on('error', () => events.push('error'));
    aborted.end();
    aborted.abort();
    aborted.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual([]);
  });

  it("refuses header names and values as Node's http.request does, before any connection", () => {
    let connections = 0;
    const counted = (o: HandshakeRequestOptions) => (connections++, net.connect({ host: o.host, port: 1 }));
    const attempt = (headers: Record<string, string>) => {
      try {
        request(options(1, { headers, createConnection: counted })).abort();
        return 'accepted';
      } catch (err) {
        return [(err as NodeJS.ErrnoException).code, (err as Error).message];
      }
    };
    expect(attempt({ Authorization: 'Bearer abc\r\nX-Injected: 1' })).toEqual([
      'ERR_INVALID_CHAR',
      'Invalid character in header content ["Authorization"]',
    ]);
    expect(attempt({ Authorization: 'Bearer \u0100' })).toEqual([
      'ERR_INVALID_CHAR',
      'Invalid character in header content ["Authorization"]',
    ]);
    expect(attempt({ 'Bad Name': 'x' })).toEqual([
      'ERR_INVALID_HTTP_TOKEN',
      'Header name must be a valid HTTP token ["Bad Name"]',
    ]);
    expect(connections).toBe(0);
    // tab and Latin-1 are allowed in a value, as in Node
    expect(attempt({ 'X-Ok': 'a\tb \u00ff' })).toBe('accepted');
  });

  it('reads past interim 1xx answers to the 101, in pieces, within the one bound for the whole head', async () => {
    const interim = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n';
    const port = await rawServer((_t, socket) => {
      socket.write(interim.slice(0, 30));
      setTimeout(
        () => socket.write(interim.slice(30) + 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nxy'),
        50,
      );
    });
    const r = await outcome(request(options(port)));
    expect(r.event === 'upgrade' && [r.res, r.head.toString()]).toEqual([
      { statusCode: 101, statusMessage: 'Switching Protocols', headers: { upgrade: 'websocket' } },
      'xy',
    ]);
    // interim answers count toward the 16 KiB: 2 x 9 KiB of them, then a short 101
    const hint = `HTTP/1.1 103 Early Hints\r\nLink: ${'a'.repeat(9 * 1024)}\r\n\r\n`;
    const long = await rawServer((_t, s) => s.write(hint + hint + 'HTTP/1.1 101 OK\r\n\r\n'));
    const overflow = await outcome(request(options(long)));
    expect(overflow.event === 'error' && overflow.err.code).toBe('HPE_HEADER_OVERFLOW');
  });

  it('fails at once, not at the timeout, on a line without CR or a first line that is not a status line', async () => {
    const answers: [string, string, string][] = [
      [
        'HTTP/1.1 101 OK\nUpgrade: websocket\n\n',
        'HPE_CR_EXPECTED',
        'Parse Error: Missing expected CR after response line',
      ],
      [
        'HTTP/1.1 101 OK\r\nUpgrade: websocket\n',
        'HPE_CR_EXPECTED',
        'Parse Error: Missing expected CR after header value',
      ],
      ['XTTP/1.1 101 OK\r\n', 'HPE_INVALID_CONSTANT', 'Parse Error: Invalid response'],
    ];
    for (const [answer, code, message] of answers) {
      // the server keeps the connection open: only the parse can end the wait before the 20 s timeout
      const port = await rawServer((_t, s) => s.write(answer));
      const started = Date.now();
      const r = await outcome(request(options(port, { timeout: 20_000 })));
      expect(r.event === 'error' && [r.err.code, r.err.message]).toEqual([code, message]);
      expect(Date.now() - started).toBeLessThan(15_000);
    }
  }, 60_000);

  it('takes a head of exactly 16 KiB and refuses one a byte longer whose blank line does arrive', async () => {
    const prefix = 'HTTP/1.1 101 Switching Protocols\r\nX-Long: ';
    const headOf = (bytes: number) => `${prefix}${'a'.repeat(bytes - prefix.length)}\r\n\r\n`;
    const fits = await outcome(request(options(await rawServer((_t, s) => s.write(headOf(MAX_HEADER_BYTES))))));
    expect(fits.event).toBe('upgrade');
    const over = await outcome(request(options(await rawServer((_t, s) => s.write(headOf(MAX_HEADER_BYTES + 1))))));
    expect(over.event === 'error' && over.err.code).toBe('HPE_HEADER_OVERFLOW');
  });

  it('says when the server is silent past the timeout; an aborted request reports nothing more', async () => {
    const port = await rawServer(() => {});
    expect(await outcome(request(options(port, { timeout: 200 })))).toEqual({ event: 'timeout' });

    const req = request(options(port));
    const events: string[] = [];
    for (const e of ['error', 'response', 'upgrade']) req.on(e, () => events.push(e));
    req.end();
    req.abort();
    await until(() => req.socket!.destroyed || null, 5_000, 'the socket closed');
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]);
  });

  it("hands what ws's server side reads to node:http: status texts and a working server", async () => {
    expect(STATUS_CODES[404]).toBe('Not Found');
    expect(STATUS_CODES[101]).toBe('Switching Protocols');
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    } finally {
      server.close();
    }
  });

  it('parses a status line without a reason and refuses a header line without a name', () => {
    expect(parseResponseHead('HTTP/1.0 204')).toEqual({ statusCode: 204, statusMessage: '', headers: {} });
    expect(parseResponseHead('HTTP/1.1 101 OK\r\n: x')).toBeNull();
    expect(parseResponseHead('HTTP/2 101 OK')).toBeNull();
  });

  it('the bundled agent, refused by the server (wrong token), says so as before', async () => {
    const { port, start } = await serverProcess({ args: ['--store', 'memory'] });
    const server = await start();
    const agent = spawn(
      path.join(REPO, 'bin/tidemark'),
      ['agent', '--server', `ws://127.0.0.1:${port}`, '--spool-dir', 'none', '--log-level', 'error'],
      { env: { ...process.env, TIDEMARK_TOKEN: 'wrong' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    agent.stdout.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await until(() => (output.includes('connection refused') ? output : null), 30_000, 'the refusal');
      expect(output).toContain('reason="server refused the agent token (HTTP 401)"');
    } finally {
      agent.kill('SIGTERM');
      await server.stop();
    }
  }, 60_000);

  it('the bundled agent, given a client key that is not its certificate, keeps running and says why', async () => {
    const certs = makeCerts();
    const { port, start } = await serverProcess({
      args: ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--store', 'memory'],
    });
    const server = await start();
    const args = ['agent', '--server', `wss://127.0.0.1:${port}`, '--ca', certs.caCert, '--log-level', 'debug'];
    args.push('--client-cert', certs.client('a').cert, '--client-key', certs.client('b').key, '--spool-dir', 'none');
    const agent = spawn(path.join(REPO, 'bin/tidemark'), args, {
      env: { ...process.env, TIDEMARK_TOKEN: 't' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let exited: number | null = null;
    agent.stdout.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr.on('data', (d: Buffer) => (output += d.toString()));
    agent.on('exit', (code) => (exited = code ?? -1));
    try {
      // the failure reported, then again after the reconnect timer fired (where a throw would be uncaught)
      const mismatch = () => output.match(/key values mismatch/g)?.length ?? 0;
      await until(() => (mismatch() >= 3 || exited !== null ? true : null), 30_000, 'three reported failures');
      expect(exited).toBeNull();
      expect(mismatch()).toBeGreaterThanOrEqual(3);
      // said at the default level the first time (then every tenth), with what to check
      const firstLine = output.split('\n').find((l) => l.includes('key values mismatch'))!;
      expect(firstLine).toMatch(/error.*cannot use the agent's TLS files/);
      expect(firstLine).toContain('--client-cert and --client-key must be');
    } finally {
      agent.kill('SIGTERM');
      await server.stop();
    }
  }, 60_000);
});
