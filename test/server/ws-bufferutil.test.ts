import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_BUNDLE } from '../helpers/bundle.js';
import { serverProcess } from '../helpers/process.js';

/**
 * The server unmasks client frames with bufferutil (ws's own native helper, an optional dependency since
 * issue 20): ws loads it when it is installed and calls it for frames of 32 bytes and more. The agent's bundle leaves
 * it out (scripts/build-agent.mjs): the agent keeps ws's JS mask and no native library.
 */
type Unmask = (buffer: Buffer, mask: Buffer) => void;
type Mask = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;

const require = createRequire(import.meta.url);
/** ws's own module, by file (ws's package exports do not name it): the one its Receiver and Sender use. */
const wsBufferUtil = require(path.join(path.dirname(require.resolve('ws')), 'lib/buffer-util.js')) as {
  mask: Mask;
  unmask: Unmask;
};
/** bufferutil as ws resolves it, from ws's own directory: the same module object ws calls. */
const wsRequire = createRequire(require.resolve('ws'));

/** RFC 6455 §5.3: octet i of the payload is XOR-ed with octet i mod 4 of the masking key. */
function xorByHand(payload: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ key[i % 4]!;
  return out;
}

/** Lengths around ws's cut-overs to native code (unmask from 32 bytes, mask from 48), then random ones. */
const LENGTHS = [0, 1, 3, 4, 5, 31, 32, 33, 47, 48, 49, 63, 64, 65, 1023, 4096, 10_001];
for (let i = 0; i < 200; i++) LENGTHS.push(1 + randomBytes(2).readUInt16LE(0));

/** The files a running process has mapped, from the kernel's own list (a file maps in several segments). */
function mappedFiles(pid: number): string[] {
  const lines = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  return [...new Set(lines.map((line) => line.split(/\s+/)[5] ?? '').filter((file) => file.startsWith('/')))];
}

/** bufferutil is optional: where it did not install (no prebuilt binary, no compiler), ws unmasks in JS. */
function installed(name: string): boolean {
  try {
    wsRequire.resolve(name);
    return true;
  } catch {
    return false;
  }
}
/** A Node whose http module masks natively: ws prefers it and never loads bufferutil. */
const runtimeMasks = 'websocketUnmask' in (require('node:http') as object);

describe.skipIf(!installed('bufferutil') || runtimeMasks)("ws's unmask on the server", () => {
  it("goes to bufferutil's native unmask for frames of 32 bytes and more", () => {
    const bufferutil = wsRequire('bufferutil') as { unmask: Unmask; mask: Mask };
    // bufferutil falls back to a JS copy of its own when its binary does not load: this is the binary's
    expect(Function.prototype.toString.call(bufferutil.unmask)).toContain('[native code]');
    expect(Function.prototype.toString.call(bufferutil.mask)).toContain('[native code]');
    const nativeUnmask = bufferutil.unmask;
    const calls: number[] = [];
    bufferutil.unmask = (buffer, key) => {
      calls.push(buffer.length);
      nativeUnmask(buffer, key);
    };
    try {
      for (const n of [31, 32, 1000]) wsBufferUtil.unmask(Buffer.alloc(n), Buffer.from([1, 2, 3, 4]));
    } finally {
      bufferutil.unmask = nativeUnmask;
    }
    expect(calls).toEqual([32, 1000]);
  });

  it('unmasks and masks every frame exactly as RFC 6455 says', () => {
    for (const n of LENGTHS) {
      const payload = randomBytes(n);
      const key = randomBytes(4);
      const expected = xorByHand(payload, key);

      const unmasked = Buffer.from(payload);
      wsBufferUtil.unmask(unmasked, key);
      expect(unmasked.equals(expected), `unmask of ${n} bytes`).toBe(true);

      // mask writes at an offset into a larger output (the frame after its header), touching nothing else
      const output = Buffer.alloc(n + 14, 0xee);
      wsBufferUtil.mask(payload, key, output, 10, n);
      expect(output.subarray(10, 10 + n).equals(expected), `mask of ${n} bytes`).toBe(true);
      expect([...output.subarray(0, 10), ...output.subarray(10 + n)].every((b) => b === 0xee)).toBe(true);
    }
  });

  it("is mapped into the running server's process", async () => {
    const { start } = await serverProcess();
    const server = await start();
    try {
      const files = mappedFiles(server.proc.pid!);
      // the kernel's list is read right: the server's other native module is in it
      expect(files.some((f) => f.endsWith('/better_sqlite3.node'))).toBe(true);
      expect(files.filter((f) => /[\\/]node_modules[\\/]bufferutil[\\/].*\.node$/.test(f))).toHaveLength(1);
    } finally {
      await server.stop();
    }
  }, 30_000);
});

describe("the agent's bundle", () => {
  it('holds neither bufferutil nor its loader', () => {
    const chunks = readdirSync(AGENT_BUNDLE).filter((f) => f.endsWith('.js'));
    expect(chunks).toContain('main.js');
    // the ws chunk is in the bundle (its Receiver's unmask call) ...
    expect(chunks.some((f) => readFileSync(path.join(AGENT_BUNDLE, f), 'utf8').includes('WebSocket is not open'))).toBe(
      true,
    );
    // ... without a require of bufferutil or node-gyp-build's search for its binary
    const withIt = chunks.filter((f) => /bufferutil|prebuilds/.test(readFileSync(path.join(AGENT_BUNDLE, f), 'utf8')));
    expect(withIt).toEqual([]);
  });
});
