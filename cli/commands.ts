import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../shared/log.js';
import { Agent } from '../agent/agent.js';
import type { TidemarkServer } from '../server/server.js';
import { isLoopback } from '../shared/loopback.js';
import { ConfigError, defaultSpoolDir, resolveSettings } from './config.js';
import { collectorChoice } from './collector-flags.js';
import { LIMIT_NAMES, serverLimitOptions } from './limit-settings.js';
import { AGENT_FLAG_SETTINGS, HOST_SOURCES, LISTEN_AND_STORE, SERVER_CREDENTIALS } from './setting-flags.js';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';

export type Flags = Record<string, unknown>;

/**
 * A clean stop on SIGINT/SIGTERM, within a deadline: a second signal, or a
 * stop that takes longer than `deadlineMs`, exits at once. Nothing
 * acknowledged is lost either way: the server's write-ahead log has it.
 */
function onSignals(
  stop: () => Promise<void>,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
  deadlineMs = 60_000,
): void {
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
  for (const signal of signals) process.on(signal, handler);
}

/** The server's refusals of its settings (e.g. no credential beyond loopback) are configuration errors: exit 2. */
function serverOrConfigError<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('refusing')) throw new ConfigError(err.message);
    throw err;
  }
}

/** The server's settings and limits, checked together; the agent token made on loopback when none is given. */
function serverSettings(flags: Flags, log: Logger, loadOrCreateToken: ServerModules['loadOrCreateToken']) {
  const s = resolveSettings(
    [...LISTEN_AND_STORE, ...SERVER_CREDENTIALS, 'allowedHosts', 'haPeer', 'historyUrl'],
    flags,
  );
  const limits = serverLimitOptions(resolveSettings(LIMIT_NAMES, flags));
  if (limits.headersTimeoutMs! > limits.requestTimeoutMs!)
    throw new ConfigError(
      `--headers-timeout-ms (${limits.headersTimeoutMs}) must not exceed --request-timeout-ms (${limits.requestTimeoutMs})`,
    );
  if (!s.tlsCert !== !s.tlsKey) throw new ConfigError('--tls-cert and --tls-key go together');
  if (s.clientCa && !s.tlsCert) throw new ConfigError('--client-ca needs --tls-cert and --tls-key (mutual TLS)');
  let token = s.token;
  if (!token) {
    if (!isLoopback(s.host)) {
      throw new ConfigError(`refusing to listen on ${s.host} without a token: pass --token or set TIDEMARK_TOKEN`);
    }
    const t = loadOrCreateToken(s.dataDir);
    token = t.token;
    log.info(t.created ? 'generated an agent token' : 'using the agent token', { file: t.file });
  }
  return { s, limits, token };
}

type ServerSettings = ReturnType<typeof serverSettings>['s'];

/**
 * Server modules (express, SQLite, alerting) load only for the commands that
 * run a server, so `tidemark agent` stays small.
 */
async function serverModules() {
  const [
    { TidemarkServer },
    { SqliteStore },
    { MemoryStore },
    { alertsOptions },
    { TokenStore, tokensFile },
    { remoteWriteConfig },
    { openHistory, StorageErrors },
    { haStatus },
    { RemoteHistory },
    { loadOrCreateToken },
  ] = await Promise.all([
    import('../server/server.js'),
    import('../server/store/sqlite.js'),
    import('../server/store/memory.js'),
    import('./alerts-config.js'),
    import('../server/token-store.js'),
    import('./remote-write-config.js'),
    import('../server/store/integrity.js'),
    import('../server/ha.js'),
    import('../server/history-remote.js'),
    // Tokens (and node:crypto with them) load with the server's modules, not on the agent's path.
    import('./tokens.js'),
  ]);
  return {
    TidemarkServer,
    SqliteStore,
    MemoryStore,
    alertsOptions,
    TokenStore,
    tokensFile,
    remoteWriteConfig,
    openHistory,
    StorageErrors,
    haStatus,
    RemoteHistory,
    loadOrCreateToken,
  };
}

type ServerModules = Awaited<ReturnType<typeof serverModules>>;

/** History in SQLite in the data dir (checked and, if need be, set aside by openHistory), or in memory. */
function openStore(m: ServerModules, s: ServerSettings, log: Logger) {
  if (s.store !== 'sqlite') return new m.MemoryStore();
  const file = path.join(s.dataDir, 'tidemark.db');
  const errors = new m.StorageErrors();
  return m.openHistory(
    file,
    () => new m.SqliteStore({ file, rawRetentionMs: s.retentionHours * 3_600_000, log: log.child('store'), errors }),
    errors,
    log.child('store'),
  );
}

function openTokens(m: ServerModules, dataDir: string, log: Logger) {
  try {
    return new m.TokenStore(m.tokensFile(dataDir), (msg) => log.error(msg));
  } catch (err) {
    throw new ConfigError(errorMessage(err));
  }
}

/** Listens, turning the usual refusals of an address or port into configuration errors that say what to change. */
async function listenOrExplain(server: TidemarkServer, s: ServerSettings): Promise<number> {
  return server.listen().catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new ConfigError(`port ${s.port} is in use: choose another with --port`);
    if (err.code === 'EACCES')
      throw new ConfigError(`no permission to listen on port ${s.port}: choose another with --port`);
    if (err.code === 'EADDRNOTAVAIL') throw new ConfigError(`${s.host} is not an address of this machine (--host)`);
    throw err;
  });
}

/** What the server runs with, told once at start: where the dashboard is, alerting, HA, history and remote write. */
function logServerStart(
  server: TidemarkServer,
  port: number,
  s: ServerSettings,
  alerts: ReturnType<ServerModules['alertsOptions']>,
  ha: ReturnType<ServerModules['haStatus']> | null,
  log: Logger,
): void {
  const shownHost = s.host.includes(':') ? `[${s.host}]` : s.host;
  const scheme = s.tlsCert ? 'https' : 'http';
  log.info(
    `dashboard at ${scheme}://${shownHost}:${port}/`,
    server.access.open ? undefined : { auth: 'credential required' },
  );
  log.info('alerting', {
    rules: server.alerts?.ruleSet.rules().length ?? 0,
    receivers:
      alerts.receivers.map((r) => `${r.name} (${r.type})`).join(', ') || 'none: alerts show on the dashboard only',
  });
  if (ha?.warning) log.warn('direct receivers in an HA pair page twice', { warning: ha.warning });
  else if (ha) log.info('HA pair', { peer: ha.peer, receivers: 'Alertmanager only: one page per alert' });
  if (s.historyUrl)
    log.info('history ranges read from the shared store; the live view stays local', { url: s.historyUrl });
}

async function startServer(
  flags: Flags,
  log: Logger,
): Promise<{ server: TidemarkServer; port: number; token: string; host: string; tlsCert: string }> {
  const m = await serverModules();
  const { s, limits, token } = serverSettings(flags, log, m.loadOrCreateToken);
  const tokens = openTokens(m, s.dataDir, log);
  const alerts = m.alertsOptions(flags, s.dataDir);
  const ha = s.haPeer ? m.haStatus(s.haPeer, alerts.receivers) : null;
  const rwConfig = m.remoteWriteConfig(flags);
  const remoteWrite = rwConfig
    ? new (await import('../server/remote-write/index.js')).RemoteWrite({
        ...rwConfig,
        dir: path.join(s.dataDir, 'remote-write'),
        log: log.child('remote-write'),
      })
    : null;
  const store = openStore(m, s, log);
  const server = serverOrConfigError(
    () =>
      new m.TidemarkServer({
        host: s.host,
        port: s.port,
        agentToken: token,
        // People have their own credentials; an agent's never opens the dashboard or API.
        apiToken: s.apiToken || null,
        readToken: s.readToken || null,
        allowedHosts: s.allowedHosts,
        tokens,
        tls: s.tlsCert ? { certFile: s.tlsCert, keyFile: s.tlsKey, clientCaFile: s.clientCa || null } : null,
        log: log.child('server'),
        alerts,
        store,
        remoteWrite,
        ha,
        history: s.historyUrl ? new m.RemoteHistory(s.historyUrl) : null,
        ...limits,
      }),
  );
  const port = await listenOrExplain(server, s);
  logServerStart(server, port, s, alerts, ha, log);
  if (remoteWrite) log.info('remote write', { targets: remoteWrite.targets.map((t) => t.name).join(', ') });
  return { server, port, token, host: s.host, tlsCert: s.tlsCert };
}

export async function serverCommand(flags: Flags): Promise<void> {
  const { logLevel } = resolveSettings(['logLevel'], flags);
  const log = createLogger(logLevel);
  const { server } = await startServer(flags, log);
  onSignals(() => server.close());
}

/** A repeatable flag's values (a single string from a caller that does not repeat it). */
function flagList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? [v] : [];
}

export async function agentCommand(flags: Flags): Promise<void> {
  const mongodUris = flagList(flags.mongodUri);
  const mongodConfigs = flagList(flags.mongodConfig);
  // The first pair goes through the usual precedence (flag, env, YAML); the rest exist only as flags.
  flags = { ...flags, mongodUri: mongodUris[0], mongodConfig: mongodConfigs[0] };
  const s = resolveSettings([...AGENT_FLAG_SETTINGS, 'logLevel'], flags);
  if (!s.token) throw new ConfigError('an agent token is required: pass --token or set TIDEMARK_TOKEN');
  if (!s.clientCert !== !s.clientKey) throw new ConfigError('--client-cert and --client-key go together');
  const log = createLogger(s.logLevel, 'tidemark/agent');
  const agent = new Agent({
    serverUrl: s.server,
    failbackMs: s.failbackSeconds * 1000,
    token: s.token,
    root: s.root,
    agentId: s.agentId,
    intervalMs: s.intervalMs,
    bufferCapacity: s.buffer,
    spoolDir: s.spoolDir === 'none' ? null : s.spoolDir || defaultSpoolDir(s.agentId),
    // OS, CPUs, memory, disks change rarely (a check is a few reads; the inventory is gathered again only
    // when they changed); free space is the filesystems collector's, every second.
    inventoryIntervalMs: s.inventoryIntervalMs,
    log,
    logPaths: {
      logrotateConfig: s.logrotateConfig,
      logrotateState: s.logrotateState,
      mongodConfig: s.mongodConfig,
      mongodUser: s.mongodUser,
      mongodUri: s.mongodUri,
      mongodUris: mongodUris.length > 1 ? [s.mongodUri, ...mongodUris.slice(1)] : undefined,
      mongodConfigs: mongodConfigs.length > 1 ? [s.mongodConfig, ...mongodConfigs.slice(1)] : undefined,
    },
    disks: { disksInclude: s.disksInclude, disksExclude: s.disksExclude },
    collectors: collectorChoice(flags),
    tls: {
      caFile: s.ca || undefined,
      insecureSkipVerify: s.insecureSkipVerify,
      certFile: s.clientCert || undefined,
      keyFile: s.clientKey || undefined,
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
  if (process.send) {
    // Started by `tidemark start`: Ctrl-C reaches the whole process group, but the parent decides when the agent
    // stops (it sends SIGTERM), and the agent goes with the parent if the parent dies.
    process.on('SIGINT', () => {});
    process.once('disconnect', () => void agent.stop().then(() => process.exit(0)));
    onSignals(() => agent.stop(), ['SIGTERM']);
  } else {
    onSignals(() => agent.stop());
  }
}

/** Server in this process, the local agent as a child in the same process group, restarted if it dies. */
export async function startCommand(flags: Flags): Promise<void> {
  const s = resolveSettings(['logLevel', 'intervalMs', 'ca', ...HOST_SOURCES], flags);
  const log = createLogger(s.logLevel);
  const { server, port, token, host, tlsCert } = await startServer(flags, log);
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
      `${tlsCert ? 'wss' : 'ws'}://${agentHost.includes(':') ? `[${agentHost}]` : agentHost}:${port}`,
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
      ['--disks-include', s.disksInclude],
      ['--disks-exclude', s.disksExclude],
    ] as const) {
      if (value) args.push(flag, value);
    }
    // The mongod URI may hold credentials: like the token, it travels in the environment.
    const env: NodeJS.ProcessEnv = { ...process.env, TIDEMARK_TOKEN: token };
    if (s.mongodUri) env.TIDEMARK_MONGOD_URI = s.mongodUri;
    // Over TLS the local agent trusts --ca, else the served certificate itself (a self-signed one naming 127.0.0.1).
    if (tlsCert) env.TIDEMARK_CA = s.ca || tlsCert;
    // The token goes through the environment, not argv, so `ps` does not show it.
    // The IPC channel tells the agent it is supervised (see agentCommand) and closes when this process dies.
    child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
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
    const c = child;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    await server.close();
  });
}

/** `tidemark simulate`: N simulated hosts on the real protocol, until interrupted or for --duration seconds. */
export async function simulateCommand(flags: Flags): Promise<void> {
  if (flags.scenario !== undefined) {
    const { scenarioCommand } = await import('./simulate-scenario.js');
    process.exitCode = await scenarioCommand(flags);
    return;
  }
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
    prefix: typeof flags.prefix === 'string' ? flags.prefix : 'sim',
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
