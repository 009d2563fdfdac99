import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CpuCollector } from '../../agent/collectors/cpu.js';
import { DisksCollector } from '../../agent/collectors/disks.js';
import { sampleOnce } from '../../agent/sampler.js';
import { PROCFS } from '../helpers/fixtures.js';
import { CLI, tempDir } from '../helpers/process.js';

/** A writable root whose proc/ files can be swapped between readings. */
function rootWith(files: Record<string, string>): string {
  const root = tempDir('tidemark-root-');
  for (const [rel, src] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    cpSync(path.join(PROCFS, src), path.join(root, rel));
  }
  return root;
}

const value = (
  samples: { m: string; l?: Record<string, string>; v: number | null }[],
  m: string,
  l: Record<string, string>,
) => samples.find((s) => s.m === m && Object.entries(l).every(([k, v]) => s.l?.[k] === v))?.v;

describe('collectors on fixture roots', () => {
  it('disks: rates from two readings, devices appearing and vanishing', async () => {
    const root = rootWith({ 'proc/diskstats': 'diamond-diskstats-t1/proc/diskstats' });
    const c = new DisksCollector(root);
    const before1 = performance.now();
    const first = await c.collect({ nowMs: 0, monoMs: 0 });
    const after1 = performance.now();
    expect(first.status.state).toBe('ok');
    expect(first.samples).toEqual([]); // no previous reading yet
    cpSync(path.join(PROCFS, 'diamond-diskstats-t2/proc/diskstats'), path.join(root, 'proc/diskstats'));
    await new Promise((r) => setTimeout(r, 200)); // the time is the point: an interval the rates divide by
    const before2 = performance.now();
    const second = await c.collect({ nowMs: 10_000, monoMs: 10_000 });
    const after2 = performance.now();
    // Rates divide by the time between the two reads, which lies in [before2 - after1, after2 - before1] ms.
    // sdb weighted ms 4283211976 → 4283219468: aqu-sz = 7492 / interval ms; reads 1164 in the interval.
    const aqu = value(second.samples, 'disk_aqu_sz', { device: 'sdb' })!;
    expect(aqu).toBeGreaterThanOrEqual(7492 / (after2 - before1));
    expect(aqu).toBeLessThanOrEqual(7492 / (before2 - after1));
    const rps = value(second.samples, 'disk_r_per_s', { device: 'sdb' })!;
    expect(rps).toBeGreaterThanOrEqual(1164 / ((after2 - before1) / 1000));
    expect(rps).toBeLessThanOrEqual(1164 / ((before2 - after1) / 1000));
    expect(value(second.samples, 'disk_in_flight', { device: 'sdb' })).toBe(0);
    // whole disks only: sda1 and sdb1 are partitions, md0 never did I/O, ram and loop are left out
    const devices = new Set(second.samples.map((s) => s.l?.device));
    expect([...devices].sort()).toEqual(['sda', 'sdb']);
    // ... but every device is read, for the RAID collector (members may be partitions)
    expect([...second.provides!.disks!.keys()]).toContain('sdb1');

    // sdb vanishes, nvme0n1 appears: no rates for either this interval, no error
    writeFileSync(
      path.join(root, 'proc/diskstats'),
      '8 0 sda 1650390 2176303 51741706 8213219 11766892 27366928 313073744 207996798 0 8426453 216207918\n259 0 nvme0n1 1 0 8 1 0 0 0 0 0 1 1\n',
    );
    const third = await c.collect({ nowMs: 20_000, monoMs: 20_000 });
    expect(new Set(third.samples.map((s) => s.l?.device))).toEqual(new Set(['sda']));
  });

  it('cpu: iowait from two readings, host-wide and per CPU', async () => {
    const root = rootWith({ 'proc/stat': 'diamond-stat-473-t1/proc/stat' });
    const c = new CpuCollector(root);
    expect((await c.collect()).samples).toEqual([]);
    cpSync(path.join(PROCFS, 'diamond-stat-473-t2/proc/stat'), path.join(root, 'proc/stat'));
    const r = await c.collect();
    expect(value(r.samples, 'cpu_iowait_percent', { cpu: 'all' })).toBeCloseTo((100 * 73) / 48025, 10);
    // cpu0: Δuser 745165651-745159803 = 5848, Δsystem 67730946-67730909 = 37, Δidle 1837715965-1837715906 = 59,
    // Δiowait 12214904-12214891 = 13, Δirq 1500712-1500708 = 4, Δsoftirq 21120528-21120485 = 43 → total 6004
    expect(value(r.samples, 'cpu_iowait_percent', { cpu: '0' })).toBeCloseTo((100 * 13) / 6004, 10);
  });

  it('a missing source is "absent", a garbled one an "error", and the other collectors still report', async () => {
    const root = rootWith({ 'proc/diskstats': 'diamond-diskstats-t1/proc/diskstats' });
    const cpu = new CpuCollector(root);
    const disks = new DisksCollector(root);
    await sampleOnce([cpu, disks]);
    const s = await sampleOnce([cpu, disks]);
    expect(s.collectors).toEqual([
      { name: 'cpu', state: 'absent', message: `${root}/proc/stat does not exist` },
      { name: 'disks', state: 'ok' },
    ]);
    writeFileSync(path.join(root, 'proc/diskstats'), '8 0 sda garbage\n');
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    cpSync(path.join(PROCFS, 'node_exporter/proc/stat'), path.join(root, 'proc/stat'));
    const t = await sampleOnce([cpu, disks]);
    expect(t.collectors[1]).toMatchObject({ name: 'disks', state: 'error' });
    expect(t.collectors[1]!.message).toMatch(/\/proc\/diskstats: line 1/);
    expect(t.collectors[0]).toMatchObject({ name: 'cpu', state: 'ok' });
  });
});

describe('tidemark collect', () => {
  it('--root DIR --json prints per-device counters and in-flight from the fixture tree', () => {
    const out = execFileSync(
      process.execPath,
      [CLI, 'collect', '--root', path.join(PROCFS, 'diamond-diskstats-t1'), '--json'],
      { encoding: 'utf8' },
    );
    const report = JSON.parse(out) as {
      collectors: { disks: { devices: { name: string; inFlight: number; reads: number }[] }; cpu: { state: string } };
    };
    const sdb = report.collectors.disks.devices.find((d) => d.name === 'sdb');
    expect(sdb).toMatchObject({ reads: 1642335748, inFlight: 1 });
    expect(report.collectors.cpu).toEqual({ state: 'absent' });
  });

  it('exits 2 with a clear message on a bad setting', () => {
    let err: { status: number; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [CLI, 'agent', '--token', 't', '--interval-ms', 'fast'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(2);
    expect(err?.stderr).toMatch(/--interval-ms: must be a whole number from 100 to 3600000 \(got "fast"\)/);
  });
});
