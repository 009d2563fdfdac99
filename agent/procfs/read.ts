import { readFile } from 'node:fs/promises';
import path from 'node:path';

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
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
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
