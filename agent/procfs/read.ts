import { closeSync, openSync, readSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { monoNowMs } from '../mono-clock.js';

function absentCode(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Reads a file below the configured root (`--root`, default `/`), the way
 * node_exporter's `--path.procfs` works, so tests can point the agent at a
 * fixture tree. Returns null when the file does not exist: a source that is
 * absent is a state to report, not a failure.
 */
export async function readUnderRoot(root: string, relPath: string): Promise<string | null> {
  const file = path.join(root, relPath);
  if (KERNEL_FILE.test(file)) return readKernelFile(file)?.text ?? null;
  try {
    return await readFile(path.join(root, relPath), 'utf8');
  } catch (err) {
    if (absentCode(err)) return null;
    throw err;
  }
}

/** A file's text and the monotonic instant (monoNowMs(), ms) its contents were read. */
export interface StampedText {
  text: string;
  monoMs: number;
}

const CHUNK = 64 * 1024;

/**
 * Like readUnderRoot, but also says when the contents were taken: the
 * monotonic clock read as soon as the first read(2) returns, which is when
 * procfs generates the text (a seq_file fills its buffer on the first read) and
 * when a slow source (a FIFO, a network mount under --root) delivers it. Rates
 * divide counter increases by the time between two such stamps, as iostat does
 * with the uptime it reads beside /proc/diskstats; a tick's start time would be
 * off by however long the read waited behind other work.
 */
export async function readStampedUnderRoot(root: string, relPath: string): Promise<StampedText | null> {
  const file = path.join(root, relPath);
  if (KERNEL_FILE.test(file)) return readKernelFile(file);
  let handle;
  try {
    handle = await open(path.join(root, relPath), 'r');
  } catch (err) {
    if (absentCode(err)) return null;
    throw err;
  }
  try {
    const chunks: Buffer[] = [];
    let monoMs: number | null = null;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      monoMs ??= monoNowMs();
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
    }
    return { text: Buffer.concat(chunks).toString('utf8'), monoMs };
  } finally {
    await handle.close();
  }
}

/** Files the kernel generates on each read (procfs, sysfs on the real root): no disk behind them. */
const KERNEL_FILE = /^\/(proc|sys)\//;
/** Held descriptors: a tick re-reads a handful of the same files; at most this many are kept. */
const MAX_HELD = 64;
const held = new Map<string, number>();
let scratch = Buffer.allocUnsafe(CHUNK);

function holdOpen(file: string): number | null {
  let fd = held.get(file);
  if (fd !== undefined) return fd;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if (absentCode(err)) return null;
    throw err;
  }
  if (held.size >= MAX_HELD) {
    const [oldFile, oldFd] = held.entries().next().value!;
    held.delete(oldFile);
    closeSync(oldFd);
  }
  held.set(file, fd);
  return fd;
}

function readAll(fd: number): StampedText {
  let length = 0;
  let monoMs: number | null = null;
  for (;;) {
    if (length === scratch.length) {
      const bigger = Buffer.allocUnsafe(scratch.length * 2);
      scratch.copy(bigger, 0, 0, length);
      scratch = bigger;
    }
    const n = readSync(fd, scratch, length, scratch.length - length, length);
    monoMs ??= monoNowMs();
    if (n === 0) break;
    length += n;
  }
  return { text: scratch.toString('utf8', 0, length), monoMs };
}

/**
 * A procfs or sysfs file of the real root, read with pread(2) from offset 0
 * on a descriptor held across ticks (seq_file regenerates the text on a read
 * at offset 0): one system call, no thread-pool round trip and no promise per
 * file. Synchronous on purpose: these files are generated in memory, a few KB,
 * and never wait on a disk; nothing here walks a directory. A descriptor that
 * fails (a device that went away) is closed and the file opened again once.
 */
function readKernelFile(file: string): StampedText | null {
  for (let attempt = 0; ; attempt++) {
    const fd = holdOpen(file);
    if (fd === null) return null;
    try {
      return readAll(fd);
    } catch (err) {
      held.delete(file);
      closeSync(fd);
      if (attempt > 0) {
        if (absentCode(err) || (err as NodeJS.ErrnoException).code === 'ENODEV') return null;
        throw err;
      }
    }
  }
}

/** Thrown by parsers on text they cannot make sense of; the message names the line. */
export class ParseError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'ParseError';
  }
}
