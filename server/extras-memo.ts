/**
 * The last good extras of a session's binary batches (protocol 3), kept by
 * their bytes. An agent sends its collector statuses, and the states of its
 * log-path checks, md arrays and mongod, with every batch, and from one second
 * to the next they are mostly the very same bytes: such extras were already
 * parsed and checked once, so they are not parsed and checked again — the
 * batch takes what those bytes decoded to. Extras with definitions are never
 * kept (what they mean depends on the session's table).
 */
import type { DecodedBatch } from '../shared/protocol.js';

/** Extras longer than this are parsed every time: a copy of them per session would cost more than it saves. */
export const MAX_REMEMBERED_EXTRAS_BYTES = 16 * 1024;

/** What extras decode to, besides definitions. */
export type DecodedExtras = Pick<DecodedBatch, 'collectors' | 'stateKinds' | 'states'>;

export class ExtrasMemo {
  private bytes: Buffer | null = null;
  private decoded: DecodedExtras | null = null;

  /** What `frame[start, end)` decoded to when it was last seen, or null if it is not the last good extras. */
  recall(frame: Uint8Array, start: number, end: number): DecodedExtras | null {
    const known = this.bytes;
    if (known === null || known.length !== end - start) return null;
    return known.equals(frame.subarray(start, end)) ? this.decoded : null;
  }

  /** Keeps good extras `frame[start, end)` (without definitions) and what they decoded to in `batch`. */
  remember(frame: Uint8Array, start: number, end: number, batch: DecodedBatch): void {
    if (end - start > MAX_REMEMBERED_EXTRAS_BYTES) return;
    this.bytes = Buffer.from(frame.subarray(start, end)); // a copy: the frame is a socket read
    this.decoded = {
      ...(batch.collectors ? { collectors: batch.collectors } : {}),
      ...(batch.stateKinds ? { stateKinds: batch.stateKinds } : {}),
      ...(batch.states ? { states: batch.states } : {}),
    };
  }

  /** The size of the extras kept (0: none), for tests of the bound. */
  get rememberedBytes(): number {
    return this.bytes?.length ?? 0;
  }
}

/** Remembered (or hand-checked) extras into a batch, in the order decodeExtras sets them. */
export function applyRemembered(known: DecodedExtras, batch: DecodedBatch): void {
  if (known.collectors) batch.collectors = known.collectors;
  if (known.stateKinds) batch.stateKinds = known.stateKinds;
  if (known.states) batch.states = known.states;
}
