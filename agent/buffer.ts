/**
 * Batches the server has not acknowledged yet, oldest first, bounded: when an
 * outage outlasts the bound, the oldest batches are dropped (and counted),
 * never the newest. Acks remove everything up to the acknowledged sequence.
 */
export class UnackedBuffer {
  /** Slots before `head` are dead and emptied at once, so an acknowledged frame is garbage right away, not at the next compaction. */
  private items: ({ seq: number; frame: string | Buffer } | undefined)[] = [];
  private head = 0;
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('buffer capacity must be at least 1');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Keeps an encoded batch frame (protocol 2: JSON text; 3: binary) until its sequence number is acknowledged. */
  push(seq: number, frame: string | Buffer): void {
    this.items.push({ seq, frame });
    while (this.size > this.capacity) {
      this.items[this.head++] = undefined;
      this.dropped++;
    }
    this.compact();
  }

  /** Drops every batch with seq <= `seq`. */
  ack(seq: number): void {
    while (this.head < this.items.length && this.items[this.head]!.seq <= seq) this.items[this.head++] = undefined;
    this.compact();
  }

  /** Batches with seq > `afterSeq`, oldest first. */
  *after(afterSeq: number): Generator<{ seq: number; frame: string | Buffer }> {
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.seq > afterSeq) yield item;
    }
  }

  private compact(): void {
    // Amortised O(1): shift the array only once the dead prefix (empty slots) is large.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
