import { open, readFile } from 'node:fs/promises';
import path from 'node:path';

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
  try {
    return await readFile(path.join(root, relPath), 'utf8');
  } catch (err) {
    if (absentCode(err)) return null;
    throw err;
  }
}

/** A file's text and the monotonic instant (performance.now() ms) its contents were read. */
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
      monoMs ??= performance.now();
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
    }
    return { text: Buffer.concat(chunks).toString('utf8'), monoMs };
  } finally {
    await handle.close();
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
