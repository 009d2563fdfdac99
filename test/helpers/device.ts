import { readFileSync, statSync } from 'node:fs';
import { parseDiskstats } from '../../agent/procfs/diskstats.js';
import { partitionParent } from '../../agent/procfs/devices.js';

/**
 * The /proc/diskstats name of the block device holding `path` (from st_dev's
 * major:minor), or of its whole disk when that is a partition: the agent
 * reports disks, not partitions.
 */
export function deviceOf(path: string): string {
  const dev = statSync(path).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const all = parseDiskstats(readFileSync('/proc/diskstats', 'utf8'));
  const found = all.find((d) => d.major === major && d.minor === minor);
  if (!found) throw new Error(`no block device ${major}:${minor} for ${path} (not on a block device?)`);
  return partitionParent(found.name, new Set(all.map((d) => d.name))) ?? found.name;
}
