import type { CollectorStatus, WireSample, WireState } from '../shared/protocol.js';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { silentLogger, type Logger } from '../shared/log.js';
import type { AgentTransport } from './transport.js';
import { simulatedTransport } from './simulated-transport.js';
import { simulatedArray } from './simulated-array.js';
import type { BatchEncoder } from './batch-encoder.js';

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

/** The walks' keys, made once: a key built per sample was a tenth of the simulator's time. */
const K = {
  disk: Object.fromEntries(
    DISKS.map((d) => [d, Object.fromEntries(['r', 'w', 'q', 'ra', 'wa', 'a', 'u'].map((p) => [p, `${p}${d}`]))]),
  ) as Record<string, Record<'r' | 'w' | 'q' | 'ra' | 'wa' | 'a' | 'u', string>>,
  pressure: { some: 'psome', full: 'pfull' } as Record<string, string>,
  op: Object.fromEntries(OPS.map((o) => [o, `op${o}`])) as Record<string, string>,
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

/** The statuses of the collectors whose series a simulated host reports (a real agent sends its own with every batch). */
const COLLECTORS: CollectorStatus[] = ['cpu', 'disks', 'raid', 'pressure', 'mongod'].map((name) => ({
  name,
  state: 'ok',
}));

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

/** Where a host's samples go: one call per sample, so the frame path needs no object per sample. */
interface SampleSink {
  add(m: string, l: Record<string, string> | undefined, v: number): void;
}

/** Samples as objects, for the few consumers that want them (benches, tests). */
class ObjectSink implements SampleSink {
  readonly samples: WireSample[] = [];
  add(m: string, l: Record<string, string> | undefined, v: number): void {
    this.samples.push(l ? { m, l, v } : { m, v });
  }
}

/**
 * Samples straight into a protocol-3 frame's values, by series index: the
 * series at each position is remembered by its metric string and labels
 * object (the same objects every tick), so a steady tick looks nothing up.
 */
class FrameSink implements SampleSink {
  values = new Float64Array(128);
  readonly indexes: number[] = [];
  n = 0;
  private position = 0;
  private readonly lastMetric: string[] = [];
  private readonly lastLabels: (object | undefined)[] = [];
  private readonly lastIndex: number[] = [];
  /** Series indexes by labels object, then metric. */
  private readonly slots = new Map<object | undefined, Map<string, number>>();

  constructor(private readonly encoder: BatchEncoder) {}

  start(): void {
    this.n = this.position = 0;
  }

  add(m: string, l: Record<string, string> | undefined, v: number): void {
    const p = this.position++;
    const i = this.lastMetric[p] === m && this.lastLabels[p] === l ? this.lastIndex[p]! : this.lookup(m, l);
    this.lastMetric[p] = m;
    this.lastLabels[p] = l;
    this.lastIndex[p] = i;
    if (i < 0) return; // the session's table is full (a simulated host names ~100 series)
    if (this.n === this.values.length) {
      const grown = new Float64Array(2 * this.n);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n] = v;
    this.indexes[this.n++] = i;
  }

  private lookup(m: string, l: Record<string, string> | undefined): number {
    let byMetric = this.slots.get(l);
    if (!byMetric) this.slots.set(l, (byMetric = new Map<string, number>()));
    let i = byMetric.get(m);
    if (i === undefined) byMetric.set(m, (i = this.encoder.indexOf(m, l)));
    return i;
  }
}

export class SimulatedHost {
  readonly transport: AgentTransport;
  private seq = 0;
  private readonly walks = new Map<string, Walk>();
  private readonly frame: FrameSink;

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
    this.frame = new FrameSink(this.transport.encoder);
  }

  private walk(key: string, level: number, spread: number): number {
    let w = this.walks.get(key);
    if (!w) this.walks.set(key, (w = new Walk(level, spread)));
    return w.next();
  }

  /** One tick's samples as objects (and states, every tenth tick). */
  sample(now: number): { samples: WireSample[]; states?: WireState[] } {
    const sink = new ObjectSink();
    const states = this.sampleInto(sink, now);
    return states ? { samples: sink.samples, states } : { samples: sink.samples };
  }

  /**
   * Writes one tick's samples into `s`; returns the structured states every
   * tick for a batch (as the agent's raid and mongod collectors send them),
   * else once every 10 ticks (they change slowly).
   */
  private sampleInto(s: SampleSink, now: number, everyTick = false): WireState[] | undefined {
    const ep = episodeAt(this.index, now);
    this.cpuSamples(s, ep);
    this.diskSamples(s, ep);
    this.raidSamples(s, ep, now);
    this.pressureSamples(s, ep);
    this.mongodSamples(s, ep);
    this.agentSamples(s);
    return everyTick || this.seq % 10 === 0 ? simulatedStates(ep, now) : undefined;
  }

  private cpuSamples(s: SampleSink, ep: Episode): void {
    const iowait = ep === 'saturation' ? 35 + Math.random() * 10 : this.walk('iowait', 2, 2);
    const user = this.walk('user', 20, 10);
    const system = this.walk('system', 5, 3);
    const l = L.cpu;
    s.add('cpu_iowait_percent', l, iowait);
    s.add('cpu_user_percent', l, user);
    s.add('cpu_system_percent', l, system);
    s.add('cpu_steal_percent', l, 0);
    s.add('cpu_idle_percent', l, Math.max(0, 100 - iowait - user - system));
  }

  private diskSamples(s: SampleSink, ep: Episode): void {
    for (const device of DISKS) {
      const hot = ep === 'saturation' && device === 'sdb';
      const r = this.walk(K.disk[device]!.r, 80, 40);
      const w = this.walk(K.disk[device]!.w, 150, 60);
      const aqu = hot ? 90 + Math.random() * 20 : this.walk(K.disk[device]!.q, 0.8, 0.6);
      const dl = L.disk[device]!;
      s.add('disk_r_per_s', dl, r);
      s.add('disk_w_per_s', dl, w);
      s.add('disk_rkb_per_s', dl, r * 16);
      s.add('disk_wkb_per_s', dl, w * 24);
      s.add('disk_r_await_ms', dl, hot ? 80 : this.walk(K.disk[device]!.ra, 2, 1));
      s.add('disk_w_await_ms', dl, hot ? 120 : this.walk(K.disk[device]!.wa, 3, 1.5));
      s.add('disk_await_ms', dl, hot ? 100 : this.walk(K.disk[device]!.a, 2.5, 1));
      s.add('disk_aqu_sz', dl, aqu);
      s.add('disk_util_percent', dl, hot ? 100 : Math.min(100, this.walk(K.disk[device]!.u, 35, 20)));
      s.add('disk_in_flight', dl, Math.round(aqu));
      s.add('disk_queue_fill_percent', dl, (100 * aqu) / 128);
      s.add('disk_saturated', dl, hot ? 1 : 0);
    }
  }

  private raidSamples(s: SampleSink, ep: Episode, now: number): void {
    const degraded = ep === 'degraded';
    const al = L.array;
    s.add('raid_disks_expected', al, 4);
    s.add('raid_disks_active', al, degraded ? 3 : 4);
    s.add('raid_disks_failed', al, 0);
    s.add('raid_disks_spare', al, 0);
    s.add('raid_disks_missing', al, degraded ? 1 : 0);
    s.add('raid_saturated', al, ep === 'saturation' ? 1 : 0);
    s.add('raid_array_aqu_sz', al, this.walk('mdq', 3, 2));
    s.add('raid_array_in_flight', al, Math.round(this.walk('mdf', 3, 2)));
    s.add('raid_members_aqu_sz_max', al, ep === 'saturation' ? 100 : this.walk('mdmax', 1, 0.5));
    if (degraded) {
      s.add('raid_sync_running', L.recovery, 1);
      s.add('raid_sync_progress_percent', L.recovery, ((now % 120_000) / 120_000) * 100);
    }
  }

  private pressureSamples(s: SampleSink, ep: Episode): void {
    for (const kind of ['some', 'full']) {
      const pl = L.pressure[kind]!;
      const v = ep === 'saturation' ? (kind === 'some' ? 40 : 15) : this.walk(K.pressure[kind]!, 0.5, 0.5);
      s.add('io_pressure_avg10_percent', pl, v);
      s.add('io_pressure_avg60_percent', pl, v * 0.8);
      s.add('io_pressure_avg300_percent', pl, v * 0.5);
      s.add('io_pressure_stall_percent', pl, v);
    }
  }

  private mongodSamples(s: SampleSink, ep: Episode): void {
    const pile = ep === 'lockpile';
    s.add('mongod_up', undefined, 1);
    s.add('mongod_lock_percent', L.lockWait, pile ? 70 + Math.random() * 20 : this.walk('lock', 1, 1));
    s.add('mongod_queued', L.op.readers, pile ? 30 : 0);
    s.add('mongod_queued', L.op.writers, pile ? 25 : 0);
    s.add('mongod_queued', L.op.total, pile ? 55 : 0);
    s.add('mongod_active', L.op.readers, Math.round(this.walk('ar', 3, 2)));
    s.add('mongod_active', L.op.writers, Math.round(this.walk('aw', 2, 2)));
    s.add('mongod_active', L.op.total, Math.round(this.walk('at', 5, 3)));
    s.add('mongod_tickets_util_percent', L.op.read, pile ? 100 : this.walk('tr', 5, 3));
    s.add('mongod_tickets_util_percent', L.op.write, pile ? 100 : this.walk('tw', 4, 3));
    s.add('mongod_tickets_available', L.op.read, pile ? 0 : 120);
    s.add('mongod_tickets_available', L.op.write, pile ? 0 : 122);
    s.add('mongod_connections', L.conn.current, Math.round(this.walk('conn', 200, 40)));
    s.add('mongod_connections', L.conn.available, 50_000);
    for (const op of OPS)
      s.add('mongod_opcounter_rate', L.op[op], this.walk(K.op[op]!, op === 'query' ? 800 : 100, 80));
  }

  private agentSamples(s: SampleSink): void {
    s.add('agent_buffer_batches', undefined, this.transport.buffer.size);
    s.add('agent_buffer_dropped_total', undefined, this.transport.buffer.dropped);
    s.add('agent_collect_ms', undefined, 0.4);
  }

  tick(now: number): void {
    const sink = this.frame;
    sink.start();
    const states = this.sampleInto(sink, now, true);
    this.seq++;
    // As the agent does: collector statuses and states with every batch (the server reads bytes it has seen once cheaply).
    const extras = { collectors: COLLECTORS, stateKinds: ['raid_array', 'mongod'], states };
    const frame = this.transport.encoder.encodeValuesBinary(this.seq, now, sink.indexes, sink.values, sink.n, extras);
    this.transport.sendEncoded(this.seq, frame);
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
