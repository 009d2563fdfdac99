/**
 * Growable byte buffer and its reader: unsigned varints (LEB128, in doubles,
 * so values up to 2^53 work) and little-endian float64s. Used by the chunk
 * encoding and the write-ahead log rows.
 */

// One shared scratch word for float ↔ byte conversion (little-endian on every platform Node runs on here).
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/** Unzeroed: only bytes below `len` are ever read, so the old memory is never seen. */
function alloc(n: number): Uint8Array {
  return Buffer.allocUnsafe(n);
}

/** Writes an unsigned varint at `pos` (the caller has made room: at most 10 bytes) and returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

export class ByteWriter {
  buf: Uint8Array;
  /** A view of `buf` for callers that write float64s themselves (DataView's are compiled inline). */
  data: DataView;
  len = 0;

  constructor(initialBytes = 64) {
    this.buf = alloc(Math.max(16, initialBytes));
    this.data = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = alloc(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.data = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Callers reserve first: the writes themselves do not check. */
  varint(n: number): void {
    this.len = writeVarint(this.buf, this.len, n);
  }

  float64(v: number): void {
    scratch[0] = v;
    const b = this.buf;
    let at = this.len;
    for (let i = 0; i < 8; i++) b[at++] = scratchBytes[i]!;
    this.len = at;
  }

  /** Appends bytes, growing as needed. */
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** A copy of the bytes written so far (a plain Uint8Array: Buffer's own slice() would share memory). */
  copy(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.len));
  }

  /** The bytes written so far, without copying (valid until the next write that grows the buffer). */
  view(start = 0, end = this.len): Uint8Array {
    return this.buf.subarray(start, end);
  }
}

export class ByteReader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Error(`truncated at byte ${this.pos} of ${this.bytes.length}`);
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new Error(`over-long varint at byte ${this.pos}`);
    }
  }

  float64(): number {
    this.need(8);
    for (let i = 0; i < 8; i++) scratchBytes[i] = this.bytes[this.pos++]!;
    return scratch[0]!;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
}

/** Bytes [start, end) as a Buffer over the same memory (better-sqlite3 binds Buffers as BLOBs, copying them then). */
export function asBuffer(a: Uint8Array, start = 0, end = a.length): Buffer {
  return Buffer.from(a.buffer, a.byteOffset + start, end - start);
}

/** Zigzag: small negative and positive integers both become small unsigned ones. */
export const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);
export const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
