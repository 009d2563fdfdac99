import os from 'node:os';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION } from '../shared/wire.js';
import type { Hello } from '../shared/protocol.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import type { Logger } from '../shared/log.js';
import type { Collector } from './collectors/collector.js';
import { CpuCollector } from './collectors/cpu.js';
import { DisksCollector } from './collectors/disks.js';
import type { DeviceFilter } from './procfs/devices.js';
import { PressureCollector } from './collectors/pressure.js';
import { RaidCollector } from './collectors/raid.js';
import { LogPathsCollector, type LogPathOptions } from './collectors/logpaths.js';
import { FilesystemsCollector, type WatchedPath } from './collectors/filesystems.js';
import { LogrotateScheduleCollector } from './collectors/logrotate-schedule.js';
import { loadMongodConfig } from './mongod/config-check.js';
import {
  DEFAULT_LOGROTATE_CONFIG,
  DEFAULT_MONGOD_CONFIG,
  defaultLogrotateState,
  defaultMongodUser,
} from './logrotate/defaults.js';
import { collectInventory } from './inventory.js';
import { resolveInstances, type MongodInstance } from './mongod/instances.js';
import { collectorName, forInstance } from './collectors/instance.js';
import { sampleOnce, startTicker } from './sampler.js';
import { AgentTransport, type AgentTlsOptions } from './transport.js';
import { Spool } from './spool.js';

/** Explicit log-path and mongod settings; empty strings mean "the default". */
export interface LogPathSettings {
  logrotateConfig?: string;
  logrotateState?: string;
  mongodConfig?: string;
  mongodUser?: string;
  mongodUri?: string;
  /** Several mongods: URIs and config files paired by position (the agent's repeated flags). */
  mongodUris?: string[];
  mongodConfigs?: string[];
}

export const DEFAULT_MONGOD_URI = 'mongodb://127.0.0.1:27017';

/** The mongod to watch: the one named, else the local default on a host that has /etc/mongod.conf. */
export function mongodUri(root: string, s: LogPathSettings = {}): string | null {
  if (s.mongodUri) return s.mongodUri;
  return root === '/' && existsSync(DEFAULT_MONGOD_CONFIG) ? DEFAULT_MONGOD_URI : null;
}

/**
 * What the log-path collector checks. On the real root the system files are
 * checked when present; on a fixture root only what is named explicitly, since
 * the checks judge the live file system.
 */
export function logPathOptions(root: string, s: LogPathSettings = {}): LogPathOptions {
  const live = root === '/';
  const pick = (explicit: string | undefined, fallback: string) =>
    explicit || (live && existsSync(fallback) ? fallback : null);
  return {
    logrotateConfig: pick(s.logrotateConfig, DEFAULT_LOGROTATE_CONFIG),
    logrotateState: s.logrotateState || defaultLogrotateState(),
    mongodConfig: pick(s.mongodConfig, DEFAULT_MONGOD_CONFIG),
    mongodUser: s.mongodUser || defaultMongodUser(),
  };
}

/** `--disks-include` / `--disks-exclude` as given (empty: not set); see procfs/devices.ts. */
export interface DiskSettings {
  disksInclude?: string;
  disksExclude?: string;
}

export function deviceFilter(s: DiskSettings = {}): DeviceFilter {
  return {
    include: s.disksInclude ? new RegExp(s.disksInclude) : null,
    exclude: s.disksExclude ? new RegExp(s.disksExclude) : null,
  };
}

export interface AgentOptions {
  /** One server URL, or several comma-separated in order of preference (see AgentTransport). */
  serverUrl: string;
  /** On a server other than the first, how often to check whether the first is back. */
  failbackMs?: number;
  token: string;
  root: string;
  agentId: string;
  intervalMs: number;
  bufferCapacity: number;
  /** Where unacknowledged batches are kept on disk (null: memory only), and its bound in bytes. */
  spoolDir?: string | null;
  spoolMaxBytes?: number;
  inventoryIntervalMs: number;
  log: Logger;
  logPaths?: LogPathSettings;
  disks?: DiskSettings;
  tls?: AgentTlsOptions;
}

/** A collector whose module is imported on first use. */
function lazyCollector(name: string, load: () => Promise<Collector>): Collector {
  let inner: Promise<Collector> | null = null;
  const get = () => (inner ??= load());
  return {
    name,
    collect: async (ctx) => (await get()).collect(ctx),
    snapshot: async () => (await get()).snapshot(),
    close: async () => {
      if (inner) await (await inner).close?.();
    },
  };
}

/** The mongods this agent watches: the pairs given, else those found in /proc, else the local default. */
export function mongodInstances(root: string, s: LogPathSettings = {}): MongodInstance[] {
  const uris = s.mongodUris?.length ? s.mongodUris : s.mongodUri ? [s.mongodUri] : [];
  const configs = s.mongodConfigs?.length ? s.mongodConfigs : s.mongodConfig ? [s.mongodConfig] : [];
  return resolveInstances(root, { uris, configs }, mongodUri(root, {}));
}

/** Each mongod's collectors: serverStatus figures and the running-process check, labelled when there are several. */
function instanceCollectors(root: string, inst: MongodInstance, user: string, checkFile: boolean): Collector[] {
  const { uri, instance } = inst;
  // The driver is loaded only on hosts that run a mongod: it is most of an idle agent's memory otherwise.
  const figures = lazyCollector(
    'mongod',
    async () => new (await import('./collectors/mongod.js')).MongodCollector({ uri }),
  );
  const running = lazyCollector(
    collectorName('mongod_running', instance),
    async () =>
      new (await import('./collectors/mongod-running.js')).MongodRunningCollector({
        uri,
        root,
        configFile: inst.configFile,
        user,
        instance,
        pid: inst.pid,
        checkFile,
      }),
  );
  return [instance ? forInstance(figures, instance) : figures, running];
}

/** mongod's dbPath and log directory from its config files, to tie them to their mounts. */
function mongodPaths(configs: readonly string[]): WatchedPath[] {
  const out: WatchedPath[] = [];
  for (const file of configs) {
    try {
      const c = loadMongodConfig(file);
      if (c.dbPath) out.push({ role: 'mongod dbPath', path: c.dbPath.value });
      if (c.logPath) out.push({ role: 'mongod log', path: c.logPath.value });
    } catch {
      // an unreadable config is the log-path check's finding, not this one's
    }
  }
  return out;
}

/** The host collectors for a root directory, in a stable order. */
export function hostCollectors(
  root: string,
  logPaths: LogPathSettings = {},
  diskSettings: DiskSettings = {},
): Collector[] {
  const pressure = new PressureCollector(root);
  // Disks read the previous tick's pressure; RAID runs after disks in the same tick.
  const disks = new DisksCollector(root, { ...deviceFilter(diskSettings), pressure: () => pressure.latest });
  const collectors: Collector[] = [new CpuCollector(root), disks, pressure, new RaidCollector(root, disks)];
  const instances = mongodInstances(root, logPaths);
  const labelled = instances.some((i) => i.instance !== null);
  const lp = logPathOptions(root, logPaths);
  // With several instances each checks its own config file, labelled; the shared check would name only one.
  collectors.push(new LogPathsCollector(labelled ? { ...lp, mongodConfig: null } : lp));
  if (lp.logrotateConfig) collectors.push(new LogrotateScheduleCollector(root));
  for (const inst of instances) collectors.push(...instanceCollectors(root, inst, lp.mongodUser, labelled));
  const configs = [...new Set([lp.mongodConfig, ...instances.map((i) => i.configFile)].filter((f) => f !== null))];
  collectors.push(new FilesystemsCollector(root, { watched: () => mongodPaths(configs) }));
  return collectors;
}

/**
 * The agent: samples its collectors every interval, stamps each sample with a
 * sequence number and hands it to the transport, which delivers it exactly
 * once (within the buffer bound) whatever happens to the connection.
 */
export class Agent {
  readonly transport: AgentTransport;
  private readonly collectors: Collector[];
  private seq = 0;
  private stopTicker: (() => void) | null = null;
  private inventoryTimer: NodeJS.Timeout | null = null;
  private inventory: Record<string, unknown> | null = null;
  private readonly session = randomBytes(8).toString('hex');

  constructor(private readonly opts: AgentOptions) {
    this.collectors = hostCollectors(opts.root, opts.logPaths, opts.disks);
    this.transport = new AgentTransport({
      serverUrl: opts.serverUrl,
      failbackMs: opts.failbackMs,
      token: opts.token,
      bufferCapacity: opts.bufferCapacity,
      log: opts.log.child('transport'),
      hello: () => this.hello(),
      tls: opts.tls,
      spool: opts.spoolDir
        ? new Spool(opts.spoolDir, opts.spoolMaxBytes ?? 64 * 1024 * 1024, opts.log.child('spool'))
        : null,
    });
  }

  /** A previous run's unacknowledged batches go first, renumbered into this session (the server drops what it has). */
  private replaySpool(): void {
    const spool = this.transport.spool;
    if (!spool) return;
    const batches = spool.recover();
    for (const b of batches) {
      this.seq += 1;
      this.transport.send({ ...b, seq: this.seq });
    }
    spool.forgetRecovered();
    if (batches.length)
      this.opts.log.info('replaying batches a previous run left unacknowledged', { batches: batches.length });
  }

  private hello(): Hello {
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentId: this.opts.agentId,
      session: this.session,
      hostname: os.hostname(),
      agentVersion: TIDEMARK_VERSION,
      inventory: this.inventory,
    };
  }

  async start(): Promise<void> {
    // Inventory describes the machine the agent runs on; on a fixture root it
    // would describe the wrong host, so it is left out there.
    if (this.opts.root === '/') {
      await this.refreshInventory();
      this.inventoryTimer = setInterval(() => void this.refreshInventory(true), this.opts.inventoryIntervalMs);
      this.inventoryTimer.unref();
    }
    this.replaySpool();
    this.transport.start();
    // Prime rate baselines so the first batch already carries rates.
    await sampleOnce(this.collectors);
    this.stopTicker = startTicker(this.opts.intervalMs, () => this.tick());
  }

  private async refreshInventory(send = false): Promise<void> {
    try {
      this.inventory = await collectInventory();
      if (send) this.transport.sendInventory(this.inventory);
    } catch (err) {
      this.opts.log.warn('inventory collection failed', { error: (err as Error).message });
    }
  }

  private async tick(): Promise<void> {
    const s = await sampleOnce(this.collectors);
    s.samples.push(
      { m: 'agent_buffer_batches', v: this.transport.buffer.size },
      { m: 'agent_buffer_dropped_total', v: this.transport.buffer.dropped },
      { m: 'agent_collect_ms', v: s.durationMs },
    );
    this.seq += 1;
    this.transport.send({
      type: 'batch',
      seq: this.seq,
      ts: s.ts,
      samples: s.samples,
      collectors: s.collectors,
      ...(s.stateKinds.length ? { stateKinds: s.stateKinds, states: s.states } : {}),
    });
  }

  async stop(): Promise<void> {
    this.stopTicker?.();
    if (this.inventoryTimer) clearInterval(this.inventoryTimer);
    await Promise.all(this.collectors.map(async (c) => c.close?.()));
    await this.transport.stop();
  }
}
