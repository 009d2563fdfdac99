import { readFileSync, statSync } from 'node:fs';
import { parseDiskstats } from '../../agent/procfs/diskstats.js';

/** The /proc/diskstats name of the block device holding `path` (from st_dev's major:minor). */
export function deviceOf(path: string): string {
  const dev = statSync(path).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const found = parseDiskstats(readFileSync('/proc/diskstats', 'utf8')).find(
    (d) => d.major === major && d.minor === minor,
  );
  if (!found) throw new Error(`no block device ${major}:${minor} for ${path} (not on a block device?)`);
  return found.name;
}
