import { readStampedUnderRoot, readUnderRoot } from '../procfs/read.js';
import { parsePressure, type Pressure, type PressureLine } from '../procfs/pressure.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { absent, failed, ok, type CollectResult, type Collector } from './collector.js';
import { registerCollector } from './registry.js';

/** I/O pressure (PSI) from /proc/pressure/io; absent on kernels without PSI means absent, not zero. */
export class PressureCollector implements Collector {
  readonly name = 'pressure';
  /** The previous reading, for the stall rate. */
  private prev: Pressure | null = null;
  /** Monotonic instant of the previous reading's contents (the stall rate's interval ends at reads, not ticks). */
  private prevMono = 0;

  constructor(private readonly root: string) {}

  async snapshot(): Promise<unknown> {
    const text = await readUnderRoot(this.root, 'proc/pressure/io');
    return text === null ? { state: 'absent' } : parsePressure(text);
  }

  async collect(): Promise<CollectResult> {
    let cur: Pressure;
    let readAt: number;
    try {
      const read = await readStampedUnderRoot(this.root, 'proc/pressure/io');
      if (read === null) {
        this.prev = null;
        const why = `${this.root}/proc/pressure/io does not exist (kernel without PSI, or psi=0)`;
        return { ...absent(this.name, why), provides: { pressure: null } };
      }
      cur = parsePressure(read.text);
      readAt = read.monoMs;
    } catch (err) {
      this.prev = null;
      return { ...failed(this.name, err), provides: { pressure: null } };
    }
    const prev = this.prev;
    const elapsedMs = readAt - this.prevMono;
    this.prev = cur;
    this.prevMono = readAt;
    const samples: MetricSample[] = [];
    const emit = (kind: 'some' | 'full', c: PressureLine, p: PressureLine | null | undefined) => {
      const l = { kind };
      samples.push(
        { m: 'io_pressure_avg10_percent', l, v: c.avg10 },
        { m: 'io_pressure_avg60_percent', l, v: c.avg60 },
        { m: 'io_pressure_avg300_percent', l, v: c.avg300 },
      );
      if (p && elapsedMs > 0 && c.totalUs >= p.totalUs) {
        samples.push({
          m: 'io_pressure_stall_percent',
          l,
          v: Math.min(100, (100 * (c.totalUs - p.totalUs)) / (elapsedMs * 1000)),
        });
      }
    };
    emit('some', cur.some, prev?.some);
    if (cur.full) emit('full', cur.full, prev?.full);
    // the disks collector's saturation view reads it
    return { ...ok(this.name, samples), provides: { pressure: cur } };
  }
}

registerCollector({
  name: 'pressure',
  help: 'I/O pressure (PSI) from /proc/pressure/io',
  defaultEnabled: true,
  create: (host) => [new PressureCollector(host.root)],
});
