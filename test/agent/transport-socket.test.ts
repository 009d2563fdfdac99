import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentTransport } from '../../agent/transport.js';
import { until } from '../helpers/process.js';
import type { Logger } from '../../shared/log.js';

const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => log,
};

/**
 * A bare TCP server that answers the WebSocket handshake by RFC 6455 §4.2.2
 * (accept = base64(SHA-1(key + the protocol's GUID))) and hands back the bytes
 * of the first frame the client sends, so the frame header can be read as it
 * went over the wire.
 */
function rawWebSocketServer(
  onUpgrade: (socket: net.Socket) => void = () => {},
): Promise<{ port: number; firstFrame: Promise<Buffer>; upgrades: () => number; close: () => void }> {
  let upgrades = 0;
  let gotFrame!: (b: Buffer) => void;
  const firstFrame = new Promise<Buffer>((r) => (gotFrame = r));
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /^sec-websocket-key: *(\S+)/im.exec(buf.subarray(0, end).toString())![1]!;
        const accept = createHash('sha1')
          .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        upgraded = true;
        upgrades++;
        onUpgrade(socket);
        buf = buf.subarray(end + 4);
      }
      // 2 header bytes, 2 of extended length (the hello is 126..65535 bytes), 4 of masking key
      if (buf.length >= 8 && buf.length >= 8 + buf.readUInt16BE(2)) gotFrame(buf);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        firstFrame,
        upgrades: () => upgrades,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

const hello = () => ({
  type: 'hello' as const,
  protocol: 2,
  agentId: 'mask-test-agent-with-a-long-enough-name-for-a-16-bit-length',
  session: 's',
  hostname: 'h',
  agentVersion: '1',
  inventory: null,
});

describe('the agent transport on a bare WebSocket server', () => {
  let cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup) await c();
    cleanup = [];
  });

  it('are masked with a zero key, so the payload travels as its own bytes', async () => {
    const srv = await rawWebSocketServer();
    cleanup.push(srv.close);
    const t = new AgentTransport({
      serverUrl: `ws://127.0.0.1:${srv.port}`,
      token: 't',
      bufferCapacity: 10,
      log,
      hello,
    });
    cleanup.push(() => t.stop());
    t.start();
    const frame = await srv.firstFrame;
    expect(frame[0]).toBe(0x81); // FIN, text
    expect(frame[1]! & 0x80).toBe(0x80); // masked, as RFC 6455 §5.3 requires of a client
    expect(frame[1]! & 0x7f).toBe(126); // a 16-bit length follows
    const length = frame.readUInt16BE(2);
    expect([...frame.subarray(4, 8)]).toEqual([0, 0, 0, 0]); // the masking key
    const payload = JSON.parse(frame.subarray(8, 8 + length).toString()) as { type: string; agentId: string };
    expect(payload.type).toBe('hello');
    expect(payload.agentId).toBe('mask-test-agent-with-a-long-enough-name-for-a-16-bit-length');
  });

  it('reconnects when the server stays silent, and not while it keeps talking', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    /** A transport with a 300 ms silence timeout and a 10 ms backoff, stopped after the test. */
    const startTransport = (port: number): void => {
      const t = new AgentTransport({
        serverUrl: `ws://127.0.0.1:${port}`,
        token: 't',
        bufferCapacity: 10,
        log,
        hello,
        silenceTimeoutMs: 300,
        initialBackoffMs: 10,
        maxBackoffMs: 10,
      });
      cleanup.push(() => t.stop());
      t.start();
    };
    // A server that never answers: the silence timeout (300 ms) ends each connection.
    const silent = await rawWebSocketServer();
    cleanup.push(silent.close);
    startTransport(silent.port);
    await until(() => silent.upgrades() >= 3, 10_000, 'three connections ended by the silence timeout');
    expect(silent.upgrades()).toBeGreaterThanOrEqual(3);

    // One that pings every 100 ms (an unmasked ping frame with no payload: 0x89 0x00) keeps its connection.
    const pinging: NodeJS.Timeout[] = [];
    const talker = await rawWebSocketServer((socket) =>
      pinging.push(setInterval(() => socket.write(Buffer.from([0x89, 0x00])), 100)),
    );
    cleanup.push(() => {
      for (const t of pinging) clearInterval(t);
      talker.close();
    });
    startTransport(talker.port);
    await sleep(1500); // five silence timeouts' worth
    expect(talker.upgrades()).toBe(1);
  });
});
