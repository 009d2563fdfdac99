import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceKind, partitionParent, selectDevices } from '../../agent/procfs/devices.js';
import { parseDiskstats } from '../../agent/procfs/diskstats.js';
import { deviceFilter } from '../../agent/host-settings.js';
import { resolveSettings } from '../../cli/config.js';
import { PROCFS, fixtureText } from '../helpers/fixtures.js';
import { CLI, REPO, tempDir } from '../helpers/process.js';

/** Constructed (hand-written) samples: see test/fixtures-local/README.md. */
const LOCAL = path.join(REPO, 'test/fixtures-local/procfs');
const CONSTRUCTED = path.join(LOCAL, 'constructed-devices');

const recorded = (sample: string) => parseDiskstats(fixtureText(`procfs/${sample}/proc/diskstats`));
const constructed = () => parseDiskstats(fixtureText(`../fixtures-local/procfs/constructed-devices/proc/diskstats`));
const names = (list: { name: string }[]) => list.map((d) => d.name);

describe('default device set (whole disks, NVMe namespaces, dm, md; as iostat and node_exporter)', () => {
  it('node_exporter sample: partitions, ram, loop, floppy and the never-used sr0 are left out', () => {
    // Read by hand from the file: sda1-4, mmcblk0p1-2, vda1-2, nvme0n1p1-2, sdb1-2, sdc1 are partitions;
    // ram0-15 and loop0-7 never did I/O, fd0 is a floppy, sr0 has only zeros.
    expect(names(selectDevices(recorded('node_exporter')).selected)).toEqual([
      'sda',
      'dm-0',
      'dm-1',
      'dm-2',
      'dm-3',
      'dm-4',
      'dm-5',
      'mmcblk0',
      'vda',
      'nvme0n1',
      'sdb',
      'sdc',
    ]);
  });

  it('Diamond raid4disk sample: md0 and both NVMe namespaces stay, the partitions go', () => {
    expect(names(selectDevices(recorded('diamond-diskstats-raid4disk')).selected)).toEqual([
      'sda',
      'sdb',
      'sdc',
      'sdd',
      'md0',
      'nvme0n1',
      'nvme1n1',
    ]);
  });

  it('constructed sample: zram, a busy loop, unused nbd/sr/nvme1n1 go; nvme0n10 is a namespace, md127p1 a partition', () => {
    const list = constructed();
    expect(names(selectDevices(list).selected)).toEqual(['xvda', 'nvme0n1', 'nvme0n10', 'dm-0', 'md127']);
    const all = new Set(names(list));
    const kinds = Object.fromEntries(list.map((d) => [d.name, deviceKind(d, all)]));
    expect(kinds).toEqual({
      ram0: 'virtual',
      loop0: 'virtual',
      loop1: 'virtual',
      zram0: 'virtual',
      nbd0: 'unused',
      sr0: 'unused',
      xvda: 'disk',
      xvda1: 'partition',
      nvme0n1: 'disk',
      nvme0n1p1: 'partition',
      nvme0n10: 'disk',
      nvme1n1: 'unused',
      'dm-0': 'disk',
      md127: 'disk',
      md127p1: 'partition',
    });
  });

  it("finds a partition's disk by the kernel's naming rule", () => {
    const all = new Set(['sda', 'sdp', 'nvme0n1', 'mmcblk0', 'md0', 'dm-1', 'loop1']);
    expect(partitionParent('sda1', all)).toBe('sda');
    expect(partitionParent('sdp12', all)).toBe('sdp');
    expect(partitionParent('nvme0n1p3', all)).toBe('nvme0n1');
    expect(partitionParent('mmcblk0p1', all)).toBe('mmcblk0');
    expect(partitionParent('md0p2', all)).toBe('md0');
    // a name ending in a digit takes "p": nvme0n12 and md01 are not partitions of nvme0n1 and md0
    expect(partitionParent('nvme0n12', all)).toBeNull();
    expect(partitionParent('md01', all)).toBeNull();
    expect(partitionParent('loop10', all)).toBeNull();
    expect(partitionParent('dm-10', all)).toBeNull();
    expect(partitionParent('sdb1', all)).toBeNull(); // no sdb in the list
  });
});

describe('--disks-include / --disks-exclude', () => {
  const sel = (sample: ReturnType<typeof recorded>, include?: string, exclude?: string) =>
    selectDevices(sample, deviceFilter({ disksInclude: include, disksExclude: exclude }));

  it('exclude removes from the default set', () => {
    expect(names(sel(recorded('node_exporter'), undefined, '^dm-').selected)).toEqual([
      'sda',
      'mmcblk0',
      'vda',
      'nvme0n1',
      'sdb',
      'sdc',
    ]);
  });

  it('include names exactly the devices, even loop and never-used ones', () => {
    expect(names(sel(recorded('node_exporter'), '^(loop[01]|sr0|nvme)').selected)).toEqual([
      'loop0',
      'loop1',
      'sr0',
      'nvme0n1',
    ]);
  });

  it('include may pick partitions, but never beside their own disk', () => {
    expect(names(sel(recorded('node_exporter'), '^sda\\d$').selected)).toEqual(['sda1', 'sda2', 'sda3', 'sda4']);
    const both = sel(recorded('node_exporter'), '^(sda|sdc)\\d*$');
    expect(names(both.selected)).toEqual(['sda', 'sdc']);
    expect(both.shadowedPartitions).toEqual(['sda1', 'sda2', 'sda3', 'sda4', 'sdc1']);
  });

  it('include and exclude together: exclude wins', () => {
    expect(names(sel(constructed(), '^(xvda|nvme|md)', 'n10$|^md').selected)).toEqual(['xvda', 'nvme0n1', 'nvme1n1']);
  });

  it('come from flags, TIDEMARK_DISKS_* or agent.disks* in YAML, and a bad pattern names its source', () => {
    const file = path.join(tempDir(), 'tidemark.yaml');
    writeFileSync(file, 'agent:\n  disksInclude: "^sd"\n  disksExclude: "^sdc"\n');
    expect(resolveSettings(['disksInclude', 'disksExclude'], { config: file }, {})).toEqual({
      disksInclude: '^sd',
      disksExclude: '^sdc',
    });
    expect(
      resolveSettings(
        ['disksInclude', 'disksExclude'],
        { config: file, disksExclude: '^sdb' },
        { TIDEMARK_DISKS_INCLUDE: '^nvme' },
      ),
    ).toEqual({ disksInclude: '^nvme', disksExclude: '^sdb' });
    expect(() => resolveSettings(['disksInclude'], {}, { TIDEMARK_DISKS_INCLUDE: 'sd(' })).toThrow(
      /TIDEMARK_DISKS_INCLUDE: is not a valid regular expression/,
    );
  });

  it('`tidemark collect` applies them from the command line and the environment', () => {
    const devices = (args: string[], env: Record<string, string> = {}) => {
      const out = execFileSync(process.execPath, [CLI, 'collect', '--json', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      const report = JSON.parse(out) as { collectors: { disks: { devices: { name: string }[] } } };
      return names(report.collectors.disks.devices);
    };
    expect(devices(['--root', CONSTRUCTED])).toEqual(['xvda', 'nvme0n1', 'nvme0n10', 'dm-0', 'md127']);
    expect(devices(['--root', CONSTRUCTED, '--disks-include', '^(zram|loop)', '--disks-exclude', 'loop1'])).toEqual([
      'loop0',
      'zram0',
    ]);
    expect(
      devices(['--root', path.join(PROCFS, 'diamond-diskstats-raid4disk')], { TIDEMARK_DISKS_EXCLUDE: '^sd' }),
    ).toEqual(['md0', 'nvme0n1', 'nvme1n1']);
    let err: { status: number; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [CLI, 'collect', '--root', CONSTRUCTED, '--disks-exclude', '['], {
        stdio: 'pipe',
      });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(2);
    expect(String(err?.stderr)).toMatch(/--disks-exclude: is not a valid regular expression/);
  });
});
