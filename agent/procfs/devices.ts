import type { DiskStats } from './diskstats.js';

/**
 * Which /proc/diskstats devices the agent reports, as iostat and
 * node_exporter do by default: whole disks, NVMe namespaces, dm and md
 * devices; not partitions (their I/O is already in their disk's line, so a sum
 * over devices would count it twice), not ram, zram, loop or floppy devices,
 * and not devices that never did any I/O (iostat skips those too; an empty CD
 * drive or an unused nbd slot is not a disk to watch).
 */

export type DeviceKind = 'disk' | 'partition' | 'virtual' | 'unused';

export interface DeviceSelection {
  /** Reported devices, in /proc/diskstats order. */
  selected: DiskStats[];
  /** Partitions an include pattern named but left out because their disk is reported too. */
  shadowedPartitions: string[];
}

export interface DeviceFilter {
  /** When set, exactly the devices whose name matches are reported, whatever their kind. */
  include?: RegExp | null;
  /** Devices whose name matches are never reported. */
  exclude?: RegExp | null;
}

/** node_exporter's default exclusion, minus its partition patterns (partitions are found by name below). */
const VIRTUAL = /^(ram|zram|loop|fd)\d+$/;

/**
 * The disk a partition belongs to, by the kernel's own naming rule
 * (block/partitions/core.c, add_partition): the disk's name, then "p" if that
 * name ends in a digit, then the partition number — sda1, nvme0n1p2,
 * mmcblk0p1, md0p1. Null for a whole device.
 */
export function partitionParent(name: string, names: ReadonlySet<string>): string | null {
  const m = /^(.*\D)\d+$/.exec(name);
  if (!m) return null;
  const prefix = m[1]!;
  if (prefix.endsWith('p')) {
    const disk = prefix.slice(0, -1);
    if (/\d$/.test(disk) && names.has(disk)) return disk;
  }
  return !/\d$/.test(prefix) && names.has(prefix) ? prefix : null;
}

function neverDidIo(d: DiskStats): boolean {
  return d.reads === 0 && d.writes === 0 && (d.discards ?? 0) === 0 && (d.flushes ?? 0) === 0;
}

export function deviceKind(d: DiskStats, names: ReadonlySet<string>): DeviceKind {
  if (partitionParent(d.name, names) !== null) return 'partition';
  if (VIRTUAL.test(d.name)) return 'virtual';
  if (neverDidIo(d)) return 'unused';
  return 'disk';
}

/**
 * The default set, or the include pattern's, minus the exclude pattern's.
 * Whatever the patterns say, a partition is never reported beside its own
 * disk, so summing any disk_* metric over devices counts each I/O once.
 */
export function selectDevices(all: readonly DiskStats[], filter: DeviceFilter = {}): DeviceSelection {
  const names = new Set(all.map((d) => d.name));
  const wanted = all.filter((d) => {
    if (filter.exclude?.test(d.name)) return false;
    return filter.include ? filter.include.test(d.name) : deviceKind(d, names) === 'disk';
  });
  const wantedNames = new Set(wanted.map((d) => d.name));
  const shadowedPartitions: string[] = [];
  const selected = wanted.filter((d) => {
    const parent = partitionParent(d.name, names);
    if (parent === null || !wantedNames.has(parent)) return true;
    shadowedPartitions.push(d.name);
    return false;
  });
  return { selected, shadowedPartitions };
}
