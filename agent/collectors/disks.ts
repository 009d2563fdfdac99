import { readStampedUnderRoot, readUnderRoot } from '../procfs/read.js';
import { diskRates, parseDiskstats, type DiskRates, type DiskStats } from '../procfs/diskstats.js';
import { selectDevices, type DeviceFilter } from '../procfs/devices.js';
import type { Pressure } from '../procfs/pressure.js';
import { assessSaturation, AwaitBaseline, type Saturation } from '../saturation.js';
import type { MetricName, MetricSample } from '../../shared/catalogue.js';
import { absent, failed, ok, type CollectContext, type CollectResult, type Collector } from './collector.js';
import { deviceFilter } from '../host-settings.js';
import { registerCollector } from './registry.js';

export type DisksOptions = DeviceFilter;

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
 * Every device is read and kept (RAID members may be partitions), but only the
 * selected ones (procfs/devices.ts) are sent. Every device's readings go to
 * the RAID collector through the sampler; host pressure comes from the
 * previous tick's pressure reading.
 */
export class DisksCollector implements Collector {
  readonly name = 'disks';
  private prev = new Map<string, DiskStats>();
  /** Monotonic instant of the previous reading's contents, not of its tick. */
  private prevMono = 0;
  private readonly baselines = new Map<string, AwaitBaseline>();
  private nrRequests = new Map<string, number | null>();
  private nrRequestsAt = -Infinity;

  constructor(
    private readonly root: string,
    private readonly options: DisksOptions = {},
  ) {}

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
    const text = await readUnderRoot(this.root, 'proc/diskstats');
    if (text === null) return { state: 'absent' };
    return { devices: selectDevices(parseDiskstats(text), this.options).selected };
  }

  async collect(ctx: CollectContext): Promise<CollectResult> {
    let devices: DiskStats[];
    let readAt: number;
    try {
      const read = await readStampedUnderRoot(this.root, 'proc/diskstats');
      if (read === null) {
        return { ...absent(this.name, `${this.root}/proc/diskstats does not exist`), provides: { disks: new Map() } };
      }
      devices = parseDiskstats(read.text);
      readAt = read.monoMs;
      await this.refreshNrRequests(devices, ctx.monoMs);
    } catch (err) {
      return { ...failed(this.name, err), provides: { disks: new Map() } };
    }
    const first = this.prev.size === 0;
    const elapsed = readAt - this.prevMono;
    const latest = this.readings(devices, elapsed, ctx.readings?.pressure ?? null);
    this.prev = new Map(devices.map((d) => [d.name, d])); // devices that vanished are forgotten here
    this.prevMono = readAt;
    for (const name of this.baselines.keys()) if (!this.prev.has(name)) this.baselines.delete(name);
    const { selected, shadowedPartitions } = selectDevices(devices, this.options);
    const samples = selected.flatMap((d) => {
      const r = latest.get(d.name);
      return r ? deviceSamples(d.name, r, this.baselines.get(d.name)?.current ?? null) : [];
    });
    const notes = [
      ...(first ? ['first reading; rates start with the next'] : []),
      ...(shadowedPartitions.length
        ? [`partitions ${shadowedPartitions.join(', ')} left out: their disk is reported`]
        : []),
    ];
    return { ...ok(this.name, samples, notes.length ? notes.join('; ') : undefined), provides: { disks: latest } };
  }

  /** Rates and saturation of every device that has a previous reading. */
  private readings(devices: DiskStats[], elapsedMs: number, pressure: Pressure | null): Map<string, DeviceReading> {
    const out = new Map<string, DeviceReading>();
    for (const cur of devices) {
      const prev = this.prev.get(cur.name);
      if (!prev) continue; // appeared since the last reading
      const r = diskRates(prev, cur, elapsedMs);
      if (!r) continue; // counters restarted: skip one interval
      let baseline = this.baselines.get(cur.name);
      if (!baseline) this.baselines.set(cur.name, (baseline = new AwaitBaseline()));
      const saturation = assessSaturation({
        aquSz: r.aquSz,
        awaitMs: r.awaitMs,
        utilPercent: r.utilPercent,
        nrRequests: this.nrRequests.get(cur.name) ?? null,
        baselineAwaitMs: baseline.current,
        pressureFullAvg10: pressure?.full?.avg10 ?? null,
      });
      baseline.update(r.awaitMs, r.ios, saturation.saturated);
      out.set(cur.name, { stats: cur, rates: r, saturation });
    }
    return out;
  }
}

/** Each of iostat's figures with the metric it is sent as, in the order they are sent. */
const RATE_METRICS = [
  ['disk_r_per_s', 'rPerS'],
  ['disk_w_per_s', 'wPerS'],
  ['disk_rkb_per_s', 'rkbPerS'],
  ['disk_wkb_per_s', 'wkbPerS'],
  ['disk_r_await_ms', 'rAwaitMs'],
  ['disk_w_await_ms', 'wAwaitMs'],
  ['disk_await_ms', 'awaitMs'],
  ['disk_aqu_sz', 'aquSz'],
  ['disk_util_percent', 'utilPercent'],
  ['disk_in_flight', 'inFlight'],
] as const satisfies readonly (readonly [MetricName, keyof DiskRates])[];

function deviceSamples(device: string, { rates: r, saturation: sat }: DeviceReading, baseline: number | null) {
  const l = { device };
  const samples: MetricSample[] = RATE_METRICS.map(([m, field]) => ({ m, l, v: r[field] }));
  samples.push({ m: 'disk_saturated', l, v: sat.saturated ? 1 : 0 });
  if (sat.queueFillPercent !== null) samples.push({ m: 'disk_queue_fill_percent', l, v: sat.queueFillPercent });
  if (baseline !== null) samples.push({ m: 'disk_await_baseline_ms', l, v: baseline });
  return samples;
}

registerCollector({
  name: 'disks',
  help: 'per-device iostat figures and saturation from /proc/diskstats',
  defaultEnabled: true,
  create: (host) => [new DisksCollector(host.root, deviceFilter(host.disks))],
});
