import type { WebSocket } from 'ws';
import { FrameRing } from './frame-ring.js';
import { isBorrowed, socketReads } from './socket-reads.js';

/** Longest stretch of frame handling before timers, HTTP (/healthz) and dashboards get a turn. */
export const INGEST_SLICE_MS = 10;
/** Frames waiting above which the connections that add more are paused (the kernel holds their backlog). */
export const INGEST_HIGH_WATER = 50_000;
/** Frames waiting below which the paused connections are read again. */
export const INGEST_LOW_WATER = 10_000;

export interface IngestQueueStats {
  waiting: number;
  deferred: number;
  pauses: number;
  /** Agents' socket reads given to ws in the shared buffer and as copies (socket-reads.ts), since start. */
  reads: { borrowed: number; copied: number };
  /** Waiting frames copied out of that buffer: into the ring, or (the ring full) each into its own buffer. */
  copies: { ring: number; own: number };
}

/** What handles a frame: called with the frame and its kind, as the socket gave them. */
export type FrameHandler<D> = (data: D, isBinary: boolean) => void;

interface Waiting {
  ws: WebSocket;
  handle: FrameHandler<unknown>;
  data: unknown;
  isBinary: boolean;
  /** The data is a copy `ring.keep` made (in the ring or on its own), released once handled or dropped. */
  copied: boolean;
}

/**
 * The agents' frames, handled in slices of bounded time. A socket read can
 * hold dozens of frames, and a fleet reconnecting at once after a server
 * restart replays its buffers all together: handled as they arrive, every
 * connection's backlog went through in one turn of the event loop, which then
 * answered neither /healthz nor heartbeats for tens of seconds (and agents
 * that heard nothing reconnected and replayed again). Here frames are handled
 * at once while the current slice lasts; after it they wait in arrival order
 * for the next slice, one turn of the event loop later. While many wait, the
 * connections adding more are paused, so the backlog stays in the agents and
 * the kernel, bounded, instead of in this process.
 *
 * Frames of a connection that closed while they waited are dropped unhandled:
 * never acknowledged, so the agent sends them again (to the connection that
 * replaced this one, which knows what is stored).
 *
 * A frame that is a view of the shared read buffer (socket-reads.ts) is
 * copied into a ring (frame-ring.ts) before it waits: the next read
 * overwrites that buffer.
 */
export class IngestQueue {
  private readonly waiting: (Waiting | undefined)[] = [];
  /** Index of the next frame to handle in `waiting` (the array is compacted once a slice empties it). */
  private head = 0;
  private readonly paused = new Set<WebSocket>();
  private sliceStart = 0;
  private sliceOpen = false;
  private drainScheduled = false;
  /** Copies of waiting frames that were views of the shared read buffer. */
  readonly ring = new FrameRing();
  /** Frames that waited for a later slice, and pauses of a connection, since start (for /metrics and tests). */
  deferred = 0;
  pauses = 0;

  constructor(
    private readonly sliceMs = INGEST_SLICE_MS,
    private readonly highWater = INGEST_HIGH_WATER,
    private readonly lowWater = INGEST_LOW_WATER,
  ) {}

  /** Frames waiting for a slice. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  stats(): IngestQueueStats {
    return {
      waiting: this.length,
      deferred: this.deferred,
      pauses: this.pauses,
      reads: { ...socketReads },
      copies: { ...this.ring.counts },
    };
  }

  /** Whether `ws` is paused by this queue (its heartbeat must not count the silence against it). */
  isPaused(ws: WebSocket): boolean {
    return this.paused.has(ws);
  }

  /**
   * Handles a frame of `ws` now (`handle(data, isBinary)`) if the slice
   * allows and nothing waits, else after what waits. The frame is passed
   * beside its handler, so a connection's handler is one function, not a
   * closure per frame.
   */
  submit<D>(ws: WebSocket, handle: FrameHandler<D>, data: D, isBinary: boolean): void {
    if (this.length === 0 && this.inSlice()) return handle(data, isBinary);
    const copied = isBorrowed(data);
    const kept = copied ? this.ring.keep(data) : data;
    this.waiting.push({ ws, handle: handle as FrameHandler<unknown>, data: kept, isBinary, copied });
    this.deferred++;
    if (this.length > this.highWater && !this.paused.has(ws)) {
      this.paused.add(ws);
      this.pauses++;
      ws.pause();
    }
    this.scheduleDrain();
  }

  /** A closed connection is no longer resumed. */
  forget(ws: WebSocket): void {
    this.paused.delete(ws);
  }

  /** Opens a slice on the first frame of a turn of the event loop; false once it has lasted sliceMs. */
  private inSlice(): boolean {
    const now = performance.now();
    if (!this.sliceOpen) {
      this.sliceOpen = true;
      this.sliceStart = now;
      // The check phase closes it: whatever arrives in the next turn starts a fresh slice.
      setImmediate(() => (this.sliceOpen = false));
      return true;
    }
    return now - this.sliceStart < this.sliceMs;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    const start = performance.now();
    // At least one frame a slice, however short the slice.
    do {
      const item = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      try {
        if (item.ws.readyState === item.ws.OPEN) item.handle(item.data, item.isBinary);
      } finally {
        if (item.copied) this.ring.done();
      }
    } while (this.length > 0 && performance.now() - start < this.sliceMs);
    if (this.length === 0) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 4096) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.length < this.lowWater && this.paused.size > 0) {
      for (const ws of this.paused) ws.resume();
      this.paused.clear();
    }
    if (this.length > 0) this.scheduleDrain();
  }
}
