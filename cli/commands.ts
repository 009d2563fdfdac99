import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../shared/log.js';
import { Agent, hostCollectors } from '../agent/agent.js';
import { TidemarkServer } from '../server/server.js';
import { isLoopback } from '../server/auth.js';
import { ConfigError, resolveSettings } from './config.js';
import { loadOrCreateToken } from './tokens.js';

type Flags = Record<string, unknown>;

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function startServer(flags: Flags, log: Logger): Promise<{ server: TidemarkServer; port: number; token: string; host: string }> {
  const s = resolveSettings(['host', 'port', 'dataDir', 'token', 'apiToken'], flags);
  let token = s.token;
  if (!token) {
    if (!isLoopback(s.host)) {
      throw new ConfigError(`refusing to listen on ${s.host} without a token: pass --token or set TIDEMARK_TOKEN`);
    }
    const t = loadOrCreateToken(s.dataDir);
    token = t.token;
    log.info(t.created ? 'generated an agent token' : 'using the agent token', { file: t.file });
  }
  // Beyond loopback the dashboard and API need a credential too; the agent token serves unless another is set.
  const apiToken = s.apiToken || (isLoopback(s.host) ? null : token);
  const server = new TidemarkServer({ host: s.host, port: s.port, agentToken: token, apiToken, log: log.child('server') });
  const port = await server.listen();
  const shownHost = s.host.includes(':') ? `[${s.host}]` : s.host;
  log.info(`dashboard at http://${shownHost}:${port}/`, apiToken ? { auth: 'API token required' } : undefined);
  return { server, port, token, host: s.host };
}

export async function serverCommand(flags: Flags): Promise<void> {
  const { logLevel } = resolveSettings(['logLevel'], flags);
  const log = createLogger(logLevel);
  const { server } = await startServer(flags, log);
  onSignals(() => server.close());
}

export async function agentCommand(flags: Flags): Promise<void> {
  const s = resolveSettings(['server', 'token', 'root', 'agentId', 'intervalMs', 'buffer', 'logLevel'], flags);
  if (!s.token) throw new ConfigError('an agent token is required: pass --token or set TIDEMARK_TOKEN');
  const log = createLogger(s.logLevel, 'tidemark/agent');
  const agent = new Agent({
    serverUrl: s.server,
    token: s.token,
    root: s.root,
    agentId: s.agentId,
    intervalMs: s.intervalMs,
    bufferCapacity: s.buffer,
    inventoryIntervalMs: 5 * 60_000,
    log,
  });
  log.info('agent starting', { server: s.server, root: s.root, id: s.agentId, intervalMs: s.intervalMs, buffer: s.buffer });
  await agent.start();
  onSignals(() => agent.stop());
}

/** Server in this process, the local agent as a child in the same process group, restarted if it dies. */
export async function startCommand(flags: Flags): Promise<void> {
  const s = resolveSettings(['logLevel', 'root', 'intervalMs'], flags);
  const log = createLogger(s.logLevel);
  const { server, port, token, host } = await startServer(flags, log);
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const agentHost = isLoopback(host) ? host : '127.0.0.1';
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;
  const launch = () => {
    const args = [cli, 'agent', '--server', `ws://${agentHost.includes(':') ? `[${agentHost}]` : agentHost}:${port}`, '--root', s.root, '--interval-ms', String(s.intervalMs), '--log-level', s.logLevel];
    // The token goes through the environment, not argv, so `ps` does not show it.
    child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TIDEMARK_TOKEN: token } });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      restarts++;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
      log.error('local agent exited; restarting', { code, signal, inMs: delay });
      setTimeout(launch, delay).unref();
    });
  };
  launch();
  onSignals(async () => {
    stopping = true;
    const c = child as ChildProcess | null;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    await server.close();
  });
}

export async function collectCommand(flags: Flags): Promise<number> {
  const { root } = resolveSettings(['root'], flags);
  const collectors = hostCollectors(root);
  const out: Record<string, unknown> = {};
  let failed = false;
  for (const c of collectors) {
    try {
      out[c.name] = await c.snapshot();
    } catch (err) {
      failed = true;
      out[c.name] = { state: 'error', message: (err as Error).message };
    }
  }
  const report = { root, collectedAt: new Date().toISOString(), collectors: out };
  if (flags.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stdout.write(formatCollect(report.collectors));
  }
  return failed ? 1 : 0;
}

function formatCollect(collectors: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(collectors)) {
    const v = value as { state?: string; message?: string; devices?: { name: string; inFlight: number | null; reads: number; writes: number; ioMs: number | null }[] };
    if (v.state) {
      lines.push(`${name}: ${v.state}${v.message ? ` — ${v.message}` : ''}`);
    } else if (v.devices) {
      lines.push(`${name}:`);
      lines.push('  device            reads       writes    io_ms  in_flight');
      for (const d of v.devices) {
        lines.push(`  ${d.name.padEnd(12)} ${String(d.reads).padStart(10)} ${String(d.writes).padStart(12)} ${String(d.ioMs ?? '-').padStart(8)} ${String(d.inFlight ?? '-').padStart(10)}`);
      }
    } else {
      lines.push(`${name}: ok`);
    }
  }
  return lines.join('\n') + '\n';
}
