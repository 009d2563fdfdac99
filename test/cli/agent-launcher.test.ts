import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../shared/protocol.js';
import { AGENT_BUNDLE, chunksLoadedAtStart } from '../helpers/bundle.js';
import { makeCerts } from '../helpers/certs.js';
import { REPO, getJson, serverProcess, tempDir, until, type Running } from '../helpers/process.js';

/**
 * `bin/tidemark agent` runs the bundled CLI (dist/agent-bundle, built by
 * scripts/build-agent.mjs) under the launcher's V8 flags: the bundle must be
 * the whole agent — it connects, streams, reads its version from package.json
 * and forks its inventory child from next to its own chunks.
 */
/** GET over https trusting the test CA (fetch has no per-request CA). */
function getTls<T>(url: string, ca: Buffer): Promise<T> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(body))));
      })
      .on('error', reject);
  });
}

describe('the agent launcher', () => {
  let server: Running | undefined;
  let agent: ChildProcess | undefined;
  afterAll(async () => {
    agent?.kill('SIGTERM');
    await server?.stop();
  });

  it('runs the bundled agent, which streams and sends its inventory', async () => {
    const { port, base, start } = await serverProcess();
    server = await start();
    agent = spawn(
      path.join(REPO, 'bin/tidemark'),
      ['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'launched', '--spool-dir', tempDir()],
      { env: { ...process.env, TIDEMARK_TOKEN: 't' }, stdio: 'ignore' },
    );
    // the launcher (a shell script) execs node, so the agent keeps its pid
    const argv = await until(
      () => {
        const a = readFileSync(`/proc/${agent!.pid}/cmdline`, 'utf8').split('\0');
        return a[0] === 'node' ? a : null;
      },
      10_000,
      'the launcher to exec node',
    );
    expect(argv).toContain('--jitless');
    expect(argv).toContain('--expose-gc');
    expect(argv).toContain('--memory-reducer-single-gc');
    expect(argv.filter((a) => a.endsWith('main.js')).map((a) => path.resolve(a))).toEqual([
      path.join(REPO, 'dist/agent-bundle/main.js'),
    ]);

    await until(
      async () => {
        const h = await getJson<{ ingested: { batches: number } }>(`${base}/healthz`);
        return h.ingested.batches >= 3;
      },
      30_000,
      'three batches from the bundled agent',
    );
    const host = await until(
      async () => {
        const h = await getJson<HostSummary>(`${base}/api/hosts/launched`);
        return h.inventory ? h : null;
      },
      60_000,
      'the inventory from the child process',
    );
    expect(host.agentVersion).toBe(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
    expect(host.inventory).toMatchObject({ os: { platform: 'linux' } });
  }, 90_000);

  it('streams over wss:// from the bundle, which loads TLS only on first use', async () => {
    const certs = makeCerts();
    const { port, base, start } = await serverProcess({
      args: ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--store', 'memory'],
    });
    const tlsServer = await start();
    const secure = spawn(
      path.join(REPO, 'bin/tidemark'),
      ['agent', '--server', `wss://127.0.0.1:${port}`, '--ca', certs.caCert, '--agent-id', 'over-tls'],
      { env: { ...process.env, TIDEMARK_TOKEN: 't', TIDEMARK_SPOOL_DIR: tempDir() }, stdio: 'ignore' },
    );
    try {
      const ca = readFileSync(certs.caCert);
      const health = await until(
        async () => {
          const h = await getTls<{ ingested: { batches: number } }>(`${base.replace('http:', 'https:')}/healthz`, ca);
          return h.ingested.batches >= 3 ? h : null;
        },
        30_000,
        'three batches from the bundled agent over wss://',
      );
      expect(health.ingested.batches).toBeGreaterThanOrEqual(3);
    } finally {
      secure.kill('SIGTERM');
      await tlsServer.stop();
    }
  }, 60_000);

  it('leaves the YAML parser out of what the bundle loads at start', () => {
    const dir = AGENT_BUNDLE;
    const loaded = chunksLoadedAtStart();
    expect(loaded.length).toBeGreaterThan(1);
    // yaml's error class keeps its name through minifying (the parser's chunk is loaded when a file is read).
    const withYaml = loaded.filter((f) => readFileSync(path.join(dir, f), 'utf8').includes('YAMLParseError'));
    expect(withYaml).toEqual([]);
    expect(readdirSync(dir).some((f) => readFileSync(path.join(dir, f), 'utf8').includes('YAMLParseError'))).toBe(true);
  });

  it("keeps node:crypto, node:v8, perf_hooks and http out of a ws:// agent's process", async () => {
    const { port, base, start } = await serverProcess({ args: ['--store', 'memory'] });
    const running = await start();
    const dir = tempDir();
    const list = path.join(dir, 'modules.txt');
    // Node's own record of the built-ins it loaded, written every second by a preload beside the launcher's flags.
    const preload = path.join(dir, 'record-modules.mjs');
    writeFileSync(
      preload,
      `import { writeFileSync } from 'node:fs';\n` +
        `setInterval(() => writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')), 1000).unref();\n`,
    );
    const launcherFlags = '--max-semi-space-size=1 --jitless --no-expose-wasm --expose-gc --memory-reducer-single-gc';
    const probe = spawn(
      path.join(REPO, 'bin/tidemark'),
      ['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'lean', '--spool-dir', path.join(dir, 'spool')],
      {
        env: { ...process.env, TIDEMARK_TOKEN: 't', TIDEMARK_AGENT_NODE_FLAGS: `${launcherFlags} --import ${preload}` },
        stdio: 'ignore',
      },
    );
    try {
      // After the inventory (its child has run and answered) and a few batches (a WebSocket handshake done).
      await until(
        async () => (await getJson<HostSummary>(`${base}/api/hosts/lean`).catch(() => null))?.inventory ?? null,
        60_000,
        'the inventory',
      );
      await until(
        async () => (await getJson<{ ingested: { batches: number } }>(`${base}/healthz`)).ingested.batches >= 3,
        30_000,
        'three batches',
      );
      const before = Date.now();
      const modules = await until(
        () => {
          try {
            const text = readFileSync(list, 'utf8');
            return Date.now() - before > 1500 ? text.split('\n') : null;
          } catch {
            return null;
          }
        },
        10_000,
        'the module list',
      );
      expect(modules).toContain('NativeModule net');
      expect(modules).toContain('NativeModule child_process');
      expect(modules.filter((m) => /^NativeModule (crypto|v8|perf_hooks|internal\/crypto\/)/.test(m))).toEqual([]);
      // the opening handshake is agent/ws-http.ts's, not Node's http client
      expect(modules.filter((m) => /^NativeModule (https?|_http_\w+)$/.test(m))).toEqual([]);
    } finally {
      probe.kill('SIGTERM');
      await running.stop();
    }
  }, 90_000);
});
