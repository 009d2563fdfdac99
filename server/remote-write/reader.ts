import { closeSync, openSync, readSync } from 'node:fs';
import { DATA_RECORD, readRecord } from './records.js';
import { segmentEnd, type DiskQueue, type SegmentInfo } from './queue.js';

/** A data record with its series' labels resolved, from sample number `firstSample` on. */
export interface ReadBatch {
  firstSample: number;
  writeMs: number;
  ts: number;
  labels: Buffer[];
  values: number[];
}

const CHUNK = 4 << 20;

/**
 * One target's way through the disk queue, from a sample number on. It reads
 * segment files from their start (a segment defines its series before use) and
 * skips records before the position; samples that were deleted before it got
 * to them (past the queue's bound) are counted in `dropped`.
 */
export class QueueReader {
  /** Number of the next sample to hand out. */
  position: number;
  dropped = 0;
  private seg: SegmentInfo | null = null;
  private buf = Buffer.alloc(0);
  private at = 0;
  private readBytes = 0;
  private table = new Map<number, Buffer>();
  /** The last segment left, so a reader never goes back into one. */
  private lastN = 0;

  constructor(
    private readonly queue: DiskQueue,
    from: number,
  ) {
    this.position = from;
  }

  /** The next batch of samples, or null when everything written so far has been read. */
  next(): ReadBatch | null {
    for (;;) {
      if (!this.seg && !this.enter()) return null;
      let r: ReturnType<typeof readRecord>;
      try {
        r = readRecord(this.buf, this.at);
      } catch {
        r = null; // a damaged segment: what follows the damage is counted as dropped when it is left
        this.readBytes = this.seg!.bytes;
      }
      if (!r) {
        if (this.refill()) continue;
        if (this.seg === this.queue.current) return null;
        this.leave();
        continue;
      }
      this.at = r.next;
      const rec = r.record;
      if (rec.type !== DATA_RECORD) {
        this.table.set(rec.id, rec.labels);
        continue;
      }
      const end = rec.firstSample + rec.ids.length;
      if (end <= this.position) continue;
      const skip = Math.max(0, this.position - rec.firstSample);
      this.position = end;
      const labels = rec.ids.slice(skip).map((id) => this.table.get(id)!);
      return {
        firstSample: rec.firstSample + skip,
        writeMs: rec.writeMs,
        ts: rec.ts,
        labels,
        values: rec.values.slice(skip),
      };
    }
  }

  /** The queue deleted these segments; a reader still short of their end counts the rest as dropped. */
  segmentsDeleted(segments: readonly SegmentInfo[]): void {
    for (const s of segments) {
      if (segmentEnd(s) <= this.position) continue;
      this.dropped += segmentEnd(s) - Math.max(this.position, s.firstSample);
      this.position = segmentEnd(s);
      if (this.seg?.n === s.n) this.leave();
    }
  }

  /** Opens the segment that holds the position (or the first after it). */
  private enter(): boolean {
    const seg =
      this.queue.segments.find((s) => s.n > this.lastN && segmentEnd(s) > this.position) ?? this.queue.current;
    if (seg.firstSample > this.position) {
      this.dropped += seg.firstSample - this.position;
      this.position = seg.firstSample;
    }
    this.seg = seg;
    this.buf = Buffer.alloc(0);
    this.at = 0;
    this.readBytes = 0;
    this.table = new Map();
    return true;
  }

  private leave(): void {
    if (this.seg) {
      this.lastN = this.seg.n;
      const end = segmentEnd(this.seg);
      if (end > this.position) {
        this.dropped += end - this.position;
        this.position = end;
      }
    }
    this.seg = null;
    this.buf = Buffer.alloc(0);
    this.at = 0;
    this.table = new Map();
  }

  /** Reads more of the current segment, if the queue has written more; false when there is nothing new. */
  private refill(): boolean {
    const seg = this.seg!;
    const want = Math.min(seg.bytes - this.readBytes, CHUNK);
    if (want <= 0) return false;
    const fresh = Buffer.allocUnsafe(want);
    let got: number;
    try {
      const fd = openSync(this.queue.pathOf(seg.n), 'r');
      try {
        got = readSync(fd, fresh, 0, want, this.readBytes);
      } finally {
        closeSync(fd);
      }
    } catch {
      return false; // deleted under us; segmentsDeleted() moves the reader on
    }
    if (got === 0) return false;
    this.readBytes += got;
    this.buf = Buffer.concat([this.buf.subarray(this.at), fresh.subarray(0, got)]);
    this.at = 0;
    return true;
  }
}
