import { mkdirSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCpuinfo, parseMeminfo, parseOsRelease } from '../../agent/inventory-parse.js';
import { gatherInventory } from '../../agent/inventory-gather.js';
import { tempDir } from '../helpers/process.js';

// Every text below is constructed for this test, in the layouts of os-release(5), proc(5) and the kernel's sysfs.

const CPUINFO_2x2 = [0, 1, 2, 3]
  .map((p) =>
    [
      `processor\t: ${p}`,
      'vendor_id\t: GenuineIntel',
      'model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz',
      'cpu MHz\t\t: 1200.000',
      `physical id\t: ${p >> 1}`,
      `core id\t\t: ${p & 1}`,
      '',
    ].join('\n'),
  )
  .join('\n');

describe('inventory parsers', () => {
  it('reads NAME and VERSION_ID from os-release, quoted or not', () => {
    expect(
      parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'),
    ).toEqual({ distro: 'Debian GNU/Linux', release: '12' });
    expect(parseOsRelease("NAME=Alpine\nVERSION_ID='3.19.1'\n")).toEqual({ distro: 'Alpine', release: '3.19.1' });
    expect(parseOsRelease('')).toEqual({ distro: 'unknown', release: 'unknown' });
  });

  it('counts logical CPUs and distinct (physical id, core id) pairs; the speed from "@ GHz" in the name', () => {
    // 4 processors on 2 sockets with 2 cores each: 4 logical, 4 physical cores
    expect(parseCpuinfo(CPUINFO_2x2)).toEqual({
      manufacturer: 'Intel',
      brand: 'Xeon® E5-2680 v4',
      cores: 4,
      physicalCores: 4,
      speedGHz: 2.4,
    });
    // hyper-threads: the same core id twice on one socket is one physical core
    const ht = CPUINFO_2x2.replace(/physical id\t: \d/g, 'physical id\t: 0').replace(
      /core id\t\t: 1/g,
      'core id\t\t: 0',
    );
    expect(parseCpuinfo(ht).physicalCores).toBe(1);
    // no "@ GHz" in the name: cpu MHz / 1000
    expect(
      parseCpuinfo('processor : 0\nvendor_id : AuthenticAMD\nmodel name : AMD EPYC 7B13\ncpu MHz : 2450.123\n'),
    ).toEqual({
      manufacturer: 'AMD',
      brand: 'EPYC 7B13',
      cores: 1,
      physicalCores: 1,
      speedGHz: 2.45,
    });
  });

  it('converts meminfo kB to bytes', () => {
    const text =
      'MemTotal:       16318480 kB\nMemFree:          512000 kB\nMemAvailable:    8000000 kB\nSwapTotal:       2097148 kB\n';
    expect(parseMeminfo(text)).toEqual({
      totalBytes: 16318480 * 1024,
      availableBytes: 8000000 * 1024,
      swapTotalBytes: 2097148 * 1024,
    });
  });
});

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

describe('gatherInventory (a constructed root)', () => {
  it('lists disks with partitions, md and loop devices as lsblk does, and file systems as df does', async () => {
    const root = tempDir('tidemark-inventory-');
    put(root, 'etc/os-release', 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n');
    put(root, 'proc/cpuinfo', CPUINFO_2x2);
    put(root, 'proc/meminfo', 'MemTotal: 1000 kB\nMemAvailable: 600 kB\nSwapTotal: 0 kB\n');
    // "/" twice (a bind mount): df shows the device once, at its shortest mount point; tmpfs and squashfs are not shown
    put(
      root,
      'proc/mounts',
      [
        '/dev/sda1 /srv/bind ext4 rw 0 0',
        '/dev/sda1 / ext4 rw 0 0',
        'tmpfs /run tmpfs rw 0 0',
        '/dev/loop1 /snap/core squashfs ro 0 0',
        '',
      ].join('\n'),
    );
    put(root, 'sys/block/sda/size', '2097152\n'); // 512-byte sectors: 1 GiB
    put(root, 'sys/block/sda/removable', '0\n');
    put(root, 'sys/block/sda/dev', '8:0\n');
    put(root, 'sys/block/sda/device/model', 'QEMU HARDDISK   \n');
    put(root, 'sys/block/sda/sda1/partition', '1\n');
    put(root, 'sys/block/sda/sda1/size', '2095104\n');
    put(root, 'sys/block/sda/sda1/dev', '8:1\n');
    put(root, 'run/udev/data/b8:1', 'S:disk/by-uuid/x\nE:ID_FS_TYPE=ext4\n');
    put(root, 'sys/block/md0/size', '4096\n');
    put(root, 'sys/block/md0/removable', '0\n');
    put(root, 'sys/block/md0/md/level', 'raid1\n');
    put(root, 'sys/block/loop0/size', '0\n'); // not attached: lsblk leaves it out
    put(root, 'sys/block/loop1/size', '8\n');

    const inv = (await gatherInventory(root)) as Record<string, any>;
    expect(inv.os).toMatchObject({ platform: 'linux', distro: 'Debian GNU/Linux', release: '12' });
    expect(inv.cpu).toMatchObject({ cores: 4, physicalCores: 4 });
    expect(inv.memory).toEqual({ totalBytes: 1024000, availableBytes: 614400, swapTotalBytes: 0 });
    expect(inv.blockDevices).toEqual([
      { name: 'loop1', type: 'loop', sizeBytes: 4096, fsType: '', mount: '/snap/core', model: '', removable: false },
      { name: 'md0', type: 'raid1', sizeBytes: 4096 * 512, fsType: '', mount: '', model: '', removable: false },
      {
        name: 'sda',
        type: 'disk',
        sizeBytes: 2 ** 30,
        fsType: '',
        mount: '',
        model: 'QEMU HARDDISK',
        removable: false,
      },
      {
        name: 'sda1',
        type: 'part',
        sizeBytes: 2095104 * 512,
        fsType: 'ext4',
        mount: '/srv/bind',
        model: '',
        removable: false,
      },
    ]);
    // the one file system is statfs("/") of this host: df's figures from the same call
    expect(inv.filesystems).toHaveLength(1);
    const fs = inv.filesystems[0];
    expect(fs).toMatchObject({ fs: '/dev/sda1', type: 'ext4', mount: '/' });
    const st = await statfs('/');
    expect(fs.sizeBytes).toBe(st.blocks * st.bsize);
    expect(fs.usePercent).toBeCloseTo((100 * fs.usedBytes) / (fs.usedBytes + fs.availableBytes), 2);
    expect(fs.usedBytes + fs.availableBytes).toBeLessThanOrEqual(fs.sizeBytes);
  });
});
