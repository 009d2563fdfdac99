import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { seriesKey, type SeriesRef } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import { encodeLabels, remoteLabels } from './encode.js';
import { CorruptRecord, DATA_RECORD, dataRecord, readRecord, seriesRecord } from './records.js';
import { errorMessage } from '../../shared/errors.js';

/** One segment file: which sample numbers it holds and when it was written. */
export interface SegmentInfo {
  n: number;
  firstSample: number;
  samples: number;
  /** Bytes on disk (readers read no further). */
  bytes: number;
  firstWriteMs: number;
  lastWriteMs: number;
}

export const segmentEnd = (s: SegmentInfo) => s.firstSample + s.samples;

export interface DiskQueueOptions {
  dir: string;
  /** Segments older than this (by their newest record's write time) are dropped, sent or not. */
  maxAgeMs: number;
  /** The queue's files together stay under this; the oldest segments go first. */
  maxBytes: number;
  segmentBytes?: number;
  /** How long appended samples may sit in memory before they are written. */
  flushMs?: number;
  log: Logger;
}

interface QueuedSeries {
  id: number;
  labels: Buffer;
  lastTs: number;
  /** The segment that last defined it; a segment must define a series before using it. */
  definedIn: number;
}

const INDEX = 'index.json';
const segName = (n: number) => `${String(n).padStart(10, '0')}.seg`;

/**
 * The remote-write queue on disk: every sample the server stores is appended
 * here once, in segments of a few MiB; each remote target reads it at its own
 * pace (QueueReader) and a segment is deleted once every target is past it, or
 * when it falls outside the bound (age or size), which the targets count as
 * dropped. A restart keeps the segments and numbers new samples on from the
 * last one queued.
 */
export class DiskQueue {
  readonly segments: SegmentInfo[] = [];
  nextSample = 0;
  /** Why the last write failed, until one succeeds. */
  failure: string | null = null;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly series = new Map<string, QueuedSeries>();
  /** Per host, its series by reference: sessions share one reference per series shape across hosts, so never by reference alone. */
  private readonly byRef = new Map<string, WeakMap<SeriesRef, QueuedSeries>>();
  private nextId = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly listeners: (() => void)[] = [];
  private readonly segmentBytes: number;
  /** Bytes of series definitions in the current segment: a segment grows to 8 times them, so they stay a small part. */
  private definitionBytes = 0;

  constructor(private readonly opts: DiskQueueOptions) {
    this.segmentBytes = opts.segmentBytes ?? 8 << 20;
    mkdirSync(opts.dir, { recursive: true });
    this.recover();
    this.openSegment(Date.now());
    this.flushTimer = setInterval(() => this.flush(), opts.flushMs ?? 100);
    this.flushTimer.unref();
  }

  get current(): SegmentInfo {
    return this.segments[this.segments.length - 1]!;
  }

  pathOf(n: number): string {
    return path.join(this.opts.dir, segName(n));
  }

  /** Called after new bytes reach the disk, so readers can go on. */
  onFlush(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * Queues one batch of a host: values that are NaN (no value) and samples not
   * newer than their series' last (the store drops those as replays) are left out.
   */
  append(host: string, ts: number, series: readonly SeriesRef[], values: ArrayLike<number>, now = Date.now()): void {
    const size = this.current.bytes + this.pendingBytes;
    // Not while writes fail: the unwritten rest of a record must go to the file that holds its start.
    if (size >= this.segmentBytes && size >= 8 * this.definitionBytes && !this.failure) this.rotate(now);
    const seg = this.current;
    const ids: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < series.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) continue;
      const s = this.lookup(host, series[i]!);
      if (ts <= s.lastTs) continue;
      s.lastTs = ts;
      if (s.definedIn !== seg.n) {
        s.definedIn = seg.n;
        const def = seriesRecord(s.id, s.labels);
        this.definitionBytes += def.length;
        this.push(def);
      }
      ids.push(s.id);
      kept.push(v);
    }
    if (ids.length === 0) return;
    this.push(dataRecord(this.nextSample, now, ts, ids, kept));
    this.nextSample += ids.length;
    seg.samples += ids.length;
    seg.lastWriteMs = now;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  private lookup(host: string, ref: SeriesRef): QueuedSeries {
    let refs = this.byRef.get(host);
    if (!refs) this.byRef.set(host, (refs = new WeakMap()));
    let s = refs.get(ref);
    if (s) return s;
    const key = `${host}\u0000${(ref as { key?: string }).key ?? seriesKey(ref.m, ref.l)}`;
    s = this.series.get(key);
    if (!s) {
      s = { id: this.nextId++, labels: encodeLabels(remoteLabels(host, ref.m, ref.l)), lastTs: -1, definedIn: -1 };
      this.series.set(key, s);
    }
    refs.set(ref, s);
    return s;
  }

  private push(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  /** Writes what was appended to the current segment. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    try {
      while (at < data.length) at += writeSync(this.fd, data, at, data.length - at);
    } catch (err) {
      // A full or failing disk: what did not reach the file stays in memory and is written on the next flush.
      if (!this.failure) this.opts.log.error('remote-write queue cannot write', { error: errorMessage(err) });
      this.failure = errorMessage(err);
      this.pending = [data.subarray(at)];
      this.pendingBytes = data.length - at;
      this.current.bytes += at;
      return;
    }
    if (this.failure) this.opts.log.info('remote-write queue writes again');
    this.failure = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.current.bytes += data.length;
    for (const fn of this.listeners) fn();
  }

  private rotate(now: number): void {
    this.flush();
    closeSync(this.fd);
    this.openSegment(now);
  }

  private openSegment(now: number): void {
    const n = this.segments.length ? this.current.n + 1 : 1;
    this.fd = openSync(this.pathOf(n), 'w');
    this.definitionBytes = 0;
    this.segments.push({ n, firstSample: this.nextSample, samples: 0, bytes: 0, firstWriteMs: now, lastWriteMs: now });
  }

  /** Bytes of every segment on disk (and in memory, about to be). */
  get totalBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0) + this.pendingBytes;
  }

  /**
   * Deletes finished segments: those every target has read past (`consumedTo`,
   * the lowest next-sample number over the targets), and those past the bound.
   * Returns the segments deleted unsent, so their targets count them dropped.
   */
  trim(consumedTo: number, now = Date.now()): SegmentInfo[] {
    const dropped: SegmentInfo[] = [];
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const consumed = segmentEnd(oldest) <= consumedTo;
      const tooOld = oldest.lastWriteMs < now - this.opts.maxAgeMs;
      const tooBig = this.totalBytes > this.opts.maxBytes;
      if (!consumed && !tooOld && !tooBig) break;
      this.segments.shift();
      rmSync(this.pathOf(oldest.n), { force: true });
      if (!consumed) dropped.push(oldest);
    }
    // A single segment past the size bound is cut short by starting the next one.
    if (this.segments.length === 1 && this.totalBytes > this.opts.maxBytes && this.current.bytes > 0) {
      this.rotate(now);
      return [...dropped, ...this.trim(consumedTo, now)];
    }
    return dropped;
  }

  /** Writes the index (segment list and numbering) so a restart need not read the segments. */
  saveIndex(): void {
    this.flush();
    const file = path.join(this.opts.dir, INDEX);
    writeFileSync(`${file}.tmp`, JSON.stringify({ nextSample: this.nextSample, segments: this.segments }));
    renameSync(`${file}.tmp`, file);
  }

  close(): void {
    clearInterval(this.flushTimer);
    this.flush();
    closeSync(this.fd);
    this.saveIndex();
  }

  /** Rebuilds the segment list from the index, re-reading any segment whose size differs from it (the last one after a crash). */
  private recover(): void {
    let known = new Map<number, SegmentInfo>();
    const indexFile = path.join(this.opts.dir, INDEX);
    if (existsSync(indexFile)) {
      try {
        const idx = JSON.parse(readFileSync(indexFile, 'utf8')) as { nextSample: number; segments: SegmentInfo[] };
        known = new Map(idx.segments.map((s) => [s.n, s]));
        // Kept when every segment is gone, so sample numbers (and the targets' positions) never go back.
        this.nextSample = idx.nextSample;
      } catch (err) {
        this.opts.log.warn('remote-write queue index unreadable; reading the segments', {
          error: errorMessage(err),
        });
      }
    }
    const files = readdirSync(this.opts.dir)
      .filter((f) => /^\d{10}\.seg$/.test(f))
      .sort();
    for (const f of files) {
      const n = Number(f.slice(0, 10));
      const size = statSync(path.join(this.opts.dir, f)).size;
      const info = known.get(n);
      const seg = info && info.bytes === size ? info : this.scan(n, info);
      if (seg.samples === 0 && seg.firstSample >= this.nextSample && seg.bytes === 0) {
        rmSync(this.pathOf(n), { force: true });
        continue;
      }
      this.segments.push(seg);
      this.nextSample = Math.max(this.nextSample, segmentEnd(seg));
    }
  }

  /** Reads a segment to learn what it holds, cutting off a torn last record. */
  private scan(n: number, hint: SegmentInfo | undefined): SegmentInfo {
    const file = this.pathOf(n);
    const buf = readFileSync(file);
    const seg: SegmentInfo = {
      n,
      firstSample: hint?.firstSample ?? this.nextSample,
      samples: 0,
      bytes: 0,
      firstWriteMs: hint?.firstWriteMs ?? 0,
      lastWriteMs: hint?.lastWriteMs ?? 0,
    };
    let at = 0;
    let first = true;
    try {
      for (let r = readRecord(buf, at); r; r = readRecord(buf, at)) {
        if (r.record.type === DATA_RECORD) {
          if (first) {
            seg.firstSample = r.record.firstSample;
            seg.firstWriteMs = r.record.writeMs;
            first = false;
          }
          seg.samples = r.record.firstSample + r.record.ids.length - seg.firstSample;
          seg.lastWriteMs = r.record.writeMs;
        }
        at = r.next;
      }
    } catch (err) {
      if (!(err instanceof CorruptRecord)) throw err;
      this.opts.log.warn('remote-write queue segment damaged; keeping what precedes it', { file, error: err.message });
    }
    if (at < buf.length) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, at);
      closeSync(fd);
    }
    seg.bytes = at;
    return seg;
  }
}
