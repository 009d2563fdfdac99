import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './process.js';

const mounted: string[] = [];
process.on('exit', () => {
  for (const dir of mounted.splice(0)) {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already gone
    }
  }
});

/** A real, small tmpfs (the tests run as root): a data directory that can really fill up or go read-only. */
export function smallTmpfs(sizeBytes: number): string {
  const dir = tempDir('tidemark-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** Remounts a tmpfs from smallTmpfs() read-only (true) or writable again (false). */
export function setReadOnly(dir: string, readOnly: boolean): void {
  execFileSync('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, dir]);
}

/** Fills the file system under `dir` with one file until the kernel says ENOSPC; returns the file (rm it to free the space). */
export function fillUp(dir: string): { file: string; bytes: number } {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    // Large blocks first, then smaller ones for the last few bytes: full means full.
    for (const size of [1 << 20, 1 << 12, 1]) {
      const block = Buffer.alloc(size, 0x5a);
      try {
        for (;;) bytes += writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { file, bytes };
}

export function free(file: string): void {
  rmSync(file, { force: true });
}
