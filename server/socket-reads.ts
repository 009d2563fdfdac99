/**
 * Agents' sockets read into one buffer that every connection borrows.
 *
 * Node gives every socket read a new ArrayBuffer, and V8 counts those bytes
 * as external memory: at a million samples a second (~26 MB/s of agents'
 * frames) it started a major collection every ~64 MB of them, about every
 * 2.5 s, each marking the whole fleet's state on this thread (BENCHMARKS.md,
 * "What holds delivery at 1 M samples/s"). Here reads land in one buffer
 * instead (Node's `onread` buffer, which net.Server offers only to sockets
 * it connects, set here on accepted ones), so reading allocates nothing.
 *
 * The buffer is overwritten by the next read, so nothing may keep a view of
 * it past the read's handling. ws's receiver gets the read itself only when
 * the read is whole unfragmented data frames and the receiver sits between
 * frames: it then parses every frame, emits every message synchronously and
 * keeps nothing. Any other read (a frame split across reads, a control
 * frame, a fragment, anything malformed) goes to it as a copy, as Node would
 * have given it; once a close frame or an error ended the receiver, reads
 * are dropped, as ws drops them. The frames' handlers keep nothing either: the decoder
 * copies values and extras, and the ingest queue copies a frame it defers
 * (frame-ring.ts).
 *
 * Where this Node has no such buffer for a socket (the internals it uses are
 * not there), the connection is read as before.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** As large as a read Node makes by default. */
export const READ_BUFFER_BYTES = 64 * 1024;
const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

/** Reads handed to ws as they lay in the shared buffer, and reads copied first, since start (/healthz, tests). */
export const socketReads = { borrowed: 0, copied: 0 };

/** Whether `data` is a view of the shared read buffer (and so must be copied to outlive its handling). */
export function isBorrowed(data: unknown): data is Buffer {
  return data instanceof Uint8Array && data.buffer === readBuffer.buffer;
}

/** The receiver fields read here (ws 8's Receiver): whether it is between frames, and whether it still reads. */
interface ReceiverState {
  _state?: unknown;
  _bufferedBytes?: unknown;
  _fragmented?: unknown;
  _errored?: unknown;
  _allowSynchronousEvents?: unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  write(chunk: Buffer): boolean;
}

/** Node's internal socket fields that take a read buffer (as net.Socket's `onread` option sets them). */
interface ReadBufferHandle {
  useUserBuffer?: (buf: Uint8Array) => void;
}

/**
 * Makes `ws`'s socket read into the shared buffer; false (the socket read as
 * before) when this Node or ws lacks what that needs.
 */
export function readIntoSharedBuffer(ws: WebSocket): boolean {
  const inner = ws as unknown as { _socket?: Socket; _receiver?: ReceiverState };
  const socket = inner._socket;
  const receiver = inner._receiver;
  if (!socket || !receiver || !knownReceiver(receiver)) return false;
  const handle = (socket as unknown as { _handle?: ReadBufferHandle | null })._handle;
  const symbols = Object.getOwnPropertySymbols(socket);
  const kBuffer = symbols.find((s) => s.description === 'kBuffer');
  const kBufferCb = symbols.find((s) => s.description === 'kBufferCb');
  if (!kBuffer || !kBufferCb || typeof handle?.useUserBuffer !== 'function') return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[kBuffer] = readBuffer;
  // Returns false to have Node stop reading (as its own reads do when the socket's buffer is full).
  fields[kBufferCb] = (nread: number): boolean => {
    const read = readBuffer.subarray(0, nread);
    // ws stops listening once a close frame or a framing error ended its receiver: the rest is read and dropped
    // until the peer's FIN, as with ws's own listener removed.
    if (receiver.writableEnded || receiver.destroyed || receiver._errored === true) return true;
    // Bytes still in the socket's own buffer (the upgrade's unshifted head) go first: this read queues behind them.
    if (socket.readableLength > 0) {
      socketReads.copied++;
      return socket.push(Buffer.from(read));
    }
    let chunk = read;
    if (betweenFrames(receiver) && wholeDataFrames(read)) socketReads.borrowed++;
    else {
      chunk = Buffer.from(read);
      socketReads.copied++;
    }
    // As ws's own 'data' listener does: a receiver that asks for a pause gets one, and resumes the socket on 'drain'.
    if (!receiver.write(chunk)) socket.pause();
    return true;
  };
  handle.useUserBuffer(readBuffer);
  return true;
}

/**
 * Whether the receiver has the fields read here, and emits every message
 * while it parses (ws's default for servers): a message emitted later would
 * be a view of a buffer read over since.
 */
function knownReceiver(r: ReceiverState): boolean {
  return (
    typeof r.write === 'function' &&
    typeof r._state === 'number' &&
    typeof r._bufferedBytes === 'number' &&
    typeof r._fragmented === 'number' &&
    typeof r._errored === 'boolean' &&
    r._allowSynchronousEvents === true
  );
}

/** GET_INFO in ws's receiver: the next byte starts a frame. */
const GET_INFO = 0;

function betweenFrames(r: ReceiverState): boolean {
  return r._state === GET_INFO && r._bufferedBytes === 0 && r._fragmented === 0 && r._errored === false;
}

/**
 * Whether `buf` is exactly a run of whole, final, masked, uncompressed text
 * or binary frames (a client's frames, RFC 6455 §5.2): such a read leaves ws's
 * receiver nothing to keep once it has parsed it.
 */
export function wholeDataFrames(buf: Uint8Array): boolean {
  const n = buf.length;
  let at = 0;
  while (at < n) {
    if (n - at < 2) return false;
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    // FIN set, RSV bits clear, opcode 1 (text) or 2 (binary); MASK set.
    if ((b0 & 0xf0) !== 0x80 || ((b0 & 0x0f) !== 1 && (b0 & 0x0f) !== 2) || (b1 & 0x80) === 0) return false;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (n - at < 4) return false;
      length = (buf[at + 2]! << 8) | buf[at + 3]!;
      header = 4;
    } else if (length === 127) {
      if (n - at < 10) return false;
      // Anything past 32 bits cannot be inside a 64 KiB read.
      if (buf[at + 2]! | buf[at + 3]! | buf[at + 4]! | buf[at + 5]!) return false;
      length = ((buf[at + 6]! << 24) >>> 0) + ((buf[at + 7]! << 16) | (buf[at + 8]! << 8) | buf[at + 9]!);
      header = 10;
    }
    at += header + 4 + length;
  }
  return at === n;
}
