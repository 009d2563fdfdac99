import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared/log.js';

/**
 * A JSON state file written atomically (temp file, fsync, rename) that never
 * throws: a full or read-only disk is recorded as `failure` (for /healthz),
 * logged once per distinct error, and retried every `retryMs` until a write
 * succeeds again — the state stays in memory meanwhile, so nothing is lost
 * while the process lives.
 */
export class StateFile {
  /** Why the last write failed, until one succeeds again; null while healthy. */
  failure: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly file: string,
    private readonly snapshot: () => string,
    private readonly log: Logger,
    private readonly retryMs = 5000,
  ) {}

  /** Writes the current snapshot now; false (and a retry scheduled) if it could not be written. */
  save(): boolean {
    const tmp = `${this.file}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeDurably(tmp, this.snapshot());
      renameSync(tmp, this.file);
    } catch (err) {
      // A half-written temp file would hold on to the very space that ran out.
      rmSync(tmp, { force: true, maxRetries: 0 });
      this.failed(err as NodeJS.ErrnoException);
      return false;
    }
    if (this.failure !== null) this.log.info('state file written again', { file: this.file });
    this.failure = null;
    return true;
  }

  private failed(err: NodeJS.ErrnoException): void {
    const reason = `${err.code ?? 'error'}: cannot write ${this.file}: ${err.message}`;
    if (this.failure !== reason)
      this.log.error('writing the state file failed; keeping the state in memory and retrying', {
        file: this.file,
        error: err.message,
      });
    this.failure = reason;
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.save();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Stops retrying (the caller makes a last save() at shutdown if it wants one). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** Writes the whole text and fsyncs it, so a rename after it never exposes an empty file after a power loss. */
function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    const bytes = Buffer.from(text);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
