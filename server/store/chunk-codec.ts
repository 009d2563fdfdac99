/**
 * Compact encoding of one series' samples, after Facebook's Gorilla (VLDB 2015)
 * but byte- rather than bit-aligned, which is much cheaper in JavaScript:
 *
 * - timestamps: delta of delta as a zigzag varint, so a steady 1 s interval
 *   costs one byte a sample;
 * - values: XOR with the previous value's IEEE-754 bits; a control byte holds
 *   the count of zero bytes at the top (high nibble) and of meaningful bytes
 *   (low nibble), followed by those bytes. An unchanged value is one byte
 *   (0x00); a null ("could not be computed") is one byte (0xFF).
 *
 * Monitoring values move slowly or not at all, so a chunk costs about 2–6
 * bytes a sample instead of 16. The encoder appends one sample at a time into
 * a growing buffer (the in-memory head of a series); the decoder reads a whole
 * chunk back.
 */
import { ByteReader, unzigzag } from './bytes.js';
import { HeadTable, NULL, SAME } from './heads.js';

/**
 * One series' samples encoded as they arrive (for tools and tests; the store
 * keeps its heads in a HeadTable, where this encoding is implemented).
 */
export class ChunkEncoder {
  private readonly table: HeadTable;

  /** `initialBytes`: a good guess saves regrowing the buffer. */
  constructor(initialBytes = 64) {
    this.table = new HeadTable(1, initialBytes);
  }

  /** Appends a sample (null or NaN: no value); `ts` must be later than the previous one. */
  push(ts: number, value: number | null): void {
    this.table.push(0, ts, value);
  }

  get count(): number {
    return this.table.count[0]!;
  }
  get firstTs(): number {
    return this.table.firstTs[0]!;
  }
  get lastTs(): number {
    return this.table.lastTs[0]!;
  }
  get byteLength(): number {
    return this.table.byteLength(0);
  }

  /** The encoded bytes, without copying (valid until the next push). */
  view(): Uint8Array {
    return this.table.bytes(0);
  }

  /** The encoded bytes, copied. */
  bytes(): Uint8Array {
    return this.view().slice();
  }
}

/**
 * Decodes a chunk: `firstTs` and `count` come from the chunk's row. Calls
 * `each(ts, value)` in time order. Throws on a truncated or malformed chunk.
 */
export function decodeChunk(
  bytes: Uint8Array,
  firstTs: number,
  count: number,
  each: (ts: number, value: number | null) => void,
): void {
  const prev = new Uint8Array(8);
  const prevView = new Float64Array(prev.buffer);
  const r = new ByteReader(bytes);
  let ts = firstTs;
  let delta = 0;
  try {
    for (let i = 0; i < count; i++) {
      const dod = unzigzag(r.varint());
      if (i > 0) {
        delta += dod;
        ts += delta;
      }
      const control = r.byte();
      if (control === NULL) {
        each(ts, null);
        continue;
      }
      if (control !== SAME) {
        const leading = control >> 4;
        const meaningful = control & 0x0f;
        if (meaningful === 0 || leading + meaningful > 8)
          throw new Error(`bad control byte 0x${control.toString(16)} at byte ${r.pos - 1}`);
        const top = 7 - leading;
        for (let b = top - meaningful + 1; b <= top; b++) prev[b] = prev[b]! ^ r.byte();
      }
      each(ts, prevView[0]!);
    }
  } catch (err) {
    throw new Error(`chunk ${(err as Error).message}`, { cause: err });
  }
}
