import type { DecodedBatch } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import type { RemoteTargetConfig } from './http.js';
import { DiskQueue } from './queue.js';
import { RemoteTarget, type TargetStats } from './target.js';
import { errorMessage } from '../../shared/errors.js';

export type { RemoteTargetConfig } from './http.js';

export interface RemoteWriteOptions {
  /** The queue lives here (the server's data directory + /remote-write). */
  dir: string;
  targets: RemoteTargetConfig[];
  /** Queue bound by age; default 2 h. */
  maxAgeMs?: number;
  /** Queue bound by size; default 8 GiB. */
  maxBytes?: number;
  segmentBytes?: number;
  log: Logger;
}

export interface RemoteWriteStats {
  queueBytes: number;
  /** Why the queue cannot write to disk, until it can again. */
  queueFailure: string | null;
  queueSegments: number;
  targets: TargetStats[];
}

export const DEFAULT_QUEUE_MAX_AGE_MS = 2 * 3_600_000;
export const DEFAULT_QUEUE_MAX_BYTES = 8 * 1024 ** 3;

/**
 * Prometheus remote write out of the server: every stored sample goes into
 * one disk queue, and each target sends from it at its own pace.
 */
export class RemoteWrite {
  readonly queue: DiskQueue;
  readonly targets: RemoteTarget[];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: RemoteWriteOptions) {
    if (opts.targets.length === 0) throw new Error('remote write needs at least one target');
    this.queue = new DiskQueue({
      dir: opts.dir,
      maxAgeMs: opts.maxAgeMs ?? DEFAULT_QUEUE_MAX_AGE_MS,
      maxBytes: opts.maxBytes ?? DEFAULT_QUEUE_MAX_BYTES,
      segmentBytes: opts.segmentBytes,
      log: opts.log,
    });
    this.targets = opts.targets.map((t) => new RemoteTarget(this.queue, t, opts.dir, opts.log.child('remote-write')));
    this.timer = setInterval(() => this.maintain(), 1000);
    this.timer.unref();
  }

  /** Queues a stored batch of one host. */
  ingest(host: string, batch: DecodedBatch): void {
    this.queue.append(host, batch.ts, batch.series, batch.values);
  }

  /** Deletes what every target has sent and what is past the bound, and saves positions. */
  maintain(now = Date.now()): void {
    try {
      this.maintainOnce(now);
    } catch (err) {
      // Saving positions is retried next second; the samples themselves are safe in the segments.
      this.opts.log.error('remote-write maintenance failed', { error: errorMessage(err) });
    }
  }

  private maintainOnce(now: number): void {
    const neededFrom = Math.min(...this.targets.map((t) => t.neededFrom));
    const dropped = this.queue.trim(neededFrom, now);
    if (dropped.length) {
      const samples = dropped.reduce((n, s) => n + s.samples, 0);
      this.opts.log.warn('remote-write queue past its bound: oldest samples dropped', { samples });
      for (const t of this.targets) t.reader.segmentsDeleted(dropped);
    }
    this.queue.saveIndex();
    for (const t of this.targets) t.saveState();
  }

  stats(now = Date.now()): RemoteWriteStats {
    return {
      queueBytes: this.queue.totalBytes,
      queueFailure: this.queue.failure,
      queueSegments: this.queue.segments.length,
      targets: this.targets.map((t) => t.stats(now)),
    };
  }

  /** Sends what it can within `graceMs`, then keeps the rest on disk for the next start. */
  async close(graceMs = 5000): Promise<void> {
    clearInterval(this.timer);
    this.queue.flush();
    await Promise.all(this.targets.map((t) => t.close(graceMs)));
    this.queue.close();
  }
}
