import { lstatSync, statSync, statfsSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { MountEntry } from './mounts.js';

/*
 * File-system facts both configuration checks (logrotate's and mongod.conf's)
 * judge paths by: whether a path or its parents exist, and how full the file
 * system holding it is.
 */

/** What a path check needs to know of the host's file systems. */
export interface PathEnv {
  mounted: MountEntry[] | null;
  fstab: MountEntry[] | null;
  /** Free and total bytes of the filesystem holding a path, null if unknown. */
  space(p: string): { free: number; total: number } | null;
}

/** Disk usage above which a target's filesystem counts as nearly full. */
export const NEARLY_FULL_PERCENT = 95;

/** lstat(2), or null when the path does not exist (or cannot be reached). */
export function lstat(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** stat(2), or null when the path does not exist (or cannot be reached). */
export function stat(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** The deepest ancestor of `p` that is missing, e.g. /data/mongo for /data/mongo/log/mongod.log when /data exists. */
export function firstMissingAncestor(p: string): string | null {
  let missing: string | null = null;
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    if (stat(dir)) break;
    missing = dir;
    if (dir === path.dirname(dir)) break;
  }
  return missing;
}

/** statfs(2) of the nearest existing directory at or above `p`. */
export function defaultSpace(p: string): { free: number; total: number } | null {
  let dir = p;
  for (;;) {
    try {
      const s = statfsSync(dir);
      return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
}
