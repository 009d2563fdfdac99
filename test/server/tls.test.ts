/**
 * TLS with real certificates made by openssl: HTTPS and wss with a CA the
 * agent is given, an untrusted certificate refused with a clear error at the
 * default log level, --insecure-skip-verify with a loud warning, a warning for
 * a token over plain ws:// beyond loopback, certificate reload, and mutual TLS
 * binding an agent's identity to its certificate.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TidemarkServer } from '../../server/server.js';
import { AgentTransport, type AgentTlsOptions } from '../../agent/transport.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import { makeCerts, type CertFiles } from '../helpers/certs.js';
import { freePort, runCli, serverProcess, tempDir, until, type Running } from '../helpers/process.js';

let certs: CertFiles;
beforeAll(() => {
  certs = makeCerts();
}, 60_000);

const servers: TidemarkServer[] = [];
const transports: AgentTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  tlsOpts: { certFile: string; keyFile: string; clientCaFile?: string; reloadIntervalMs?: number },
  handshakeTimeoutMs?: number,
) {
  const server = new TidemarkServer({
    host: '127.0.0.1',
    port: 0,
    agentToken: 'fleet-t',
    apiToken: null,
    log: silentLogger,
    tls: tlsOpts,
    ...(handshakeTimeoutMs ? { connectionLimits: { handshakeTimeoutMs } } : {}),
  });
  servers.push(server);
  return { server, port: await server.listen() };
}

function agent(url: string, agentId: string, tlsOpts: AgentTlsOptions) {
  const lines: string[] = [];
  const t = new AgentTransport({
    serverUrl: url,
    token: 'fleet-t',
    bufferCapacity: 10,
    initialBackoffMs: 100,
    maxBackoffMs: 200,
    tls: tlsOpts,
    log: createLogger('info', 'agent', (l) => lines.push(l)),
    hello: () => ({
      type: 'hello',
      protocol: 2,
      agentId,
      session: 's1',
      hostname: agentId,
      agentVersion: 't',
      inventory: null,
    }),
  });
  transports.push(t);
  return { t, lines };
}

function peerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca), servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

describe('TLS', () => {
  it('serves HTTPS and wss to an agent that trusts the CA', async () => {
    const { server, port } = await start({ certFile: certs.serverCert, keyFile: certs.serverKey });
    const status = await new Promise<number>((resolve, reject) =>
      https
        .get({ host: '127.0.0.1', port, path: '/healthz', ca: readFileSync(certs.caCert) }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject),
    );
    expect(status).toBe(200);
    const { t } = agent(`wss://127.0.0.1:${port}`, 'db1', { caFile: certs.caCert });
    t.start();
    await until(() => t.connected, 10_000, 'the agent over wss');
    t.send({
      type: 'batch',
      seq: 1,
      ts: Date.now(),
      samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v: 5 }],
    });
    await until(() => t.buffer.size === 0, 5000, 'the ack');
    expect(server.hosts.get('db1')?.connected).toBe(true);
  });

  it('keeps a wss agent past the handshake deadline (the deadline ends with the upgrade, under TLS too)', async () => {
    const { server, port } = await start({ certFile: certs.serverCert, keyFile: certs.serverKey }, 800);
    const { t } = agent(`wss://127.0.0.1:${port}`, 'db1', { caFile: certs.caCert });
    t.start();
    await until(() => t.connected, 10_000, 'the agent over wss');
    // Three deadlines later the same connection still carries batches, and none was counted as a timeout.
    await new Promise((r) => setTimeout(r, 2500)); // the time itself is the point: past the deadline
    t.send({
      type: 'batch',
      seq: 1,
      ts: Date.now(),
      samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v: 5 }],
    });
    await until(() => t.buffer.size === 0, 5000, 'the ack');
    expect(server.connections.counters.handshakeTimeouts).toBe(0);
    expect(server.hosts.get('db1')?.connected).toBe(true);
  });

  it('refuses an untrusted certificate with a clear error at the default level, and never connects', async () => {
    const { server, port } = await start({ certFile: certs.untrustedCert, keyFile: certs.untrustedKey });
    const { t, lines } = agent(`wss://127.0.0.1:${port}`, 'db1', { caFile: certs.caCert });
    t.start();
    await until(() => lines.some((l) => /TLS certificate/.test(l)), 10_000, 'the error');
    const line = lines.find((l) => /TLS certificate/.test(l))!;
    expect(line).toMatch(/^\S+ error agent: cannot verify the server's TLS certificate; not sending the token/);
    expect(line).toMatch(/code=DEPTH_ZERO_SELF_SIGNED_CERT/);
    expect(line).toMatch(/--ca FILE/);
    expect(t.connected).toBe(false);
    expect(server.hosts.list()).toEqual([]);
    // With the system store (no --ca) the test CA is not trusted either.
    const sys = agent(`wss://127.0.0.1:${port}`, 'db2', {});
    sys.t.start();
    await until(() => sys.lines.some((l) => /TLS certificate/.test(l)), 10_000, 'the error without --ca');
  });

  it('connects with --insecure-skip-verify, warning loudly', async () => {
    const { port } = await start({ certFile: certs.untrustedCert, keyFile: certs.untrustedKey });
    const { t, lines } = agent(`wss://127.0.0.1:${port}`, 'db1', { insecureSkipVerify: true });
    expect(lines.find((l) => /INSECURE/.test(l))).toMatch(/^\S+ warn .*not checked; anyone on the path/);
    t.start();
    await until(() => t.connected, 10_000, 'the connection');
  });

  it('warns when the token would cross the network over plain ws://', () => {
    const far = agent('ws://192.0.2.10:7070', 'db1', {});
    expect(far.lines.join('')).toMatch(/warn .*token is sent to a non-loopback server over plain ws:\/\//);
    const near = agent('ws://127.0.0.1:7070', 'db1', {});
    expect(near.lines).toEqual([]);
    const secure = agent('wss://192.0.2.10:7070', 'db1', {});
    expect(secure.lines).toEqual([]);
  });

  it('serves a renewed certificate without a restart', async () => {
    const live = (f: string) => path.join(certs.dir, `live-${f}`);
    copyFileSync(certs.serverCert, live('crt'));
    copyFileSync(certs.serverKey, live('key'));
    const { port } = await start({ certFile: live('crt'), keyFile: live('key'), reloadIntervalMs: 100 });
    const first = new X509Certificate(readFileSync(certs.serverCert)).fingerprint256;
    const second = new X509Certificate(readFileSync(certs.serverCert2)).fingerprint256;
    expect(await peerFingerprint(port, certs.caCert)).toBe(first);
    copyFileSync(certs.serverKey2, live('key'));
    copyFileSync(certs.serverCert2, live('crt'));
    await until(async () => (await peerFingerprint(port, certs.caCert)) === second, 10_000, 'the new certificate');
  });

  it('binds the agent identity to its client certificate with mutual TLS', async () => {
    const { server, port } = await start({
      certFile: certs.serverCert,
      keyFile: certs.serverKey,
      clientCaFile: certs.caCert,
    });
    const a = certs.client('host-a');
    const url = `wss://127.0.0.1:${port}`;
    const good = agent(url, 'host-a', { caFile: certs.caCert, certFile: a.cert, keyFile: a.key });
    good.t.start();
    await until(() => good.t.connected, 10_000, 'host-a with its certificate');

    // The same certificate cannot speak for another agent, even with the fleet token.
    const other = agent(url, 'host-b', { caFile: certs.caCert, certFile: a.cert, keyFile: a.key });
    other.t.start();
    await until(() => other.lines.some((l) => /forbidden/.test(l)), 10_000, 'the refusal');
    expect(other.lines.find((l) => /forbidden/.test(l))).toMatch(/may only write as agent .+host-a.+, not .+host-b/);
    expect(server.hosts.get('host-b')).toBeUndefined();

    // No client certificate, or one from another CA: the upgrade is refused.
    const none = agent(url, 'host-c', { caFile: certs.caCert });
    none.t.start();
    await until(() => none.lines.some((l) => /HTTP 403/.test(l)), 10_000, 'the refusal without a certificate');
    const stranger = agent(url, 'localhost', {
      caFile: certs.caCert,
      certFile: certs.untrustedCert,
      keyFile: certs.untrustedKey,
    });
    stranger.t.start();
    await until(() => stranger.lines.some((l) => /HTTP 403/.test(l)), 10_000, 'the refusal of a foreign certificate');
    expect(server.hosts.list().map((h) => h.id)).toEqual(['host-a']);
  });

  it('is wired through the CLI: tidemark server --tls-cert/--tls-key, tidemark agent --ca', async () => {
    const procs: Running[] = [];
    try {
      const srv = await serverProcess({
        args: ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--store', 'memory'],
      });
      const s = await srv.start();
      procs.push(s);
      expect(s.output()).toMatch(/dashboard at https:\/\/127\.0\.0\.1:/);
      const url = `wss://127.0.0.1:${srv.port}`;
      const trusting = runCli(['agent', '--server', url, '--ca', certs.caCert, '--agent-id', 'cli-1'], {
        TIDEMARK_TOKEN: 't',
      });
      procs.push(trusting);
      await trusting.waitFor(/connected to server/, 20_000);
      const doubting = runCli(['agent', '--server', url, '--agent-id', 'cli-2'], { TIDEMARK_TOKEN: 't' });
      procs.push(doubting);
      await doubting.waitFor(/error .*cannot verify the server's TLS certificate/, 20_000);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  }, 60_000);

  it('tidemark start over TLS: its local agent trusts the served self-signed certificate', async () => {
    const port = await freePort();
    const start = runCli(
      [
        'start',
        '--port',
        String(port),
        '--data-dir',
        tempDir(),
        '--store',
        'memory',
        '--tls-cert',
        certs.untrustedCert,
        '--tls-key',
        certs.untrustedKey,
      ],
      {},
    );
    try {
      await start.waitFor(/connected to server/, 30_000);
      expect(start.output()).not.toMatch(/cannot verify/);
    } finally {
      await start.stop();
    }
  }, 60_000);
});
