import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Batch } from '../shared/protocol.js';
import type { Logger } from '../shared/log.js';

interface Segment {
  file: string;
  /** Highest seq in it (this process's sequence numbers). */
  maxSeq: number;
  bytes: number;
  batches: number;
}

/** Batches per segment file: a segment is deleted once all of it is acknowledged. */
const SEGMENT_BATCHES = 100;
/** Appends are fsynced together at most this often (a power cut loses at most this much of the spool). */
const SYNC_EVERY_MS = 1000;

/**
 * The agent's unacknowledged batches on disk, so a killed agent or a rebooted
 * host replays them: one JSON line per batch in segment files, fsynced in
 * batches, bounded in bytes (the oldest segment goes first, counted). A spool
 * that cannot be written (full, read-only) is given up with a warning; the
 * in-memory buffer carries on alone.
 */
export class Spool {
  private readonly segments: Segment[] = [];
  private fd: number | null = null;
  private totalBytes = 0;
  private syncTimer: NodeJS.Timeout | null = null;
  private recoveredFiles: string[] = [];
  private counter = 0;
  /** Why the spool was given up, or null while it works. */
  failure: string | null = null;
  /** Batches dropped from the spool by its byte bound. */
  dropped = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly log: Logger,
  ) {
    try {
      mkdirSync(dir, { recursive: true });
      this.lock();
    } catch (err) {
      this.disable(err as Error);
    }
  }

  /** One agent per spool: a second one on the same directory would replay (and delete) the first one's batches. */
  private lock(): void {
    const file = path.join(this.dir, 'lock');
    let holder = 0;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      // no lock yet
    }
    if (holder && holder !== process.pid && alive(holder))
      throw new Error(`in use by process ${holder} (give each agent its own --spool-dir)`);
    const fd = openSync(file, 'w', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
  }

  /**
   * What a previous process left unacknowledged, oldest first (a torn last
   * line is skipped). The caller sends them again under new sequence numbers
   * (the server drops samples it already has), then calls forgetRecovered().
   */
  recover(): Batch[] {
    if (this.failure) return [];
    const out: Batch[] = [];
    let files: string[];
    try {
      files = readdirSync(this.dir)
        .filter((f) => f.endsWith('.jsonl'))
        .sort();
    } catch (err) {
      this.disable(err as Error);
      return [];
    }
    for (const f of files) {
      const file = path.join(this.dir, f);
      this.recoveredFiles.push(file);
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          out.push(JSON.parse(line) as Batch);
        } catch {
          // the line being written when the agent died
        }
      }
    }
    return out;
  }

  /** Removes the previous process's files once their batches are spooled again. */
  forgetRecovered(): void {
    if (this.failure) return; // they were not spooled again: keep them for the next start
    this.sync();
    for (const f of this.recoveredFiles) rmSync(f, { force: true });
    this.recoveredFiles = [];
  }

  append(batch: Batch): void {
    if (this.failure) return;
    try {
      const current = this.segments.at(-1);
      if (this.fd === null || !current || current.batches >= SEGMENT_BATCHES) this.rotate();
      const line = Buffer.from(JSON.stringify(batch) + '\n');
      let off = 0;
      while (off < line.length) off += writeSync(this.fd!, line, off);
      const seg = this.segments.at(-1)!;
      seg.maxSeq = batch.seq;
      seg.bytes += line.length;
      seg.batches++;
      this.totalBytes += line.length;
      while (this.totalBytes > this.maxBytes && this.segments.length > 1) this.remove(this.segments[0]!, true);
      this.syncTimer ??= setTimeout(() => this.sync(), SYNC_EVERY_MS);
    } catch (err) {
      this.disable(err as Error);
    }
  }

  /** Deletes every segment whose batches are all acknowledged. */
  ack(seq: number): void {
    while (this.segments.length && this.segments[0]!.maxSeq <= seq) this.remove(this.segments[0]!, false);
  }

  close(): void {
    this.sync();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (!this.failure) rmSync(path.join(this.dir, 'lock'), { force: true });
  }

  private rotate(): void {
    this.sync();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(this.counter++).padStart(6, '0')}.jsonl`;
    const file = path.join(this.dir, name);
    this.fd = openSync(file, 'a', 0o600);
    this.segments.push({ file, maxSeq: 0, bytes: 0, batches: 0 });
  }

  private remove(seg: Segment, bound: boolean): void {
    if (seg === this.segments.at(-1) && this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    this.segments.shift();
    this.totalBytes -= seg.bytes;
    if (bound) this.dropped += seg.batches;
    try {
      rmSync(seg.file, { force: true });
    } catch (err) {
      this.disable(err as Error);
    }
  }

  private sync(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    if (this.fd === null || this.failure) return;
    try {
      fsyncSync(this.fd);
    } catch (err) {
      this.disable(err as Error);
    }
  }

  private disable(err: Error): void {
    if (this.failure) return;
    this.failure = err.message;
    this.log.warn('the spool directory cannot be written; unacknowledged batches are kept in memory only', {
      dir: this.dir,
      error: err.message,
    });
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.fd !== null)
      try {
        closeSync(this.fd);
      } catch {
        // already failing
      }
    this.fd = null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
