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
import { ByteReader, ByteWriter, unzigzag, zigzag } from './bytes.js';

const SAME = 0x00;
const NULL = 0xff;

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

export class ChunkEncoder {
  private readonly out: ByteWriter;
  /** Samples so far. */
  count = 0;
  firstTs = 0;
  lastTs = 0;
  private prevDelta = 0;
  /** The previous non-null value's bytes (the XOR reference); zero before the first. */
  private readonly prev = new Uint8Array(8);

  /** `initialBytes`: a good guess (the series' previous chunk) saves regrowing the buffer. */
  constructor(initialBytes = 64) {
    this.out = new ByteWriter(initialBytes);
  }

  /** Appends a sample; `ts` must be later than the previous one (the store drops replays before this). */
  push(ts: number, value: number | null): void {
    const out = this.out;
    out.reserve(19); // worst case: 10-byte varint + control byte + 8 value bytes
    if (this.count === 0) {
      this.firstTs = ts;
      out.byte(0);
    } else {
      const delta = ts - this.lastTs;
      out.varint(zigzag(delta - this.prevDelta));
      this.prevDelta = delta;
    }
    this.lastTs = ts;
    this.count++;
    if (value === null) {
      out.byte(NULL);
      return;
    }
    scratch[0] = value;
    const prev = this.prev;
    // XOR bytes, most significant (index 7) first, to count leading zero bytes.
    let top = 7;
    while (top >= 0 && scratchBytes[top] === prev[top]) top--;
    if (top < 0) {
      out.byte(SAME);
      return;
    }
    let bottom = 0;
    while (scratchBytes[bottom] === prev[bottom]) bottom++;
    out.byte(((7 - top) << 4) | (top - bottom + 1));
    for (let i = bottom; i <= top; i++) {
      out.byte(scratchBytes[i]! ^ prev[i]!);
      prev[i] = scratchBytes[i]!;
    }
  }

  /** The encoded bytes so far, without copying: read them before the next push. */
  view(): Uint8Array {
    return this.out.view();
  }

  /** The encoded bytes, copied. */
  bytes(): Uint8Array {
    return this.out.view().slice();
  }

  get byteLength(): number {
    return this.out.len;
  }
}

/**
 * Decodes a chunk: `firstTs` and `count` come from the chunk's row. Calls
 * `each(ts, value)` in time order. Throws on a truncated or malformed chunk.
 */
export function decodeChunk(bytes: Uint8Array, firstTs: number, count: number, each: (ts: number, value: number | null) => void): void {
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
        if (meaningful === 0 || leading + meaningful > 8) throw new Error(`bad control byte 0x${control.toString(16)} at byte ${r.pos - 1}`);
        const top = 7 - leading;
        for (let b = top - meaningful + 1; b <= top; b++) prev[b] = prev[b]! ^ r.byte();
      }
      each(ts, prevView[0]!);
    }
  } catch (err) {
    throw new Error(`chunk ${(err as Error).message}`);
  }
}
