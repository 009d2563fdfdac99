/**
 * Who may do what, over real HTTP and WebSockets: every spelling of a data
 * path needs the credential, a read-only credential cannot change anything,
 * agent and person credentials open only their own doors, an agent token
 * writes only as its own agent id, and another site's page gets nowhere.
 */
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { TidemarkServer } from '../../server/server.js';
import { TokenStore, addToken, tokensFile } from '../../server/token-store.js';
import { loadOrCreateToken } from '../../cli/tokens.js';
import { silentLogger } from '../../shared/log.js';
import { startLoopbackServer } from '../helpers/server.js';
import { CLI, tempDir, until } from '../helpers/process.js';

const start = (opts: Parameters<typeof startLoopbackServer>[0] = {}) =>
  startLoopbackServer({ agentToken: 'fleet-t', alerts: { rulePaths: [], receivers: [], stateFile: null }, ...opts });

/** A request with the path sent exactly as written (fetch would normalise it) and any Host or Origin. */
function raw(
  port: number,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: rawPath,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** Opens a WebSocket and says how the upgrade ended: 'open' or the HTTP status. */
function upgrade(url: string, opts: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, opts);
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_q, res) => resolve(res.statusCode!));
    ws.once('error', () => {});
  });
}

const READ_PATHS = [
  '/API/hosts',
  '/Api/hosts',
  '/API/series?host=h&metric=disk_util_percent',
  '/API/alerts',
  '/Metrics',
  '/METRICS',
  '/metrics/',
  '/api/hosts/',
  '/api//hosts',
  '//api/hosts',
  '/%61pi/hosts',
  '/%2561pi/hosts',
  '/api%2Fhosts',
  '/./api/hosts',
  '/x/../api/hosts',
  '/api/alerts?x=1',
];
const WRITE_REQUESTS: [string, string, string?][] = [
  [
    'POST',
    '/API/silences',
    JSON.stringify({ matchers: [{ label: 'host', value: '.*', regex: true }], duration: '1y' }),
  ],
  ['POST', '/api/silences/', JSON.stringify({ matchers: [{ label: 'host', value: 'a' }], duration: '1h' })],
  ['POST', '/api//silences', JSON.stringify({ matchers: [{ label: 'host', value: 'a' }], duration: '1h' })],
  ['POST', '/%61pi/silences', JSON.stringify({ matchers: [{ label: 'host', value: 'a' }], duration: '1h' })],
  ['POST', '/API/alerts/x/ack'],
  ['DELETE', '/API/silences/x'],
  ['DELETE', '/api/silences/x/'],
  ['PUT', '/anything'],
];

describe('auth on the normalised path', () => {
  it('refuses every spelling of the data paths without a person credential', async () => {
    const { port } = await start({ apiToken: 'admin-t', readToken: 'read-t' });
    for (const p of READ_PATHS) {
      expect((await raw(port, 'GET', p)).status, `GET ${p}`).toBe(401);
      expect((await raw(port, 'GET', p, bearer('fleet-t'))).status, `GET ${p} with the agent token`).toBe(401);
      expect((await raw(port, 'GET', p, bearer('wrong'))).status, `GET ${p} with a wrong token`).toBe(401);
    }
    // The credential in the query string counts for nothing.
    expect((await raw(port, 'GET', '/api/hosts?access_token=admin-t')).status).toBe(401);
    // The right spelling with the credential works, and the dashboard's files and /healthz stay public.
    expect((await raw(port, 'GET', '/api/hosts', bearer('read-t'))).status).toBe(200);
    expect((await raw(port, 'GET', '/metrics', bearer('read-t'))).status).toBe(200);
    expect((await raw(port, 'GET', '/healthz')).status).toBe(200);
  });

  it('refuses every spelling of a state-changing request without admin, and changes nothing', async () => {
    const { server, port } = await start({ apiToken: 'admin-t', readToken: 'read-t' });
    for (const [method, p, body] of WRITE_REQUESTS) {
      expect((await raw(port, method, p, {}, body)).status, `${method} ${p}`).toBe(401);
      expect((await raw(port, method, p, bearer('fleet-t'), body)).status, `${method} ${p} agent`).toBe(401);
      const asReader = await raw(port, method, p, bearer('read-t'), body);
      expect(asReader.status, `${method} ${p} read-only`).toBe(403);
      expect(asReader.text).toMatch(/read-only/);
    }
    expect(server.alerts!.engine.listSilences()).toEqual([]);
    // Admin may silence (through the exact path only).
    const made = await raw(
      port,
      'POST',
      '/api/silences',
      bearer('admin-t'),
      JSON.stringify({ matchers: [{ label: 'host', value: 'db1' }], duration: '1h' }),
    );
    expect(made.status).toBe(201);
    expect(server.alerts!.engine.listSilences()).toHaveLength(1);
  });

  it('lets a read-only credential read but not silence', async () => {
    const { server, port } = await start({ apiToken: 'admin-t', readToken: 'read-t' });
    expect((await raw(port, 'GET', '/api/alerts', bearer('read-t'))).status).toBe(200);
    const body = JSON.stringify({ matchers: [{ label: 'host', value: 'db1' }], duration: '1h' });
    expect((await raw(port, 'POST', '/api/silences', bearer('read-t'), body)).status).toBe(403);
    expect(server.alerts!.engine.listSilences()).toEqual([]);
  });
});

describe('cross-site requests', () => {
  it('refuses another origin and a foreign Host on an open loopback server', async () => {
    const { server, port } = await start();
    const self = `127.0.0.1:${port}`;
    expect((await raw(port, 'GET', '/api/hosts')).status).toBe(200);
    expect((await raw(port, 'GET', '/api/hosts', { Origin: `http://${self}` })).status).toBe(200);
    expect((await raw(port, 'GET', '/api/hosts', { Origin: 'http://evil.example' })).status).toBe(403);
    const ack = await raw(port, 'POST', '/api/alerts/x/ack', { Origin: 'http://evil.example' });
    expect(ack.status).toBe(403);
    const silence = JSON.stringify({ matchers: [{ label: 'host', value: 'a' }], duration: '1y' });
    expect((await raw(port, 'POST', '/api/silences', { Origin: 'https://evil.example' }, silence)).status).toBe(403);
    // DNS rebinding: the page's own name resolved to 127.0.0.1 arrives as the Host.
    expect((await raw(port, 'GET', '/api/hosts', { Host: `evil.example:${port}` })).status).toBe(403);
    expect(server.alerts!.engine.listSilences()).toEqual([]);
  });

  it('accepts the name of a proxy in front when it is listed, and still no other', async () => {
    const { port } = await start({ apiToken: 'admin-t', allowedHosts: ['monitor.example'] });
    const h = { ...bearer('admin-t') };
    expect((await raw(port, 'GET', '/api/hosts', { ...h, Origin: 'https://monitor.example' })).status).toBe(200);
    expect((await raw(port, 'GET', '/api/hosts', { ...h, Origin: 'https://evil.example' })).status).toBe(403);
    const url = `ws://127.0.0.1:${port}/ws/dashboard`;
    expect(await upgrade(url, { headers: { ...h, Origin: 'https://monitor.example' } })).toBe('open');
    expect(await upgrade(url, { headers: { ...h, Origin: 'https://evil.example' } })).toBe(403);
  });

  it('refuses a cross-origin dashboard WebSocket and accepts a same-origin one', async () => {
    const { port } = await start();
    const url = `ws://127.0.0.1:${port}/ws/dashboard`;
    expect(await upgrade(url, { headers: { Origin: 'http://evil.example' } })).toBe(403);
    expect(await upgrade(url, { headers: { Host: `rebound.example:${port}` } })).toBe(403);
    expect(await upgrade(url, { headers: { Origin: `http://127.0.0.1:${port}` } })).toBe('open');
  });
});

describe('credentials per door', () => {
  it('takes the dashboard credential as a subprotocol, never from the query, and never the agent token', async () => {
    const { port } = await start({ apiToken: 'admin-t' });
    const url = `ws://127.0.0.1:${port}/ws/dashboard`;
    const sub = (t: string) => ['tidemark', `tidemark.bearer.${Buffer.from(t).toString('base64url')}`];
    expect(await upgrade(url, {}, sub('admin-t'))).toBe('open');
    expect(await upgrade(`${url}?access_token=admin-t`)).toBe(401);
    expect(await upgrade(url, {}, sub('fleet-t'))).toBe(401);
    expect(await upgrade(url, { headers: bearer('fleet-t') })).toBe(401);
    // And no person's credential opens the agents' endpoint.
    expect(await upgrade(`ws://127.0.0.1:${port}/ws/agent`, { headers: bearer('admin-t') })).toBe(401);
    expect(await upgrade(`ws://127.0.0.1:${port}/ws/agent?access_token=fleet-t`)).toBe(401);
    expect(await upgrade(`ws://127.0.0.1:${port}/WS/agent`, { headers: bearer('fleet-t') })).toBe(404);
  });

  it("lets agent A's token write only as A", async () => {
    const dir = tempDir();
    const file = tokensFile(dir);
    const tokenA = addToken(file, 'host-a', 'agent');
    const { server, port } = await start({ tokens: new TokenStore(file) });
    const url = `ws://127.0.0.1:${port}/ws/agent`;
    const hello = (agentId: string) =>
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agentId,
        session: 's1',
        hostname: agentId,
        agentVersion: 't',
        inventory: null,
      });

    const asB = new WebSocket(url, { headers: bearer(tokenA) });
    const replies: { type: string; code?: string }[] = [];
    asB.on('message', (d) => replies.push(JSON.parse((d as Buffer).toString()) as { type: string }));
    await new Promise((r) => asB.once('open', r));
    const closed = new Promise<number>((r) => asB.once('close', (c) => r(c)));
    asB.send(hello('host-b'));
    expect(await closed).toBe(4003);
    expect(replies[0]).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(server.hosts.get('host-b')).toBeUndefined();

    const asA = new WebSocket(url, { headers: bearer(tokenA) });
    const got: { type: string }[] = [];
    asA.on('message', (d) => got.push(JSON.parse((d as Buffer).toString()) as { type: string }));
    await new Promise((r) => asA.once('open', r));
    asA.send(hello('host-a'));
    await until(() => got.length > 0, 5000, 'welcome');
    expect(got[0]!.type).toBe('welcome');
    expect(server.hosts.get('host-a')?.connected).toBe(true);
    asA.close();
    // The agent's token opens neither the API nor the dashboard socket.
    expect((await raw(port, 'GET', '/api/hosts', bearer(tokenA))).status).toBe(200); // open loopback: no person credential exists
    addToken(file, 'alice', 'read');
    await until(async () => (await raw(port, 'GET', '/api/hosts', bearer(tokenA))).status === 401, 5000, 'reload');
    expect(await upgrade(`ws://127.0.0.1:${port}/ws/dashboard`, { headers: bearer(tokenA) })).toBe(401);
  });
});

describe('beyond loopback', () => {
  it('will not start with only an agent token: people need their own credential', () => {
    expect(
      () => new TidemarkServer({ host: '0.0.0.0', port: 0, agentToken: 'fleet-t', apiToken: null, log: silentLogger }),
    ).toThrow(/without a credential for people/);
    let err: { status: number; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [CLI, 'server', '--host', '0.0.0.0', '--port', '0', '--store', 'memory'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, TIDEMARK_TOKEN: 'fleet-t', TIDEMARK_DATA_DIR: tempDir() },
      });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(2);
    expect(err?.stderr).toMatch(/without a credential for people: set --api-token/);
  });
});

describe('tidemark token', () => {
  it('adds, lists and revokes credentials stored hashed, and the server follows', async () => {
    const dir = tempDir();
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [CLI, 'token', ...args, '--data-dir', dir], { encoding: 'utf8', stdio: 'pipe' });
    const token = run('add', 'db-7').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const viewer = run('add', 'alice', '--role', 'read').trim();
    const stored = readFileSync(tokensFile(dir), 'utf8');
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(viewer);
    const listed = run('list');
    expect(listed).toMatch(/agent\s+db-7/);
    expect(listed).toMatch(/read\s+alice/);
    expect(listed).not.toContain(token);

    const { port } = await start({ tokens: new TokenStore(tokensFile(dir)) });
    expect((await raw(port, 'GET', '/api/hosts', bearer(viewer))).status).toBe(200);
    expect(await upgrade(`ws://127.0.0.1:${port}/ws/agent`, { headers: bearer(token) })).toBe('open');
    expect(run('revoke', 'db-7')).toMatch(/revoked 1/);
    await until(
      async () => (await upgrade(`ws://127.0.0.1:${port}/ws/agent`, { headers: bearer(token) })) === 401,
      5000,
      'revocation',
    );
  });

  it('does not silently replace a lost agent-token file', () => {
    const dir = tempDir();
    const first = loadOrCreateToken(dir);
    expect(first.created).toBe(true);
    expect(loadOrCreateToken(dir).token).toBe(first.token);
    writeFileSync(path.join(dir, 'tidemark.db'), '');
    execFileSync('rm', [first.file]);
    expect(() => loadOrCreateToken(dir)).toThrow(/agent-token is missing.*earlier run/);
    expect(existsSync(first.file)).toBe(false);
    // An empty file asks for a new one.
    writeFileSync(first.file, '');
    const fresh = loadOrCreateToken(dir);
    expect(fresh.created).toBe(true);
    expect(fresh.token).not.toBe(first.token);
  });
});
