import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../shared/log.js';
import { Agent, hostCollectors } from '../agent/agent.js';
import type { TidemarkServer } from '../server/server.js';
import { isLoopback } from '../server/auth.js';
import { ConfigError, defaultSpoolDir, resolveSettings } from './config.js';
import { loadOrCreateToken } from './tokens.js';
import path from 'node:path';
import type { ArrayReport } from '../agent/raid/arrays.js';

type Flags = Record<string, unknown>;

/**
 * A clean stop on SIGINT/SIGTERM, within a deadline: a second signal, or a
 * stop that takes longer than `deadlineMs`, exits at once. Nothing
 * acknowledged is lost either way: the server's write-ahead log has it.
 */
function onSignals(stop: () => Promise<void>, deadlineMs = 60_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without finishing the clean stop\n`);
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`the clean stop took over ${deadlineMs / 1000} s: exiting without finishing it\n`);
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function startServer(
  flags: Flags,
  log: Logger,
): Promise<{ server: TidemarkServer; port: number; token: string; host: string }> {
  const s = resolveSettings(['host', 'port', 'dataDir', 'token', 'apiToken', 'store', 'retentionHours'], flags);
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
  // Server modules (express, SQLite, alerting) load only for the commands that run a server,
  // so `tidemark agent` stays small.
  const [{ TidemarkServer }, { SqliteStore }, { MemoryStore }, { alertsOptions }, { openHistory, StorageErrors }] =
    await Promise.all([
      import('../server/server.js'),
      import('../server/store/sqlite.js'),
      import('../server/store/memory.js'),
      import('./alerts-config.js'),
      import('../server/store/integrity.js'),
    ]);
  const storageErrors = new StorageErrors();
  const alerts = alertsOptions(flags, s.dataDir);
  const store =
    s.store === 'sqlite'
      ? openHistory(
          path.join(s.dataDir, 'tidemark.db'),
          () =>
            new SqliteStore({
              file: path.join(s.dataDir, 'tidemark.db'),
              rawRetentionMs: s.retentionHours * 3_600_000,
              log: log.child('store'),
              errors: storageErrors,
            }),
          storageErrors,
          log.child('store'),
        )
      : new MemoryStore();
  const server = new TidemarkServer({
    host: s.host,
    port: s.port,
    agentToken: token,
    apiToken,
    log: log.child('server'),
    alerts,
    store,
  });
  const port = await server.listen();
  const shownHost = s.host.includes(':') ? `[${s.host}]` : s.host;
  log.info(`dashboard at http://${shownHost}:${port}/`, apiToken ? { auth: 'API token required' } : undefined);
  log.info('alerting', {
    rules: server.alerts?.ruleSet.rules().length ?? 0,
    receivers:
      alerts.receivers.map((r) => `${r.name} (${r.type})`).join(', ') || 'none: alerts show on the dashboard only',
  });
  return { server, port, token, host: s.host };
}

export async function serverCommand(flags: Flags): Promise<void> {
  const { logLevel } = resolveSettings(['logLevel'], flags);
  const log = createLogger(logLevel);
  const { server } = await startServer(flags, log);
  onSignals(() => server.close());
}

export async function agentCommand(flags: Flags): Promise<void> {
  const s = resolveSettings(
    [
      'server',
      'token',
      'root',
      'agentId',
      'intervalMs',
      'buffer',
      'spoolDir',
      'logLevel',
      'logrotateConfig',
      'logrotateState',
      'mongodConfig',
      'mongodUser',
      'mongodUri',
    ],
    flags,
  );
  if (!s.token) throw new ConfigError('an agent token is required: pass --token or set TIDEMARK_TOKEN');
  const log = createLogger(s.logLevel, 'tidemark/agent');
  const agent = new Agent({
    serverUrl: s.server,
    token: s.token,
    root: s.root,
    agentId: s.agentId,
    intervalMs: s.intervalMs,
    bufferCapacity: s.buffer,
    spoolDir: s.spoolDir === 'none' ? null : s.spoolDir || defaultSpoolDir(s.agentId),
    inventoryIntervalMs: 5 * 60_000,
    log,
    logPaths: {
      logrotateConfig: s.logrotateConfig,
      logrotateState: s.logrotateState,
      mongodConfig: s.mongodConfig,
      mongodUser: s.mongodUser,
      mongodUri: s.mongodUri,
    },
  });
  log.info('agent starting', {
    server: s.server,
    root: s.root,
    id: s.agentId,
    intervalMs: s.intervalMs,
    buffer: s.buffer,
  });
  await agent.start();
  onSignals(() => agent.stop());
}

/** Server in this process, the local agent as a child in the same process group, restarted if it dies. */
export async function startCommand(flags: Flags): Promise<void> {
  const s = resolveSettings(
    ['logLevel', 'root', 'intervalMs', 'logrotateConfig', 'logrotateState', 'mongodConfig', 'mongodUser', 'mongodUri'],
    flags,
  );
  const log = createLogger(s.logLevel);
  const { server, port, token, host } = await startServer(flags, log);
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const agentHost = isLoopback(host) ? host : '127.0.0.1';
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;
  const launch = () => {
    const args = [
      cli,
      'agent',
      '--server',
      `ws://${agentHost.includes(':') ? `[${agentHost}]` : agentHost}:${port}`,
      '--root',
      s.root,
      '--interval-ms',
      String(s.intervalMs),
      '--log-level',
      s.logLevel,
    ];
    for (const [flag, value] of [
      ['--logrotate-config', s.logrotateConfig],
      ['--logrotate-state', s.logrotateState],
      ['--mongod-config', s.mongodConfig],
      ['--mongod-user', s.mongodUser],
    ] as const) {
      if (value) args.push(flag, value);
    }
    // The mongod URI may hold credentials: like the token, it travels in the environment.
    const env: NodeJS.ProcessEnv = { ...process.env, TIDEMARK_TOKEN: token };
    if (s.mongodUri) env.TIDEMARK_MONGOD_URI = s.mongodUri;
    // The token goes through the environment, not argv, so `ps` does not show it.
    child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
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
  const s = resolveSettings(
    ['root', 'logrotateConfig', 'logrotateState', 'mongodConfig', 'mongodUser', 'mongodUri'],
    flags,
  );
  const root = s.root;
  const collectors = hostCollectors(root, s);
  const out: Record<string, unknown> = {};
  let failed = false;
  for (const c of collectors) {
    try {
      out[c.name] = await c.snapshot();
    } catch (err) {
      failed = true;
      out[c.name] = { state: 'error', message: (err as Error).message };
    }
    await c.close?.();
  }
  const report = { root, collectedAt: new Date().toISOString(), collectors: out };
  if (flags.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stdout.write(formatCollect(report.collectors));
  }
  return failed ? 1 : 0;
}

type Snapshot = {
  state?: string;
  message?: string;
  devices?: { name: string; inFlight: number | null; reads: number; writes: number; ioMs: number | null }[];
  arrays?: ArrayReport[];
  errors?: string[];
  some?: { avg10: number; avg60: number; avg300: number };
  full?: { avg10: number; avg60: number; avg300: number } | null;
};

function formatCollect(collectors: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(collectors)) {
    const v = value as Snapshot;
    if (v.state) {
      lines.push(`${name}: ${v.state}${v.message ? ` — ${v.message}` : ''}`);
    } else if (v.devices) {
      lines.push(`${name}:`);
      lines.push('  device            reads       writes    io_ms  in_flight');
      for (const d of v.devices) {
        lines.push(
          `  ${d.name.padEnd(12)} ${String(d.reads).padStart(10)} ${String(d.writes).padStart(12)} ${String(d.ioMs ?? '-').padStart(8)} ${String(d.inFlight ?? '-').padStart(10)}`,
        );
      }
    } else if (v.arrays) {
      lines.push(`${name}: ${v.arrays.length} array(s)`);
      for (const e of v.errors ?? []) lines.push(`  error: ${e}`);
      for (const a of v.arrays) lines.push(...describeArray(a).map((l) => '  ' + l));
    } else if (v.some) {
      const f = (p: { avg10: number; avg60: number; avg300: number }) =>
        `avg10 ${p.avg10} % avg60 ${p.avg60} % avg300 ${p.avg300} %`;
      lines.push(`${name}: some ${f(v.some)}${v.full ? `; full ${f(v.full)}` : ''}`);
    } else {
      lines.push(`${name}: ok`);
    }
  }
  return lines.join('\n') + '\n';
}

/** An array in words: "md6 raid1 rebuilding: 1 of 2 disks working, slot 1 missing, failed sdb2; recovery 8.5 % at 259783 kB/s, 17 min left". */
export function describeArray(a: ArrayReport): string[] {
  if (a.error && a.sources.length === 0) return [`${a.name}: unreadable — ${a.error}`];
  const parts: string[] = [];
  if (a.disks.expected !== null && a.disks.active !== null)
    parts.push(`${a.disks.active} of ${a.disks.expected} disks working`);
  if (a.missingSlots.length) parts.push(`slot ${a.missingSlots.join(', ')} missing`);
  const named = (state: string) => a.members.filter((m) => m.state === state).map((m) => m.name);
  if (named('faulty').length) parts.push(`failed ${named('faulty').join(', ')}`);
  if (named('rebuilding').length) parts.push(`rebuilding onto ${named('rebuilding').join(', ')}`);
  if (named('spare').length) parts.push(`spare ${named('spare').join(', ')}`);
  let line = `${a.name} ${a.level ?? '?'} ${a.health}${a.readOnly ? ' (read-only)' : ''}: ${parts.join(', ')}`;
  if (a.sync) {
    const s = a.sync;
    line +=
      s.status === 'running'
        ? `; ${s.action} ${s.percent ?? '?'} %${s.speedKBps !== null ? ` at ${s.speedKBps} kB/s` : ''}${s.etaSeconds !== null ? `, ${Math.round(s.etaSeconds / 60)} min left` : ''}`
        : `; ${s.action} ${s.status}`;
  }
  const out = [line];
  if (a.mismatchCnt) out.push(`  mismatch_cnt ${a.mismatchCnt}`);
  for (const d of a.disagreements) out.push(`  disagreement: ${d}`);
  if (a.error) out.push(`  error: ${a.error}`);
  return out;
}

/** `tidemark simulate`: N simulated hosts on the real protocol, until interrupted or for --duration seconds. */
export async function simulateCommand(flags: Flags): Promise<void> {
  const s = resolveSettings(['server', 'token', 'intervalMs', 'logLevel'], flags);
  if (!s.token) throw new ConfigError('a token is required: pass --token or set TIDEMARK_TOKEN');
  const agents = Number(flags.agents ?? 10);
  if (!Number.isInteger(agents) || agents < 1 || agents > 100_000)
    throw new ConfigError('--agents: a whole number from 1 to 100000');
  const duration = flags.duration === undefined ? null : Number(flags.duration);
  if (duration !== null && !(duration > 0)) throw new ConfigError('--duration: seconds, more than 0');
  const log = createLogger(s.logLevel, 'tidemark/simulate');
  const { simulate } = await import('../agent/simulator.js');
  const sim = simulate({
    agents,
    serverUrl: s.server,
    token: s.token,
    intervalMs: s.intervalMs,
    prefix: String(flags.prefix ?? 'sim'),
    log: log.child('transport'),
  });
  log.info('simulating', {
    agents,
    server: s.server,
    intervalMs: s.intervalMs,
    seriesPerHost: sim.hosts[0]!.sample(Date.now()).samples.length,
  });
  const report = setInterval(() => {
    const connected = sim.hosts.filter((h) => h.transport.connected).length;
    const buffered = sim.hosts.reduce((n, h) => n + h.transport.buffer.size, 0);
    log.info('status', { connected, buffered });
  }, 10_000);
  const stop = async () => {
    clearInterval(report);
    await sim.stop();
  };
  onSignals(stop);
  if (duration !== null) setTimeout(() => void stop().then(() => process.exit(0)), duration * 1000);
}
