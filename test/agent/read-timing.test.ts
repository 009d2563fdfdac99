import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CpuCollector } from '../../agent/collectors/cpu.js';
import { DisksCollector } from '../../agent/collectors/disks.js';
import { PressureCollector } from '../../agent/collectors/pressure.js';
import { sampleOnce, type Sample } from '../../agent/sampler.js';
import { fixtureText } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/process.js';

/**
 * A slow --root file source: proc/diskstats, proc/stat and proc/pressure/io
 * are FIFOs whose writer hands over the recorded text only some time after
 * the tick began, the way a busy threadpool or a stalled mount delays a read.
 * The rates must divide by the time between the two contents, not between
 * the two ticks.
 */
const FILES = ['proc/diskstats', 'proc/stat', 'proc/pressure/io'] as const;

function fifoRoot(): string {
  const root = tempDir('tidemark-slow-root-');
  mkdirSync(path.join(root, 'proc/pressure'), { recursive: true });
  for (const f of FILES) execFileSync('mkfifo', [path.join(root, f)]);
  return root;
}

interface Timed {
  sample: Sample;
  tick: number;
  /** Just before the first byte was handed to the FIFOs, and when the sample was complete. */
  written: number;
  done: number;
}

async function tickWithSlowSource(
  collectors: (CpuCollector | DisksCollector | PressureCollector)[],
  root: string,
  texts: Record<(typeof FILES)[number], string>,
  delayMs: number,
): Promise<Timed> {
  const tick = performance.now();
  const deliver = async () => {
    await sleep(delayMs);
    const written = performance.now();
    for (const f of FILES) await writeFile(path.join(root, f), texts[f]);
    return written;
  };
  const [sample, written] = await Promise.all([sampleOnce(collectors), deliver()]);
  return { sample, tick, written, done: performance.now() };
}

const value = (s: Sample, m: string, l: Record<string, string>) =>
  s.samples.find((x) => x.m === m && Object.entries(l).every(([k, v]) => x.l?.[k] === v))?.v;

describe('rates are timed at the read', () => {
  it('a reader delayed on purpose still gives exact per-second rates', async () => {
    const root = fifoRoot();
    const collectors = [new CpuCollector(root), new DisksCollector(root), new PressureCollector(root)];
    const pressure1 = fixtureText('procfs/node_exporter/proc/pressure/io');
    // The same host 200 000 µs of "some" and 50 000 µs of "full" stall later.
    const pressure2 =
      'some avg10=5.00 avg60=1.00 avg300=0.50 total=160086802\nfull avg10=2.00 avg60=0.50 avg300=0.20 total=159279614\n';
    const first = await tickWithSlowSource(
      collectors,
      root,
      {
        'proc/diskstats': fixtureText('procfs/diamond-diskstats-t1/proc/diskstats'),
        'proc/stat': fixtureText('procfs/diamond-stat-473-t1/proc/stat'),
        'proc/pressure/io': pressure1,
      },
      30,
    );
    await sleep(Math.max(0, first.tick + 1000 - performance.now()));
    const second = await tickWithSlowSource(
      collectors,
      root,
      {
        'proc/diskstats': fixtureText('procfs/diamond-diskstats-t2/proc/diskstats'),
        'proc/stat': fixtureText('procfs/diamond-stat-473-t2/proc/stat'),
        'proc/pressure/io': pressure2,
      },
      400,
    );
    expect(second.sample.collectors.map((c) => `${c.name}:${c.state}`)).toEqual(['cpu:ok', 'disks:ok', 'pressure:ok']);

    // Each content was taken after its writer started and before its sample completed, so the true
    // interval lies in [written2 - done1, done2 - written1] (ms).
    const shortest = (second.written - first.done) / 1000;
    const longest = (second.done - first.written) / 1000;
    const tickInterval = (second.tick - first.tick) / 1000;
    const within = (v: number | null | undefined, increase: number) => {
      expect(v).toBeGreaterThanOrEqual(increase / longest);
      expect(v).toBeLessThanOrEqual(increase / shortest);
    };
    // sdb reads 1642335748 → 1642336912: 1164; sectors read 47517782005 → 47517819253: 37248 = 18624 KiB;
    // writes 13136509974 → 13136518024: 8050.
    within(value(second.sample, 'disk_r_per_s', { device: 'sdb' }), 1164);
    within(value(second.sample, 'disk_rkb_per_s', { device: 'sdb' }), 18624);
    within(value(second.sample, 'disk_w_per_s', { device: 'sdb' }), 8050);
    // PSI totals in µs: 200 000 µs "some", 50 000 µs "full" of the interval, as percentages.
    within(value(second.sample, 'io_pressure_stall_percent', { kind: 'some' }), 200_000 / 10_000);
    within(value(second.sample, 'io_pressure_stall_percent', { kind: 'full' }), 50_000 / 10_000);
    // The tick-to-tick interval (about 1 s) is not the interval of the contents (about 1.37 s): a rate
    // timed at the tick would be outside the bounds, so the checks above can fail.
    expect(1164 / tickInterval).toBeGreaterThan(1164 / shortest);

    // CPU shares are jiffies over jiffies of the same two readings: cpu0 Δiowait 13 of Δtotal 6004
    // (Δuser 5848, Δsystem 37, Δidle 59, Δiowait 13, Δirq 4, Δsoftirq 43).
    expect(value(second.sample, 'cpu_iowait_percent', { cpu: '0' })).toBeCloseTo((100 * 13) / 6004, 10);
  });
});
