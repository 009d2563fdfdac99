import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/log.js';
import { HistoryWriter, type CommitBatch, type Retention, type WriterOptions } from './history-writer.js';
import { errorMessage } from '../../shared/errors.js';
import { AgentSeqs } from './agent-seqs.js';

/** Where the parts of a commit come from, besides agents' sequence numbers (kept here). */
export interface CommitSource {
  /** Called at every flush before anything is taken (the store seals the heads that are due). */
  prepare(): void;
  hasPending(): boolean;
  /** Everything waiting, taken for one commit. */
  take(): Omit<CommitBatch, 'seq' | 'seqs'>;
}

export interface CommitPipelineOptions {
  file: string;
  retention: Retention;
  /** 'worker': commits run in a worker thread; 'inline': on this thread, on the store's own connection. */
  writer: 'worker' | 'inline';
  /** Pending work is committed at least this often. */
  commitIntervalMs: number;
  log: Logger;
  /** The inline writer's checkpoint interval and checkpoint (tests put in one that fails). */
  inlineCheckpoints?: Pick<WriterOptions, 'checkpointMs' | 'checkpoint'>;
}

/** The commit being written: kept until it is on disk, for retries, readers (its chunks) and acks. */
interface InFlight {
  batch: CommitBatch;
  seqs: AgentSeqs;
  durable: Durable | null;
}

/** One promise for everyone waiting on a commit (acks wait per commit, not per batch). */
interface Durable {
  promise: Promise<void>;
  resolve: () => void;
}

function durable(): Durable {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The SQLite store's commit pipeline and its writer's supervision. One
 * commit is in flight at a time, so commits land in order; what arrives
 * meanwhile goes with the next. A failed commit keeps everything and is sent
 * again; a writer thread that dies is replaced, and the commit in flight goes
 * to the next one. Agents' sequence numbers are committed in the same
 * transaction as their batches' log rows.
 */
export class CommitPipeline {
  private inFlight: InFlight | null = null;
  private commitSeq: number;
  private pendingSeq = new AgentSeqs();
  /** The wait for the commit that will take what is pending (made on the first whenDurable()). */
  private nextDurable: Durable | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private inline: HistoryWriter | null = null;
  private worker: Worker | null = null;
  private closing = false;
  private readonly lastCommit: Database.Statement;
  private readonly getSeq: Database.Statement;
  /** Samples committed to disk since start. */
  samplesWritten = 0;
  /** The last commit error, until a commit succeeds again (for /healthz). */
  failure: string | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly source: CommitSource,
    private readonly o: CommitPipelineOptions,
  ) {
    this.lastCommit = db.prepare("SELECT value FROM meta WHERE key = 'commit'");
    this.getSeq = db.prepare('SELECT last_seq FROM agent_seq WHERE agent_id = ? AND session = ?');
    this.commitSeq = this.committedSeq();
    if (o.writer === 'inline') this.inline = this.inlineWriter();
    else this.startWorker();
  }

  /** The number of the last commit in the database (as this connection's current snapshot sees it). */
  committedSeq(): number {
    return (this.lastCommit.get() as { value: number } | undefined)?.value ?? 0;
  }

  /** The commit in flight, if a reader whose snapshot holds commit `committed` cannot see it yet. */
  unseenInFlight(committed: number): CommitBatch | null {
    return this.inFlight && this.inFlight.batch.seq > committed ? this.inFlight.batch : null;
  }

  lastSeq(agentId: string, session: string): number {
    const pending = this.pendingSeq.get(agentId, session) ?? this.inFlight?.seqs.get(agentId, session);
    if (pending !== undefined) return pending;
    return this.durableSeq(agentId, session);
  }

  /** The session's sequence as committed: the database's row, whatever is pending or in flight. */
  durableSeq(agentId: string, session: string): number {
    return (this.getSeq.get(agentId, session) as { last_seq: number } | undefined)?.last_seq ?? 0;
  }

  setLastSeq(agentId: string, session: string, seq: number): void {
    this.pendingSeq.set(agentId, session, seq);
    this.schedule();
  }

  private get pendingWork(): boolean {
    return this.pendingSeq.size > 0 || this.source.hasPending();
  }

  /** A commit soon: within the commit interval, or after `delayMs`. */
  schedule(delayMs = this.o.commitIntervalMs): void {
    if (this.commitTimer) return;
    // Not unref'd: a process must not exit with appended samples uncommitted (or a whenDurable() unresolved).
    this.commitTimer = setTimeout(() => this.flush(), delayMs);
  }

  /** Resolves once everything appended so far is on disk: every caller until the next flush gets the same promise. */
  whenDurable(): Promise<void> {
    // Pending work goes with the next commit; otherwise the one in flight is the last that matters.
    if (this.pendingWork) return (this.nextDurable ??= durable()).promise;
    if (this.inFlight) return (this.inFlight.durable ??= durable()).promise;
    return Promise.resolve();
  }

  /**
   * Sends what is pending (log rows, sealed chunks, new series, sequence
   * numbers) as one commit, unless one is in flight. With the inline writer
   * the commit is on disk when this returns.
   */
  flush(): void {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    this.source.prepare();
    if (this.inFlight || !this.pendingWork) return;
    const batch: CommitBatch = {
      ...this.source.take(),
      seq: ++this.commitSeq,
      seqs: this.pendingSeq.rows(),
    };
    this.inFlight = { batch, seqs: this.pendingSeq, durable: this.nextDurable };
    this.pendingSeq = new AgentSeqs();
    this.nextDurable = null;
    this.send(batch);
  }

  /** Pruning runs where commits run: in the writer thread (which reports its own failures), or here. */
  prune(now: number): void {
    if (this.worker) this.worker.postMessage({ type: 'prune', now });
    else this.inline?.prune(now);
  }

  /** Commits everything pending (one commit at a time; a failure ends the wait) and stops the writer. */
  async close(): Promise<void> {
    while (this.pendingWork || this.inFlight) {
      this.flush();
      const done = this.whenDurable();
      if (this.failure) break;
      await done;
    }
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.commitTimer) clearTimeout(this.commitTimer);
    const worker = this.worker;
    if (worker) {
      const closed = new Promise<void>((resolve) =>
        worker.on('message', (m: { type: string }) => m.type === 'closed' && resolve()),
      );
      worker.postMessage({ type: 'close' });
      await closed;
      await worker.terminate();
    }
  }

  private inlineWriter(): HistoryWriter {
    return new HistoryWriter(this.db, this.o.retention, {
      ...this.o.inlineCheckpoints,
      onCheckpointFailed: (err) => this.checkpointFailed(errorMessage(err)),
    });
  }

  /** The commits stand (SQLite's write-ahead file holds them); it grows until a checkpoint succeeds again. */
  private checkpointFailed(error: string): void {
    this.o.log.error('checkpointing history failed; commits stand, the next checkpoint tries again', { error });
  }

  private startWorker(): void {
    const worker = new Worker(new URL('./history-writer-worker.js', import.meta.url), {
      workerData: { file: this.o.file, retention: this.o.retention },
    });
    let ready = false;
    this.worker = worker;
    worker.on('message', (m: { type: string; seq?: number; error?: string }) => {
      if (m.type === 'ready') ready = true;
      else if (m.type === 'committed') this.committed(m.seq!);
      else if (m.type === 'failed') this.failed(m.error!);
      else if (m.type === 'prune-failed') this.o.log.error('pruning history failed', { error: m.error });
      else if (m.type === 'checkpoint-failed') this.checkpointFailed(m.error!);
    });
    worker.on('error', (err) => this.o.log.error('history writer thread failed', { error: err.message }));
    worker.on('exit', (code) => {
      if (this.closing) return;
      this.worker = null;
      // A writer that dies takes no data with it: the commit in flight is still here and goes to the next writer.
      // One that cannot even start (no worker threads here) leaves the writing to this thread.
      if (ready) {
        this.o.log.error('history writer thread stopped; starting another', { code });
        this.startWorker();
      } else {
        this.o.log.warn('history writer thread could not start; writing on the main thread', { code });
        this.inline = this.inlineWriter();
      }
      if (this.inFlight) this.send(this.inFlight.batch);
    });
  }

  private send(batch: CommitBatch): void {
    if (this.worker) {
      this.worker.postMessage({ type: 'commit', batch });
      return;
    }
    try {
      this.inline!.commit(batch);
    } catch (err) {
      this.failed(errorMessage(err));
      return;
    }
    this.committed(batch.seq);
  }

  private committed(seq: number): void {
    const f = this.inFlight;
    if (!f || f.batch.seq !== seq) return;
    this.inFlight = null;
    this.failure = null;
    this.samplesWritten += f.batch.samples;
    f.durable?.resolve();
    if (this.pendingWork) this.schedule();
  }

  /** A failed commit keeps everything (nothing is acknowledged meanwhile) and is sent again a second later. */
  private failed(error: string): void {
    if (this.failure !== error)
      this.o.log.error('writing history failed; retrying, and not acknowledging agents meanwhile', { error });
    this.failure = error;
    if (this.retryTimer || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.inFlight) this.send(this.inFlight.batch);
    }, 1000);
  }
}
