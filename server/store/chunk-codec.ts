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

// One shared scratch word: a value's IEEE-754 bits as two 32-bit halves (little-endian on every platform Node runs on here).
const scratch = new Float64Array(1);
const halves = new Int32Array(scratch.buffer);

/** Count of zero bits below the lowest set bit of a non-zero 32-bit integer. */
const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

/**
 * The head of a series: its samples encoded as they arrive. One object with
 * its buffer (ByteWriter) and the XOR reference as two 32-bit integers — a
 * fleet has hundreds of thousands of heads, and each sample should touch as
 * little memory as possible.
 */
export class ChunkEncoder extends ByteWriter {
  /** Samples so far. */
  count = 0;
  firstTs = 0;
  lastTs = 0;
  private prevDelta = 0;
  /** The previous non-null value's bits (the XOR reference); zero before the first. */
  private prevLo = 0;
  private prevHi = 0;

  /** `initialBytes`: a good guess (the series' previous chunk) saves regrowing the buffer. */
  constructor(initialBytes = 64) {
    super(initialBytes);
  }

  /** Appends a sample; `ts` must be later than the previous one (the store drops replays before this). */
  push(ts: number, value: number | null): void {
    this.reserve(19); // worst case: 10-byte varint + control byte + 8 value bytes
    if (this.count === 0) {
      this.firstTs = ts;
      this.byte(0);
    } else {
      const delta = ts - this.lastTs;
      this.varint(zigzag(delta - this.prevDelta));
      this.prevDelta = delta;
    }
    this.lastTs = ts;
    this.count++;
    if (value === null) {
      this.byte(NULL);
      return;
    }
    scratch[0] = value;
    const lo = halves[0]!;
    const hi = halves[1]!;
    const xlo = lo ^ this.prevLo;
    const xhi = hi ^ this.prevHi;
    if (xlo === 0 && xhi === 0) {
      this.byte(SAME);
      return;
    }
    this.prevLo = lo;
    this.prevHi = hi;
    // Zero bytes at the top (most significant) and at the bottom of the XOR; the rest is written, lowest first.
    const leading = xhi !== 0 ? Math.clz32(xhi) >> 3 : 4 + (Math.clz32(xlo) >> 3);
    const trailing = xlo !== 0 ? ctz32(xlo) >> 3 : 4 + (ctz32(xhi) >> 3);
    this.byte((leading << 4) | (8 - leading - trailing));
    for (let b = trailing; b < 8 - leading; b++) this.byte((b < 4 ? xlo >>> (8 * b) : xhi >>> (8 * (b - 4))) & 0xff);
  }

  /** The encoded bytes, copied. */
  bytes(): Uint8Array {
    return this.copy();
  }

  get byteLength(): number {
    return this.len;
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
