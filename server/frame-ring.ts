/**
 * Copies of frames that wait in the ingest queue, in one ring of bytes.
 *
 * A frame read into the shared read buffer (socket-reads.ts) must be copied
 * before it waits for a later slice, and a copy per frame would be the very
 * allocation that buffer avoids. The queue hands frames out in the order it
 * took them, so their copies can live in one ring: `keep` copies a frame in
 * after the newest, `done` frees the oldest. When the ring has no room (a
 * backlog of more than its size), the frame gets a buffer of its own, as
 * before.
 */
export const FRAME_RING_BYTES = 16 * 1024 * 1024;

export class FrameRing {
  private ring: Buffer | null = null;
  /** First byte in use (of the oldest copy still held) and first free byte after the newest. */
  private head = 0;
  private tail = 0;
  /** Copies held, oldest first, by their end offset; -1 for a frame that got a buffer of its own. */
  private readonly ends: number[] = [];
  private first = 0;
  /** Copies held in the ring itself. */
  private inRing = 0;
  /** Frames copied into the ring and frames given a buffer of their own, since start (tests, /healthz). */
  readonly counts = { ring: 0, own: 0 };

  constructor(private readonly size = FRAME_RING_BYTES) {}

  /** Copies held. */
  get held(): number {
    return this.ends.length - this.first;
  }

  /** A copy of `frame` that stays valid until its `done`; copies are released in the order they were made. */
  keep(frame: Uint8Array): Buffer {
    const n = frame.length;
    // Nothing in the ring: the next copy starts it afresh.
    if (this.inRing === 0) this.head = this.tail = 0;
    const at = this.place(n);
    if (at < 0) {
      const own = Buffer.from(frame);
      this.counts.own++;
      this.ends.push(-1);
      return own;
    }
    this.ring ??= Buffer.allocUnsafeSlow(this.size);
    this.ring.set(frame, at);
    this.tail = at + n;
    this.ends.push(this.tail);
    this.inRing++;
    this.counts.ring++;
    return this.ring.subarray(at, at + n);
  }

  /** Releases the oldest copy `keep` made. */
  done(): void {
    const end = this.ends[this.first++];
    if (end === undefined) throw new Error('FrameRing.done without a copy held');
    if (end >= 0) {
      this.head = end;
      this.inRing--;
    }
    if (this.held === 0) {
      this.ends.length = 0;
      this.first = 0;
      this.head = this.tail = 0;
    } else if (this.first > 4096) {
      this.ends.splice(0, this.first);
      this.first = 0;
    }
  }

  /**
   * Where `n` bytes fit after the newest copy, wrapping to the start, or -1.
   * The copies in the ring lie from `head` (or later: a released copy's end
   * may lie before the next one's wrapped start) up to `tail`.
   */
  private place(n: number): number {
    if (n > this.size) return -1;
    if (this.inRing === 0) return 0;
    if (this.tail >= this.head) {
      if (this.size - this.tail >= n) return this.tail;
      // Wrap: the bytes before the oldest copy; strictly fewer, so a full ring never looks empty.
      return n < this.head ? 0 : -1;
    }
    return this.head - this.tail > n ? this.tail : -1;
  }
}
