import os from 'node:os';
import { randomBytes } from './random-bytes.js';
import { PROTOCOL_VERSION } from '../shared/wire.js';
import type { Hello } from '../shared/protocol.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import type { Logger } from '../shared/log.js';
import type { Collector } from './collectors/collector.js';
import { hostCollectors, type CollectorChoice } from './collectors/host.js';
import type { DiskSettings, LogPathSettings } from './host-settings.js';
import { collectInventory } from './inventory.js';
import { readInventoryFingerprint } from './inventory-fingerprint.js';
import { InventoryRefresher } from './inventory-refresh.js';
import { Sampler, startTicker } from './sampler.js';
import { AgentTransport, type AgentTlsOptions } from './transport.js';
import { Spool } from './spool.js';
import { errorMessage } from '../shared/errors.js';

/**
 * One full garbage collection at the end of start-up, where `bin/tidemark` exposes `gc` (--expose-gc).
 * Loading and the first tick leave a few MB of garbage; left to V8's memory reducer it goes in up to
 * three full collections in a row some 10-110 s later, which together made the agent's busiest 5 s
 * window of its steady state (BENCHMARKS.md, "The agent side by side"). Collected here it falls in
 * start-up's own busy second; the launcher's --memory-reducer-single-gc keeps the reducer's later
 * pass, which finds little left, to one collection.
 */
function collectStartupGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Between systeminformation's calls in a refresh: each forks shells, so one at a time keeps every 5 s window light. */
const INVENTORY_PAUSE_MS = 5_000;

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
  /**
   * Where unacknowledged batches are kept on disk (null: memory only), and its bound in bytes; the mongod
   * collector keeps its replica set's name there too (agent/mongod/replset-memory.ts).
   */
  spoolDir?: string | null;
  spoolMaxBytes?: number;
  inventoryIntervalMs: number;
  log: Logger;
  logPaths?: LogPathSettings;
  disks?: DiskSettings;
  /** `--collector.NAME` / `--no-collector.NAME`: collectors on or off beside their defaults. */
  collectors?: CollectorChoice;
  tls?: AgentTlsOptions;
}

/**
 * The agent: samples its collectors every interval, stamps each sample with a
 * sequence number and hands it to the transport, which delivers it exactly
 * once (within the buffer bound) whatever happens to the connection.
 */
export class Agent {
  readonly transport: AgentTransport;
  private readonly collectors: Collector[];
  private readonly sampler: Sampler;
  private seq = 0;
  private stopTicker: (() => void) | null = null;
  private inventoryTimer: NodeJS.Timeout | null = null;
  private inventory: Record<string, unknown> | null = null;
  private readonly inventoryRefresher: InventoryRefresher;
  private readonly session = randomBytes(8).toString('hex');

  constructor(private readonly opts: AgentOptions) {
    this.inventoryRefresher = new InventoryRefresher({
      readFingerprint: () => readInventoryFingerprint(opts.root),
      gather: (pauseMs) => collectInventory(pauseMs),
      pauseMs: INVENTORY_PAUSE_MS,
    });
    this.collectors = hostCollectors(opts.root, opts.logPaths, opts.disks, opts.collectors, opts.spoolDir ?? null);
    this.sampler = new Sampler(this.collectors);
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
    await this.sampler.sample();
    collectStartupGarbage();
    this.stopTicker = startTicker(this.opts.intervalMs, () => this.tick());
  }

  /**
   * The first inventory is gathered at once; later, the host's fingerprint is checked every
   * inventoryIntervalMs and the inventory gathered again (its calls spaced, INVENTORY_PAUSE_MS) only when
   * it changed.
   */
  private async refreshInventory(send = false): Promise<void> {
    try {
      const inventory = send
        ? await this.inventoryRefresher.refreshIfChanged()
        : await this.inventoryRefresher.initial();
      if (!inventory) return;
      this.inventory = inventory;
      if (send) this.transport.sendInventory(inventory);
    } catch (err) {
      this.opts.log.warn('inventory collection failed', { error: errorMessage(err) });
    }
  }

  private async tick(): Promise<void> {
    const s = await this.sampler.sample();
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
