import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared/log.js';
import { RemotePoster, type RemoteTargetConfig } from './http.js';
import type { DiskQueue } from './queue.js';
import { QueueReader } from './reader.js';
import { Shard, type SendCounters } from './shard.js';
import { errorMessage } from '../../shared/errors.js';

export interface TargetStats {
  name: string;
  /** Samples queued for this target and not yet taken by it. */
  pending: number;
  sent: number;
  /** Samples the remote refused for good (4xx). */
  failed: number;
  /** Samples deleted from the queue (past its bound) before they could be sent. */
  dropped: number;
  retries: number;
  /** Age of the oldest sample not yet sent, in seconds (0 when none waits). */
  lagSeconds: number;
  lastError: string | null;
}

interface SavedState {
  url: string;
  /** Per shard, the highest sample number done with. */
  ackedThrough: number[];
}

/** A URL as shown in logs and metrics: no credentials, no query. */
function displayUrl(raw: string): string {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** FNV-1a over a series' encoded labels: which shard a series goes through, the same after a restart. */
function shardOf(labels: Buffer, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < labels.length; i++) h = Math.imul(h ^ labels[i]!, 0x01000193);
  return (h >>> 0) % shards;
}

/**
 * One remote-write endpoint: reads the disk queue from where it left off,
 * spreads samples over its shards by series, and keeps per shard how far the
 * remote has taken them in a small state file, so a restart resends nothing
 * that arrived and skips nothing that did not.
 */
export class RemoteTarget {
  readonly name: string;
  readonly reader: QueueReader;
  private readonly shards: Shard[];
  private readonly poster: RemotePoster;
  private readonly counters: SendCounters = { sent: 0, failed: 0, retries: 0, lastError: null };
  private readonly stateFile: string;
  private readonly capacity: number;
  private readonly ticker: NodeJS.Timeout;
  private readonly shardCache = new WeakMap<Buffer, Shard>();
  private pumping = false;
  private closed = false;

  constructor(
    private readonly queue: DiskQueue,
    private readonly cfg: RemoteTargetConfig,
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.name = cfg.name ?? displayUrl(cfg.url);
    const id = createHash('sha256').update(cfg.url).digest('hex').slice(0, 12);
    this.stateFile = path.join(stateDir, `target-${id}.json`);
    const count = cfg.shards ?? 4;
    const acked = this.loadState(count);
    const settings = {
      maxSamplesPerSend: cfg.maxSamplesPerSend ?? 2000,
      batchDeadlineMs: cfg.batchDeadlineMs ?? 1000,
      minBackoffMs: cfg.minBackoffMs ?? 30,
      maxBackoffMs: cfg.maxBackoffMs ?? 5000,
    };
    this.capacity = count * settings.maxSamplesPerSend * 2;
    this.poster = new RemotePoster(cfg);
    this.shards = acked.map((a) => new Shard(this.poster, settings, this.counters, log, () => this.pump(), a));
    this.reader = new QueueReader(queue, Math.min(...acked) + 1);
    queue.onFlush(() => this.pump());
    this.ticker = setInterval(() => this.pump(), Math.min(250, settings.batchDeadlineMs));
    this.ticker.unref();
  }

  private loadState(count: number): number[] {
    const fresh = Array<number>(count).fill(this.queue.nextSample - 1);
    if (!existsSync(this.stateFile)) return fresh;
    try {
      const saved = JSON.parse(readFileSync(this.stateFile, 'utf8')) as SavedState;
      if (Math.max(...saved.ackedThrough) > this.queue.nextSample - 1) {
        // Positions beyond the queue's end: the queue was removed and began again, so its numbers start over.
        this.log.warn('remote write: saved position is past the queue; starting from new samples', {
          target: this.name,
        });
        return fresh;
      }
      if (saved.ackedThrough.length === count) return saved.ackedThrough;
      // Series map to other shards now: resume every shard from the one furthest behind (some samples go twice).
      this.log.warn('remote write: shard count changed; resending from the oldest position', { target: this.name });
      return Array<number>(count).fill(Math.min(...saved.ackedThrough));
    } catch (err) {
      this.log.warn('remote write state unreadable; starting from new samples', {
        target: this.name,
        error: errorMessage(err),
      });
      return fresh;
    }
  }

  /** The lowest sample number this target may still need after a restart. */
  get neededFrom(): number {
    return Math.min(...this.shards.map((s) => s.ackedThrough)) + 1;
  }

  /** Moves samples from the queue into the shards while they have room, and starts requests. */
  pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      let queued = this.shards.reduce((n, s) => n + s.queued, 0);
      while (queued < this.capacity) {
        const batch = this.reader.next();
        if (!batch) break;
        for (let j = 0; j < batch.labels.length; j++) {
          const labels = batch.labels[j]!;
          let shard = this.shardCache.get(labels);
          if (!shard) this.shardCache.set(labels, (shard = this.shards[shardOf(labels, this.shards.length)]!));
          const no = batch.firstSample + j;
          if (no <= shard.ackedThrough) continue; // sent before a restart
          shard.push(labels, batch.ts, batch.values[j]!, no, batch.writeMs);
          queued++;
        }
      }
      const now = Date.now();
      for (const s of this.shards) {
        // A shard with nothing left has done everything read so far.
        if (s.idle) s.ackedThrough = Math.max(s.ackedThrough, this.reader.position - 1);
        s.tick(now);
      }
    } finally {
      this.pumping = false;
    }
  }

  saveState(): void {
    const state: SavedState = { url: displayUrl(this.cfg.url), ackedThrough: this.shards.map((s) => s.ackedThrough) };
    writeFileSync(`${this.stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${this.stateFile}.tmp`, this.stateFile);
  }

  stats(now = Date.now()): TargetStats {
    const inShards = this.shards.reduce((n, s) => n + s.queued, 0);
    const oldest = Math.min(...this.shards.map((s) => s.oldestWriteMs ?? Infinity));
    return {
      name: this.name,
      pending: this.queue.nextSample - this.reader.position + inShards,
      sent: this.counters.sent,
      failed: this.counters.failed,
      dropped: this.reader.dropped,
      retries: this.counters.retries,
      lagSeconds: Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0,
      lastError: this.counters.lastError,
    };
  }

  /** Lets requests in flight finish for up to `graceMs`, then stops; what was not acknowledged is sent after a restart. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.ticker);
    const deadline = Date.now() + graceMs;
    this.pump();
    this.closed = true;
    // Only while the remote answers: during an outage the queue keeps the rest for the next start.
    while (Date.now() < deadline && this.shards.some((s) => s.queued > 0) && !this.shards.some((s) => s.failing)) {
      for (const s of this.shards) s.tick(Date.now(), true);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of this.shards) s.stop();
    this.poster.abort();
    await new Promise((r) => setImmediate(r));
    this.saveState();
  }
}
