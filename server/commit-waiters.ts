import type { Hello } from '../shared/protocol.js';

/** A session told that the commit it waited on is on disk: the highest sequence it made durable, and its session's hello. */
export interface DurableWaiter {
  durableReached(commit: CommitWaiters, seq: number, hello: Hello | null): void;
}

/**
 * The sessions waiting on one commit's durability promise, and for each the
 * highest sequence that commit makes durable and the hello (session) it
 * belongs to: one `then` per commit for the whole fleet, not a promise, a
 * closure and a record per session per commit (the garbage of every batch,
 * since a fleet's batches mostly land one per session per commit).
 */
export class CommitWaiters {
  private readonly waiters: DurableWaiter[] = [];
  private readonly seqs: number[] = [];
  private readonly hellos: (Hello | null)[] = [];

  constructor(readonly on: Promise<void>) {
    void on.then(this.reached);
  }

  /** Adds a waiter; its place, for `raise`. */
  add(waiter: DurableWaiter, seq: number, hello: Hello | null): number {
    this.seqs.push(seq);
    this.hellos.push(hello);
    return this.waiters.push(waiter) - 1;
  }

  /** A later batch of the same commit: the waiter at `place` is told the higher sequence. */
  raise(place: number, seq: number): void {
    if (seq > this.seqs[place]!) this.seqs[place] = seq;
  }

  /** Each waiter in the order it came, with its own sequence and hello: what its own `then` was told before. */
  private readonly reached = (): void => {
    for (let i = 0; i < this.waiters.length; i++) this.waiters[i]!.durableReached(this, this.seqs[i]!, this.hellos[i]!);
  };
}

/** The endpoint's newest commit's waiters: every session that waits on the same promise joins the same list. */
export class DurableWaits {
  private newest: CommitWaiters | null = null;

  for(on: Promise<void>): CommitWaiters {
    if (this.newest?.on !== on) this.newest = new CommitWaiters(on);
    return this.newest;
  }
}
