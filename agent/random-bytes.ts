import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Random bytes from the kernel (/dev/urandom), without node:crypto: the agent needs a handful (its session id,
 * a WebSocket handshake key per connection), and loading node:crypto costs the agent ~1.4 MB of RSS for good
 * (BENCHMARKS.md, "The agent side by side", fourth round).
 */
export function fillRandom(target: Uint8Array, offset = 0, size = target.length - offset): Uint8Array {
  const fd = openSync('/dev/urandom', 'r');
  try {
    let done = 0;
    while (done < size) done += readSync(fd, target, offset + done, size - done, null);
  } finally {
    closeSync(fd);
  }
  return target;
}

export function randomBytes(size: number): Buffer {
  return fillRandom(Buffer.alloc(size)) as Buffer;
}
