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

const SAME = 0x00;
const NULL = 0xff;

// One shared scratch word for float ↔ byte conversion (little-endian on every platform Node runs on here).
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

export class ChunkEncoder {
  private buf: Uint8Array;
  private len = 0;
  /** Samples so far. */
  count = 0;
  firstTs = 0;
  lastTs = 0;
  private prevDelta = 0;
  /** The previous non-null value's bytes (the XOR reference); zero before the first. */
  private readonly prev = new Uint8Array(8);

  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Appends a sample; `ts` must be later than the previous one (the store drops replays before this). */
  push(ts: number, value: number | null): void {
    this.reserve(19); // worst case: 10-byte varint + control byte + 8 value bytes
    if (this.count === 0) {
      this.firstTs = ts;
      this.writeVarint(0);
    } else {
      const delta = ts - this.lastTs;
      const dod = delta - this.prevDelta;
      this.writeVarint(dod >= 0 ? dod * 2 : -dod * 2 - 1); // zigzag, in doubles: deltas can exceed 2^31
      this.prevDelta = delta;
    }
    this.lastTs = ts;
    this.count++;
    if (value === null) {
      this.buf[this.len++] = NULL;
      return;
    }
    scratch[0] = value;
    const prev = this.prev;
    // XOR bytes, most significant (index 7) first, to count leading zero bytes.
    let top = 7;
    while (top >= 0 && scratchBytes[top] === prev[top]) top--;
    if (top < 0) {
      this.buf[this.len++] = SAME;
      return;
    }
    let bottom = 0;
    while (scratchBytes[bottom] === prev[bottom]) bottom++;
    const leading = 7 - top;
    const meaningful = top - bottom + 1;
    this.buf[this.len++] = (leading << 4) | meaningful;
    for (let i = bottom; i <= top; i++) {
      this.buf[this.len++] = scratchBytes[i]! ^ prev[i]!;
      prev[i] = scratchBytes[i]!;
    }
  }

  /** The encoded bytes so far (a copy, safe to keep after further pushes). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  get byteLength(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private writeVarint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }
}

/**
 * Decodes a chunk: `firstTs` and `count` come from the chunk's row. Calls
 * `each(ts, value)` in time order. Throws on a truncated or malformed chunk.
 */
export function decodeChunk(bytes: Uint8Array, firstTs: number, count: number, each: (ts: number, value: number | null) => void): void {
  const prev = new Uint8Array(8);
  const prevView = new Float64Array(prev.buffer);
  let pos = 0;
  let ts = firstTs;
  let delta = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Error(`chunk truncated at byte ${pos} of ${bytes.length}`);
  };
  for (let i = 0; i < count; i++) {
    let z = 0;
    let scale = 1;
    for (;;) {
      need(1);
      const b = bytes[pos++]!;
      z += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new Error(`chunk has an over-long varint at byte ${pos}`);
    }
    if (i > 0) {
      delta += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      ts += delta;
    }
    need(1);
    const control = bytes[pos++]!;
    if (control === NULL) {
      each(ts, null);
      continue;
    }
    if (control !== SAME) {
      const leading = control >> 4;
      const meaningful = control & 0x0f;
      if (meaningful === 0 || leading + meaningful > 8) throw new Error(`chunk has a bad control byte 0x${control.toString(16)} at byte ${pos - 1}`);
      const top = 7 - leading;
      need(meaningful);
      for (let b = top - meaningful + 1; b <= top; b++) prev[b] = prev[b]! ^ bytes[pos++]!;
    }
    each(ts, prevView[0]!);
  }
}
