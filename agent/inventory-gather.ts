import os from 'node:os';
import { readdir, readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { parseMountTable, type MountEntry } from './logrotate/mounts.js';
import { parseCpuinfo, parseMeminfo, parseOsRelease } from './inventory-parse.js';

async function read(root: string, rel: string): Promise<string | null> {
  try {
    return await readFile(path.join(root, rel), 'utf8');
  } catch {
    return null;
  }
}

interface BlockDevice {
  name: string;
  type: string;
  sizeBytes: number;
  fsType: string;
  mount: string;
  model: string;
  removable: boolean;
}

/** lsblk's TYPE: disk, part, loop, rom, raidN for md, lvm/crypt/dm for device-mapper. */
async function blockType(root: string, name: string): Promise<string> {
  if (name.startsWith('loop')) return 'loop';
  if (/^sr\d/.test(name)) return 'rom';
  if (name.startsWith('md')) return ((await read(root, `sys/block/${name}/md/level`)) ?? 'md').trim();
  if (name.startsWith('dm-')) {
    const uuid = (await read(root, `sys/block/${name}/dm/uuid`)) ?? '';
    return uuid.startsWith('LVM-') ? 'lvm' : uuid.startsWith('CRYPT-') ? 'crypt' : 'dm';
  }
  return 'disk';
}

/** The file system type udev recorded for a device ("" without udev, as lsblk shows it). */
async function udevFsType(root: string, sysDir: string): Promise<string> {
  const dev = (await read(root, `${sysDir}/dev`))?.trim();
  const data = dev ? await read(root, `run/udev/data/b${dev}`) : null;
  return (data && /^E:ID_FS_TYPE=(.*)$/m.exec(data)?.[1]) ?? '';
}

async function mountName(root: string, name: string): Promise<string> {
  const dm = name.startsWith('dm-') ? (await read(root, `sys/block/${name}/dm/name`))?.trim() : null;
  return dm ? `/dev/mapper/${dm}` : `/dev/${name}`;
}

/** Disks and their partitions from /sys/block, as lsblk lists them (unattached loop devices left out). */
async function blockDevices(root: string, mounts: readonly MountEntry[]): Promise<BlockDevice[]> {
  let names: string[];
  try {
    names = (await readdir(path.join(root, 'sys/block'))).sort();
  } catch {
    return [];
  }
  const out: BlockDevice[] = [];
  const mountOf = (dev: string) => mounts.find((m) => m.device === dev)?.mountPoint ?? '';
  for (const name of names) {
    const dir = `sys/block/${name}`;
    const sizeBytes = Number((await read(root, `${dir}/size`)) ?? 0) * 512;
    if (name.startsWith('loop') && sizeBytes === 0) continue;
    const removable = (await read(root, `${dir}/removable`))?.trim() === '1';
    out.push({
      name,
      type: await blockType(root, name),
      sizeBytes,
      fsType: await udevFsType(root, dir),
      mount: mountOf(await mountName(root, name)),
      model: ((await read(root, `${dir}/device/model`)) ?? '').trim(),
      removable,
    });
    let entries: string[] = [];
    try {
      entries = (await readdir(path.join(root, dir))).filter((e) => e.startsWith(name)).sort();
    } catch {
      // no partitions listed
    }
    for (const part of entries) {
      const pdir = `${dir}/${part}`;
      if ((await read(root, `${pdir}/partition`)) === null) continue;
      out.push({
        name: part,
        type: 'part',
        sizeBytes: Number((await read(root, `${pdir}/size`)) ?? 0) * 512,
        fsType: await udevFsType(root, pdir),
        mount: mountOf(`/dev/${part}`),
        model: '',
        removable,
      });
    }
  }
  return out;
}

/** Local block-device file systems as `df -lkPT` shows them: one line per device, at its shortest mount point. */
async function filesystems(mounts: readonly MountEntry[]) {
  const byDevice = new Map<string, MountEntry>();
  for (const m of mounts) {
    if (!m.device.startsWith('/') || m.fsType === 'squashfs') continue;
    const seen = byDevice.get(m.device);
    if (!seen || m.mountPoint.length < seen.mountPoint.length) byDevice.set(m.device, m);
  }
  const out = [];
  for (const m of byDevice.values()) {
    try {
      const st = await statfs(m.mountPoint);
      const used = (st.blocks - st.bfree) * st.bsize;
      const available = st.bavail * st.bsize;
      out.push({
        fs: m.device,
        type: m.fsType,
        mount: m.mountPoint,
        sizeBytes: st.blocks * st.bsize,
        usedBytes: used,
        availableBytes: available,
        // df's Use%: used over what non-root users could have
        usePercent: used + available > 0 ? Number(((100 * used) / (used + available)).toFixed(2)) : null,
      });
    } catch {
      // gone or not ours to statfs: df leaves it out too
    }
  }
  return out;
}

/**
 * The host inventory — OS, CPUs, memory, block devices, file systems — read
 * from /etc/os-release, /proc and /sys and statfs(2) in the agent itself: a
 * few dozen small reads, no child process (systeminformation forked a Node
 * process that forked shells: about a second of CPU each time).
 */
export async function gatherInventory(root = '/'): Promise<Record<string, unknown>> {
  const osRelease = (await read(root, 'etc/os-release')) ?? (await read(root, 'usr/lib/os-release')) ?? '';
  const mountsText = await read(root, 'proc/mounts');
  const mounts = mountsText === null ? [] : parseMountTable(mountsText);
  return {
    os: {
      platform: process.platform,
      ...parseOsRelease(osRelease),
      kernel: os.release(),
      arch: os.arch(),
      hostname: os.hostname(),
    },
    cpu: parseCpuinfo((await read(root, 'proc/cpuinfo')) ?? ''),
    memory: parseMeminfo((await read(root, 'proc/meminfo')) ?? ''),
    blockDevices: await blockDevices(root, mounts),
    filesystems: await filesystems(mounts),
    collectedAt: Date.now(),
  };
}
