import { readUnderRoot } from '../procfs/read.js';
import { diskRates, isIdleVirtualDevice, parseDiskstats, type DiskStats } from '../procfs/diskstats.js';
import type { WireSample } from '../../shared/protocol.js';
import { absent, failed, ok, type CollectContext, type CollectResult, type Collector } from './collector.js';

export interface DisksOptions {
  /** Keep loop/ram/zram devices even when they never did I/O. */
  includeIdleVirtual?: boolean;
}

/** Per-device iostat figures from /proc/diskstats. Devices may appear and vanish between readings. */
export class DisksCollector implements Collector {
  readonly name = 'disks';
  private prev = new Map<string, DiskStats>();
  private prevMono = 0;

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

  async snapshot(): Promise<unknown> {
    const devices = await this.read();
    return devices === null ? { state: 'absent' } : { devices };
  }

  async collect(ctx: CollectContext): Promise<CollectResult> {
    let devices: DiskStats[] | null;
    try {
      devices = await this.read();
    } catch (err) {
      return failed(this.name, err);
    }
    if (devices === null) return absent(this.name, `${this.root}/proc/diskstats does not exist`);
    const elapsed = ctx.monoMs - this.prevMono;
    const next = new Map<string, DiskStats>();
    const samples: WireSample[] = [];
    for (const cur of devices) {
      next.set(cur.name, cur);
      const prev = this.prev.get(cur.name);
      if (!prev) continue; // appeared since the last reading
      const r = diskRates(prev, cur, elapsed);
      if (!r) continue; // counters restarted: skip one interval
      const l = { device: cur.name };
      samples.push(
        { m: 'disk_r_per_s', l, v: r.rPerS },
        { m: 'disk_w_per_s', l, v: r.wPerS },
        { m: 'disk_rkb_per_s', l, v: r.rkbPerS },
        { m: 'disk_wkb_per_s', l, v: r.wkbPerS },
        { m: 'disk_r_await_ms', l, v: r.rAwaitMs },
        { m: 'disk_w_await_ms', l, v: r.wAwaitMs },
        { m: 'disk_aqu_sz', l, v: r.aquSz },
        { m: 'disk_util_percent', l, v: r.utilPercent },
        { m: 'disk_in_flight', l, v: r.inFlight },
      );
    }
    const first = this.prev.size === 0;
    this.prev = next; // devices that vanished are forgotten here
    this.prevMono = ctx.monoMs;
    return ok(this.name, samples, first ? 'first reading; rates start with the next' : undefined);
  }
}
