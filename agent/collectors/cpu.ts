import { readUnderRoot } from '../procfs/read.js';
import { cpuPercentages, parseProcStat, type CpuTimes, type ProcStat } from '../procfs/stat.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { absent, failed, ok, type CollectResult, type Collector } from './collector.js';
import { registerCollector } from './registry.js';

/**
 * CPU time shares (iowait, user, system, idle, steal) from /proc/stat deltas,
 * host-wide and per CPU. They need no clock of ours: each share divides one
 * state's jiffies by the sum of all states' jiffies from the same two
 * readings, i.e. by the interval as the kernel counted it at the reads, so a
 * read that waits behind other work changes nothing.
 */
export class CpuCollector implements Collector {
  readonly name = 'cpu';
  private prev: ProcStat | null = null;

  constructor(private readonly root: string) {}

  async snapshot(): Promise<unknown> {
    const text = await readUnderRoot(this.root, 'proc/stat');
    if (text === null) return { state: 'absent' };
    const stat = parseProcStat(text);
    return { total: stat.total, perCpu: Object.fromEntries(stat.perCpu) };
  }

  async collect(): Promise<CollectResult> {
    let text: string | null;
    let cur: ProcStat;
    try {
      text = await readUnderRoot(this.root, 'proc/stat');
      if (text === null) return absent(this.name, `${this.root}/proc/stat does not exist`);
      cur = parseProcStat(text);
    } catch (err) {
      return failed(this.name, err);
    }
    const prev = this.prev;
    this.prev = cur;
    if (!prev) return ok(this.name, [], 'first reading; rates start with the next');
    const samples: MetricSample[] = [];
    const push = (cpu: string, p: CpuTimes | undefined, c: CpuTimes) => {
      if (!p) return; // a CPU that just came online has no previous reading
      const pct = cpuPercentages(p, c);
      if (!pct) return;
      const l = { cpu };
      samples.push(
        { m: 'cpu_iowait_percent', l, v: pct.iowait },
        { m: 'cpu_user_percent', l, v: pct.user },
        { m: 'cpu_system_percent', l, v: pct.system },
        { m: 'cpu_idle_percent', l, v: pct.idle },
        { m: 'cpu_steal_percent', l, v: pct.steal },
      );
    };
    push('all', prev.total, cur.total);
    for (const [id, times] of cur.perCpu) push(id, prev.perCpu.get(id), times);
    return ok(this.name, samples);
  }
}

registerCollector({
  name: 'cpu',
  help: 'iowait and CPU time shares from /proc/stat',
  defaultEnabled: true,
  create: (host) => [new CpuCollector(host.root)],
});
