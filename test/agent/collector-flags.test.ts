import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROCFS } from '../helpers/fixtures.js';
import { CLI } from '../helpers/process.js';
import { hostCollectors } from '../../agent/collectors/host.js';

// A recorded tree with disks, PSI and md arrays: cpu, disks, pressure and raid all have something to read.
const ROOT = path.join(PROCFS, 'prometheus-procfs');

interface SamplesReport {
  collectors: { name: string; state: string }[];
  samples: { m: string; l?: Record<string, string>; v: number | null }[];
}

function tidemark(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

function collectSamples(...flags: string[]): SamplesReport {
  const r = tidemark(['collect', '--root', ROOT, '--samples', '--interval-ms', '100', '--json', ...flags]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as SamplesReport;
}

const families = (r: SamplesReport) => new Set(r.samples.map((s) => s.m.split('_')[0]));
const names = (r: SamplesReport) => r.collectors.map((c) => c.name);

describe('collectors chosen by name (--collector.NAME / --no-collector.NAME)', () => {
  it('runs every default collector when none is named', () => {
    const r = collectSamples();
    expect(names(r)).toEqual(['cpu', 'disks', 'pressure', 'raid', 'logpaths', 'filesystems']);
    expect([...families(r)].sort()).toEqual(['disk', 'io', 'raid']);
  });

  it('--no-collector.NAME removes that collector and its metrics; the others still report', () => {
    const r = collectSamples('--no-collector.raid', '--no-collector.pressure');
    expect(names(r)).toEqual(['cpu', 'disks', 'logpaths', 'filesystems']);
    expect(r.samples.filter((s) => s.m.startsWith('raid_') || s.m.startsWith('io_pressure_'))).toEqual([]);
    expect(r.samples.some((s) => s.m === 'disk_util_percent')).toBe(true);
  });

  it('a derived collector whose input is disabled still reports, without the figures that input gives', () => {
    const r = collectSamples('--no-collector.disks');
    expect(names(r)).not.toContain('disks');
    expect(r.collectors.find((c) => c.name === 'raid')?.state).toBe('ok');
    const raid = new Set(r.samples.filter((s) => s.m.startsWith('raid_')).map((s) => s.m));
    expect(raid.has('raid_disks_active')).toBe(true);
    // the queue figures come from the disks' readings (raid/queue.ts): none without them
    expect([...raid].filter((m) => /aqu_sz|in_flight|util/.test(m))).toEqual([]);
    expect(r.samples.some((s) => s.m.startsWith('disk_'))).toBe(false);
  });

  it('the last flag for a name wins', () => {
    expect(names(collectSamples('--no-collector.cpu', '--collector.cpu'))).toContain('cpu');
    expect(names(collectSamples('--collector.cpu', '--no-collector.cpu'))).not.toContain('cpu');
  });

  it('the snapshot leaves a disabled collector out too', () => {
    const r = tidemark(['collect', '--root', ROOT, '--json', '--no-collector.raid']);
    const report = JSON.parse(r.stdout) as { collectors: Record<string, unknown> };
    expect(Object.keys(report.collectors)).toEqual(['cpu', 'disks', 'pressure', 'logpaths', 'filesystems']);
  });

  it.each([
    [['collect', '--root', ROOT, '--collector.rade'], '--collector.rade', '--collector.raid'],
    [['collect', '--no-collector.filesytems'], '--no-collector.filesytems', '--no-collector.filesystems'],
    // the agent checks before it needs a server or a token
    [['agent', '--no-collector.mongo'], '--no-collector.mongo', '--no-collector.mongod'],
  ])('an unknown name exits 2 naming the nearest collector: %j', (args, given, meant) => {
    const r = tidemark(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${given}: no collector is called`);
    expect(r.stderr).toContain(`did you mean ${meant}?`);
  });

  it('a name like no collector gets the list instead of a guess', () => {
    const r = tidemark(['collect', '--collector.zfs_arcstats']);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain('did you mean');
    expect(r.stderr).toMatch(/collectors: cpu, disks, pressure, raid, logpaths, logrotate_schedule, mongod,/);
  });

  it('hostCollectors takes the same choice, and refuses a name no collector has', () => {
    const off = Object.fromEntries(['disks', 'pressure', 'raid', 'logpaths', 'filesystems'].map((n) => [n, false]));
    expect(hostCollectors(ROOT, {}, {}, off).map((c) => c.name)).toEqual(['cpu']);
    expect(() => hostCollectors(ROOT, {}, {}, { rade: false })).toThrow(/unknown collector "rade"/);
  });
});
