import { readUnderRoot } from '../procfs/read.js';
import { diskRates, isIdleVirtualDevice, parseDiskstats, type DiskRates, type DiskStats } from '../procfs/diskstats.js';
import type { Pressure } from '../procfs/pressure.js';
import { assessSaturation, AwaitBaseline, type Saturation } from '../saturation.js';
import type { WireSample } from '../../shared/protocol.js';
import { absent, failed, ok, type CollectContext, type CollectResult, type Collector } from './collector.js';

export interface DisksOptions {
  /** Keep loop/ram/zram devices even when they never did I/O. */
  includeIdleVirtual?: boolean;
  /** Latest host I/O pressure, for the saturation view. */
  pressure?: () => Pressure | null;
}

export interface DeviceReading {
  stats: DiskStats;
  rates: DiskRates;
  saturation: Saturation;
}

/** queue/nr_requests changes rarely (a udev rule, an admin); re-read it once a minute. */
const NR_REQUESTS_REFRESH_MS = 60_000;

/**
 * Per-device iostat figures from /proc/diskstats, plus the saturation view
 * (queue fill against queue/nr_requests, await against the device's own
 * baseline, host I/O pressure). Devices may appear and vanish between readings.
 */
export class DisksCollector implements Collector {
  readonly name = 'disks';
  /** The latest interval's readings by device name, for the RAID collector. */
  latest = new Map<string, DeviceReading>();
  private prev = new Map<string, DiskStats>();
  private prevMono = 0;
  private readonly baselines = new Map<string, AwaitBaseline>();
  private nrRequests = new Map<string, number | null>();
  private nrRequestsAt = -Infinity;

  constructor(
    private readonly root: string,
    private readonly options: DisksOptions = {},
  ) {}

  private async read(): Promise<DiskStats[] | null> {
    const text = await readUnderRoot(this.root, 'proc/diskstats');
    if (text === null) return null;
    const all = parseDiskstats(text);
    return this.options.includeIdleVirtual ? all : all.filter((d) => !isIdleVirtualDevice(d));
  }

  private async refreshNrRequests(devices: DiskStats[], monoMs: number): Promise<void> {
    const stale = monoMs - this.nrRequestsAt > NR_REQUESTS_REFRESH_MS;
    const unknown = devices.filter((d) => !this.nrRequests.has(d.name));
    if (!stale && unknown.length === 0) return;
    const which = stale ? devices : unknown;
    await Promise.all(
      which.map(async (d) => {
        // Partitions have no queue of their own; they share their disk's, which this does not guess.
        const text = await readUnderRoot(this.root, `sys/block/${d.name}/queue/nr_requests`).catch(() => null);
        const n = text === null ? NaN : Number(text.trim());
        this.nrRequests.set(d.name, Number.isFinite(n) && n > 0 ? n : null);
      }),
    );
    if (stale) this.nrRequestsAt = monoMs;
  }

  async snapshot(): Promise<unknown> {
    const devices = await this.read();
    return devices === null ? { state: 'absent' } : { devices };
  }

  async collect(ctx: CollectContext): Promise<CollectResult> {
    let devices: DiskStats[] | null;
    try {
      devices = await this.read();
      if (devices !== null) await this.refreshNrRequests(devices, ctx.monoMs);
    } catch (err) {
      this.latest = new Map();
      return failed(this.name, err);
    }
    if (devices === null) {
      this.latest = new Map();
      return absent(this.name, `${this.root}/proc/diskstats does not exist`);
    }
    const elapsed = ctx.monoMs - this.prevMono;
    const pressure = this.options.pressure?.() ?? null;
    const next = new Map<string, DiskStats>();
    const latest = new Map<string, DeviceReading>();
    const samples: WireSample[] = [];
    for (const cur of devices) {
      next.set(cur.name, cur);
      const prev = this.prev.get(cur.name);
      if (!prev) continue; // appeared since the last reading
      const r = diskRates(prev, cur, elapsed);
      if (!r) continue; // counters restarted: skip one interval
      let baseline = this.baselines.get(cur.name);
      if (!baseline) this.baselines.set(cur.name, (baseline = new AwaitBaseline()));
      const sat = assessSaturation({
        aquSz: r.aquSz,
        awaitMs: r.awaitMs,
        utilPercent: r.utilPercent,
        nrRequests: this.nrRequests.get(cur.name) ?? null,
        baselineAwaitMs: baseline.current,
        pressureFullAvg10: pressure?.full?.avg10 ?? null,
      });
      baseline.update(r.awaitMs, r.ios, elapsed, sat.saturated);
      latest.set(cur.name, { stats: cur, rates: r, saturation: sat });
      const l = { device: cur.name };
      samples.push(
        { m: 'disk_r_per_s', l, v: r.rPerS },
        { m: 'disk_w_per_s', l, v: r.wPerS },
        { m: 'disk_rkb_per_s', l, v: r.rkbPerS },
        { m: 'disk_wkb_per_s', l, v: r.wkbPerS },
        { m: 'disk_r_await_ms', l, v: r.rAwaitMs },
        { m: 'disk_w_await_ms', l, v: r.wAwaitMs },
        { m: 'disk_await_ms', l, v: r.awaitMs },
        { m: 'disk_aqu_sz', l, v: r.aquSz },
        { m: 'disk_util_percent', l, v: r.utilPercent },
        { m: 'disk_in_flight', l, v: r.inFlight },
        { m: 'disk_saturated', l, v: sat.saturated ? 1 : 0 },
      );
      if (sat.queueFillPercent !== null) samples.push({ m: 'disk_queue_fill_percent', l, v: sat.queueFillPercent });
      if (baseline.current !== null) samples.push({ m: 'disk_await_baseline_ms', l, v: baseline.current });
    }
    for (const name of this.baselines.keys()) if (!next.has(name)) this.baselines.delete(name);
    const first = this.prev.size === 0;
    this.prev = next; // devices that vanished are forgotten here
    this.prevMono = ctx.monoMs;
    this.latest = latest;
    return ok(this.name, samples, first ? 'first reading; rates start with the next' : undefined);
  }
}
