import { readUnderRoot } from './procfs/read.js';

/**
 * What the inventory describes, read cheaply in-process: the agent compares it before starting the
 * systeminformation child (a Node process starting is 80-140 ms of CPU here, over 2 % of a 5 s window), so
 * the periodic refresh runs the child only when the host changed (BENCHMARKS.md, "The agent side by side",
 * fourth round). Snapshot figures in the inventory (free memory, used space) are not in it: the collectors
 * send those every second.
 */
export interface FingerprintSources {
  cpuinfo: string;
  meminfo: string;
  kernelRelease: string;
  hostname: string;
  osRelease: string;
  partitions: string;
  mounts: string;
}

const SOURCE_FILES: Record<keyof FingerprintSources, string> = {
  cpuinfo: 'proc/cpuinfo',
  meminfo: 'proc/meminfo',
  kernelRelease: 'proc/sys/kernel/osrelease',
  hostname: 'proc/sys/kernel/hostname',
  osRelease: 'etc/os-release',
  partitions: 'proc/partitions',
  mounts: 'proc/self/mounts',
};

/** The CPUs: how many, and each distinct model name (x86's "model name", else "Processor"/"cpu model"). */
function cpuPart(cpuinfo: string): string {
  let count = 0;
  const models = new Set<string>();
  for (const line of cpuinfo.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (key === 'processor') count += 1;
    else if (key === 'model name' || key === 'Processor' || key === 'cpu model')
      models.add(line.slice(colon + 1).trim());
  }
  return `cpus ${count} ${[...models].sort().join(' | ')}`;
}

/** Total memory and swap (kB), not the free figures. */
function memoryPart(meminfo: string): string {
  const total = /^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? '?';
  const swap = /^SwapTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? '?';
  return `memory ${total} swap ${swap}`;
}

/** The distribution's identity lines of os-release(5). */
function osPart(osRelease: string): string {
  const keep = osRelease.split('\n').filter((l) => /^(ID|VERSION_ID|PRETTY_NAME)=/.test(l));
  return `os ${keep.sort().join(' ')}`;
}

/** Every block device and partition with its size in 1 KiB blocks, from /proc/partitions (name order). */
function blockPart(partitions: string): string {
  const devices: string[] = [];
  for (const line of partitions.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^\d+$/.test(f[0]!) && /^\d+$/.test(f[2]!)) devices.push(`${f[3]}=${f[2]}`);
  }
  return `block ${devices.sort().join(' ')}`;
}

/**
 * File systems that hold data and that the inventory lists (systeminformation's `df` rows) without being on a
 * /dev/ device: network and cluster ones (NFS, SMB, Ceph, Gluster, Lustre, BeeGFS, GPFS, SSHFS), a VM's host
 * shares (virtiofs, 9p) and ZFS datasets (device `pool/name`). A list rather than fsSize's own rule (every
 * `df -T` row whose type is not tmpfs-like): df also drops file systems without blocks (proc, cgroup…), which
 * /proc/self/mounts cannot tell, and that rule keeps overlay, which comes and goes with containers.
 */
const DATA_FS_OFF_DEVICES = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'ceph',
  'fuse.ceph-fuse',
  'glusterfs',
  'fuse.glusterfs',
  'lustre',
  'beegfs',
  'gpfs',
  'fuse.sshfs',
  'virtiofs',
  '9p',
  'zfs',
]);

/**
 * File systems on block devices, network and ZFS file systems (device, mount point, type), from
 * /proc/self/mounts. Virtual ones (tmpfs, overlay, proc, cgroup…) come and go with containers and tests and
 * are left out.
 */
function mountPart(mounts: string): string {
  const kept = new Set<string>();
  for (const line of mounts.split('\n')) {
    const [device, mountPoint, type] = line.split(' ');
    if (!device || !mountPoint || !type) continue;
    if (device.startsWith('/dev/') || DATA_FS_OFF_DEVICES.has(type)) kept.add(`${device} ${mountPoint} ${type}`);
  }
  return `mounts ${[...kept].sort().join(', ')}`;
}

/** One line per part; two hosts (or one host at two times) with the same text have the same inventory shape. */
export function parseFingerprint(src: FingerprintSources): string {
  return [
    cpuPart(src.cpuinfo),
    memoryPart(src.meminfo),
    `kernel ${src.kernelRelease.trim()}`,
    `hostname ${src.hostname.trim()}`,
    osPart(src.osRelease),
    blockPart(src.partitions),
    mountPart(src.mounts),
  ].join('\n');
}

/**
 * Reads the sources under `root`. A missing file reads as empty, and so does one that cannot be read (a
 * hardened /etc/os-release, an I/O error): either still compares equal to itself, and the inventory's own
 * gathering does not depend on it.
 */
export async function readInventoryFingerprint(root: string): Promise<string> {
  const read = (file: string) => readUnderRoot(root, file).catch(() => null);
  const entries = await Promise.all(
    Object.entries(SOURCE_FILES).map(async ([k, file]) => [k, (await read(file)) ?? ''] as const),
  );
  return parseFingerprint(Object.fromEntries(entries) as unknown as FingerprintSources);
}
