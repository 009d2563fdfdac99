import { describe, expect, it } from 'vitest';
import { cpuPercentages, parseProcStat } from '../../agent/procfs/stat.js';
import { ParseError } from '../../agent/procfs/read.js';
import { fixtureText, samplesWith } from '../helpers/fixtures.js';

const stat = (sample: string) => parseProcStat(fixtureText(`procfs/${sample}/proc/stat`));

describe('/proc/stat parser', () => {
  it.each(samplesWith('proc/stat'))('parses %s', (sample) => {
    const s = stat(sample);
    expect(s.total.user).toBeGreaterThan(0);
    expect(s.perCpu.size).toBeGreaterThan(0);
  });

  it('reads the 10-column layout (node_exporter sample), guest fields included', () => {
    // cpu  301854 612 111922 8979004 3552 2 3944 0 44 36
    const s = stat('node_exporter');
    expect(s.total).toEqual({
      user: 301854,
      nice: 612,
      system: 111922,
      idle: 8979004,
      iowait: 3552,
      irq: 2,
      softirq: 3944,
      steal: 0,
      guest: 44,
      guestNice: 36,
    });
    expect([...s.perCpu.keys()]).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    // cpu7 29098 268 10164 1139282 555 0 31 0 9 8
    expect(s.perCpu.get('7')).toMatchObject({ nice: 268, iowait: 555, guest: 9, guestNice: 8 });
  });

  it('reads the 9-column layout (no guest_nice) as guest_nice 0', () => {
    // cpu 5752510218 12513 623200929 15002160049 70418567 1500709 21775690 0 0
    const s = stat('diamond-stat-473-t1');
    expect(s.total.iowait).toBe(70418567);
    expect(s.total.guest).toBe(0);
    expect(s.total.guestNice).toBe(0);
  });

  it('computes shares over the Diamond pair (many CPUs, 10 columns)', () => {
    const a = stat('diamond-stat-t1');
    const b = stat('diamond-stat-t2');
    // cpu t1: 29055787 1104382 8454152 3925807593 575304 3 59032 0 0 0
    // cpu t2: 29055791 1104382 8454154 3925832001 575306 3 59032 0 0 0
    // Δuser 4, Δnice 0, Δsystem 2, Δidle 24408, Δiowait 2, Δirq 0, Δsoftirq 0, Δsteal 0 → total 24416
    const p = cpuPercentages(a.total, b.total)!;
    expect(p.iowait).toBeCloseTo((100 * 2) / 24416, 10);
    expect(p.user).toBeCloseTo((100 * 4) / 24416, 10);
    expect(p.system).toBeCloseTo((100 * 2) / 24416, 10);
    expect(p.idle).toBeCloseTo((100 * 24408) / 24416, 10);
    expect(p.steal).toBe(0);
    // cpu0: only idle moved (163525880 → 163526880): 100 % idle
    expect(cpuPercentages(a.perCpu.get('0')!, b.perCpu.get('0')!)).toEqual({
      user: 0,
      system: 0,
      idle: 100,
      iowait: 0,
      steal: 0,
    });
    // cpu1: Δuser 1 (5549355 → 5549356), Δsystem 1 (708125 → 708126), Δidle 1055 → total 1057
    const c1 = cpuPercentages(a.perCpu.get('1')!, b.perCpu.get('1')!)!;
    expect(c1.user).toBeCloseTo(100 / 1057, 10);
    expect(c1.idle).toBeCloseTo((100 * 1055) / 1057, 10);
  });

  it('computes shares over the issue-473 pair (large counters, irq and softirq into system)', () => {
    const a = stat('diamond-stat-473-t1');
    const b = stat('diamond-stat-473-t2');
    // Δuser 5752557386-5752510218 = 47168, Δnice 0, Δsystem 623201215-623200929 = 286,
    // Δidle 15002160500-15002160049 = 451, Δiowait 70418640-70418567 = 73,
    // Δirq 1500712-1500709 = 3, Δsoftirq 21775734-21775690 = 44 → total 48025
    const p = cpuPercentages(a.total, b.total)!;
    expect(p.iowait).toBeCloseTo((100 * 73) / 48025, 10);
    expect(p.user).toBeCloseTo((100 * 47168) / 48025, 10);
    expect(p.system).toBeCloseTo((100 * (286 + 3 + 44)) / 48025, 10);
    expect(p.idle).toBeCloseTo((100 * 451) / 48025, 10);
    expect(p.user + p.system + p.idle + p.iowait + p.steal).toBeCloseTo(100, 9);
  });

  it('gives no value when a counter went backwards or no time passed', () => {
    const a = stat('diamond-stat-t1');
    const b = stat('diamond-stat-t2');
    expect(cpuPercentages(b.total, a.total)).toBeNull();
    expect(cpuPercentages(a.total, a.total)).toBeNull();
  });

  it('rejects garbage with the line number', () => {
    expect(() => parseProcStat('cpu  1 2 x 4 5\n')).toThrow(/line 1: system of cpu is not a counter/);
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(ParseError);
    expect(() => parseProcStat('')).toThrow(/no "cpu" line/);
  });
});
