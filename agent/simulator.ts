import type { WireSample, WireState } from '../shared/protocol.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { silentLogger, type Logger } from '../shared/log.js';
import type { AgentTransport } from './transport.js';
import { simulatedTransport } from './simulated-transport.js';
import { simulatedArray } from './simulated-array.js';

/**
 * Simulated DB hosts that speak the real agent protocol through the real
 * transport (auth, buffer, replay): about 100 series each — CPU, four disks,
 * an md array, I/O pressure, a mongod — with scripted episodes: disk
 * saturation, a degraded and rebuilding array, a lock pile-up. For demos, load
 * tests and the benchmarks.
 */

export interface SimulateOptions {
  agents: number;
  serverUrl: string;
  token: string;
  intervalMs: number;
  prefix: string;
  log?: Logger;
}

type Episode = 'saturation' | 'degraded' | 'lockpile' | null;

/** Which episode a host is in at a time: every host gets a turn within a 10-minute cycle. */
export function episodeAt(index: number, now: number): Episode {
  const cycle = 600_000;
  const t = (now + index * 7_919) % cycle; // hosts start their cycles at different times
  if (index % 10 === 0 && t < 60_000) return 'saturation';
  if (index % 17 === 0 && t >= 120_000 && t < 240_000) return 'degraded';
  if (index % 23 === 0 && t >= 300_000 && t < 390_000) return 'lockpile';
  return null;
}

const DISKS = ['sda', 'sdb', 'sdc', 'sdd'];
const OPS = ['insert', 'query', 'update', 'delete', 'getmore', 'command'];

// One labels object per series shape, shared by every host and tick: the encoder cache below keys on it.
const L = {
  cpu: { cpu: 'all' },
  disk: Object.fromEntries(DISKS.map((d) => [d, { device: d }])) as Record<string, { device: string }>,
  array: { array: 'md0' },
  recovery: { array: 'md0', action: 'recovery' },
  pressure: { some: { kind: 'some' }, full: { kind: 'full' } } as Record<string, { kind: string }>,
  lockWait: { kind: 'wait' },
  op: Object.fromEntries(['readers', 'writers', 'total', 'read', 'write', ...OPS].map((o) => [o, { op: o }])) as Record<
    string,
    { op: string }
  >,
  conn: { current: { state: 'current' }, available: { state: 'available' } },
};

/** A slow random walk around a level, so charts look like a host and not like noise. */
class Walk {
  private v: number;
  constructor(
    private readonly level: number,
    private readonly spread: number,
  ) {
    this.v = level;
  }
  next(): number {
    this.v += (Math.random() - 0.5) * this.spread * 0.2 + (this.level - this.v) * 0.05;
    return Math.max(0, this.v);
  }
}

/** The md array and mongod states a simulated host reports, matching its episode. */
function simulatedStates(ep: Episode, now: number): WireState[] {
  const degraded = ep === 'degraded';
  const pile = ep === 'lockpile';
  return [
    {
      kind: 'raid_array',
      key: 'md0',
      value: simulatedArray({
        name: 'md0',
        level: 'raid10',
        disks: DISKS,
        missingSlot: degraded ? 2 : null,
        sync: degraded
          ? {
              action: 'recovery',
              status: 'running',
              percent: ((now % 120_000) / 120_000) * 100,
              speedKBps: 180_000,
              etaSeconds: 120 - Math.round((now % 120_000) / 1000),
            }
          : null,
        sources: ['mdstat', 'sysfs'],
      }),
    },
    {
      kind: 'mongod',
      key: 'status',
      value: {
        up: true,
        uri: 'mongodb://127.0.0.1:27017',
        version: '7.0.12',
        gauges: null,
        figures: {
          lockKind: 'wait',
          lockPercent: pile ? 80 : 1,
          lockPercentUncapped: pile ? 80 : 1,
          contendedPercent: null,
        },
        discarded: null,
        missing: [],
      },
    },
  ];
}

export class SimulatedHost {
  readonly transport: AgentTransport;
  private seq = 0;
  private readonly walks = new Map<string, Walk>();

  constructor(
    readonly index: number,
    readonly id: string,
    serverUrl: string,
    token: string,
    log: Logger,
  ) {
    this.transport = simulatedTransport({
      id,
      serverUrl,
      token,
      version: `${TIDEMARK_VERSION}-sim`,
      log,
      bufferCapacity: 3600,
    });
  }

  private walk(key: string, level: number, spread: number): number {
    let w = this.walks.get(key);
    if (!w) this.walks.set(key, (w = new Walk(level, spread)));
    return w.next();
  }

  sample(now: number): { samples: WireSample[]; states?: WireState[] } {
    const ep = episodeAt(this.index, now);
    const s: WireSample[] = [];
    this.cpuSamples(s, ep);
    this.diskSamples(s, ep);
    this.raidSamples(s, ep, now);
    this.pressureSamples(s, ep);
    this.mongodSamples(s, ep);
    this.agentSamples(s);
    // Structured states once every 10 samples: they change slowly.
    if (this.seq % 10 !== 0) return { samples: s };
    return { samples: s, states: simulatedStates(ep, now) };
  }

  private cpuSamples(s: WireSample[], ep: Episode): void {
    const iowait = ep === 'saturation' ? 35 + Math.random() * 10 : this.walk('iowait', 2, 2);
    const user = this.walk('user', 20, 10);
    const system = this.walk('system', 5, 3);
    const l = L.cpu;
    s.push(
      { m: 'cpu_iowait_percent', l, v: iowait },
      { m: 'cpu_user_percent', l, v: user },
      { m: 'cpu_system_percent', l, v: system },
      { m: 'cpu_steal_percent', l, v: 0 },
      { m: 'cpu_idle_percent', l, v: Math.max(0, 100 - iowait - user - system) },
    );
  }

  private diskSamples(s: WireSample[], ep: Episode): void {
    for (const device of DISKS) {
      const hot = ep === 'saturation' && device === 'sdb';
      const r = this.walk(`r${device}`, 80, 40);
      const w = this.walk(`w${device}`, 150, 60);
      const aqu = hot ? 90 + Math.random() * 20 : this.walk(`q${device}`, 0.8, 0.6);
      const dl = L.disk[device]!;
      s.push(
        { m: 'disk_r_per_s', l: dl, v: r },
        { m: 'disk_w_per_s', l: dl, v: w },
        { m: 'disk_rkb_per_s', l: dl, v: r * 16 },
        { m: 'disk_wkb_per_s', l: dl, v: w * 24 },
        { m: 'disk_r_await_ms', l: dl, v: hot ? 80 : this.walk(`ra${device}`, 2, 1) },
        { m: 'disk_w_await_ms', l: dl, v: hot ? 120 : this.walk(`wa${device}`, 3, 1.5) },
        { m: 'disk_await_ms', l: dl, v: hot ? 100 : this.walk(`a${device}`, 2.5, 1) },
        { m: 'disk_aqu_sz', l: dl, v: aqu },
        { m: 'disk_util_percent', l: dl, v: hot ? 100 : Math.min(100, this.walk(`u${device}`, 35, 20)) },
        { m: 'disk_in_flight', l: dl, v: Math.round(aqu) },
        { m: 'disk_queue_fill_percent', l: dl, v: (100 * aqu) / 128 },
        { m: 'disk_saturated', l: dl, v: hot ? 1 : 0 },
      );
    }
  }

  private raidSamples(s: WireSample[], ep: Episode, now: number): void {
    const degraded = ep === 'degraded';
    const al = L.array;
    s.push(
      { m: 'raid_disks_expected', l: al, v: 4 },
      { m: 'raid_disks_active', l: al, v: degraded ? 3 : 4 },
      { m: 'raid_disks_failed', l: al, v: 0 },
      { m: 'raid_disks_spare', l: al, v: 0 },
      { m: 'raid_disks_missing', l: al, v: degraded ? 1 : 0 },
      { m: 'raid_saturated', l: al, v: ep === 'saturation' ? 1 : 0 },
      { m: 'raid_array_aqu_sz', l: al, v: this.walk('mdq', 3, 2) },
      { m: 'raid_array_in_flight', l: al, v: Math.round(this.walk('mdf', 3, 2)) },
      { m: 'raid_members_aqu_sz_max', l: al, v: ep === 'saturation' ? 100 : this.walk('mdmax', 1, 0.5) },
    );
    if (degraded)
      s.push(
        { m: 'raid_sync_running', l: L.recovery, v: 1 },
        { m: 'raid_sync_progress_percent', l: L.recovery, v: ((now % 120_000) / 120_000) * 100 },
      );
  }

  private pressureSamples(s: WireSample[], ep: Episode): void {
    for (const kind of ['some', 'full']) {
      const pl = L.pressure[kind]!;
      const v = ep === 'saturation' ? (kind === 'some' ? 40 : 15) : this.walk(`p${kind}`, 0.5, 0.5);
      s.push(
        { m: 'io_pressure_avg10_percent', l: pl, v },
        { m: 'io_pressure_avg60_percent', l: pl, v: v * 0.8 },
        { m: 'io_pressure_avg300_percent', l: pl, v: v * 0.5 },
        { m: 'io_pressure_stall_percent', l: pl, v },
      );
    }
  }

  private mongodSamples(s: WireSample[], ep: Episode): void {
    const pile = ep === 'lockpile';
    s.push(
      { m: 'mongod_up', v: 1 },
      { m: 'mongod_lock_percent', l: L.lockWait, v: pile ? 70 + Math.random() * 20 : this.walk('lock', 1, 1) },
      { m: 'mongod_queued', l: L.op.readers, v: pile ? 30 : 0 },
      { m: 'mongod_queued', l: L.op.writers, v: pile ? 25 : 0 },
      { m: 'mongod_queued', l: L.op.total, v: pile ? 55 : 0 },
      { m: 'mongod_active', l: L.op.readers, v: Math.round(this.walk('ar', 3, 2)) },
      { m: 'mongod_active', l: L.op.writers, v: Math.round(this.walk('aw', 2, 2)) },
      { m: 'mongod_active', l: L.op.total, v: Math.round(this.walk('at', 5, 3)) },
      { m: 'mongod_tickets_util_percent', l: L.op.read, v: pile ? 100 : this.walk('tr', 5, 3) },
      { m: 'mongod_tickets_util_percent', l: L.op.write, v: pile ? 100 : this.walk('tw', 4, 3) },
      { m: 'mongod_tickets_available', l: L.op.read, v: pile ? 0 : 120 },
      { m: 'mongod_tickets_available', l: L.op.write, v: pile ? 0 : 122 },
      { m: 'mongod_connections', l: L.conn.current, v: Math.round(this.walk('conn', 200, 40)) },
      { m: 'mongod_connections', l: L.conn.available, v: 50_000 },
    );
    for (const op of OPS)
      s.push({ m: 'mongod_opcounter_rate', l: L.op[op]!, v: this.walk(`op${op}`, op === 'query' ? 800 : 100, 80) });
  }

  private agentSamples(s: WireSample[]): void {
    s.push(
      { m: 'agent_buffer_batches', v: this.transport.buffer.size },
      { m: 'agent_buffer_dropped_total', v: this.transport.buffer.dropped },
      { m: 'agent_collect_ms', v: 0.4 },
    );
  }

  /** Encoder indexes by labels object, then metric: a thousand hosts' samples are encoded without building a key string for each. */
  private readonly slots = new Map<object | undefined, Map<string, number>>();

  tick(now: number): void {
    const { samples, states } = this.sample(now);
    this.seq++;
    const indexes: number[] = [];
    const values: (number | null)[] = [];
    for (const s of samples) {
      let byMetric = this.slots.get(s.l);
      if (!byMetric) this.slots.set(s.l, (byMetric = new Map<string, number>()));
      let i = byMetric.get(s.m);
      if (i === undefined) byMetric.set(s.m, (i = this.transport.encoder.indexOf(s.m, s.l)));
      indexes.push(i);
      values.push(s.v);
    }
    const extras = states ? { stateKinds: ['raid_array', 'mongod'], states } : {};
    this.transport.sendEncoded(this.seq, this.transport.encoder.encodeValues(this.seq, now, indexes, values, extras));
  }
}

/** Starts N simulated hosts, each ticking once per interval at its own offset so the load is spread over the second. */
export function simulate(opts: SimulateOptions): { hosts: SimulatedHost[]; stop: () => Promise<void> } {
  const log = opts.log ?? silentLogger;
  const hosts = Array.from(
    { length: opts.agents },
    (_, i) => new SimulatedHost(i, `${opts.prefix}-${String(i).padStart(5, '0')}`, opts.serverUrl, opts.token, log),
  );
  for (const h of hosts) h.transport.start();
  const timers: NodeJS.Timeout[] = [];
  hosts.forEach((h, i) => {
    const offset = Math.floor((i / hosts.length) * opts.intervalMs);
    timers.push(
      setTimeout(() => {
        h.tick(Date.now());
        timers.push(setInterval(() => h.tick(Date.now()), opts.intervalMs));
      }, offset),
    );
  });
  return {
    hosts,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all(hosts.map((h) => h.transport.stop()));
    },
  };
}
