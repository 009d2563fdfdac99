import { describe, expect, it } from 'vitest';
import { createHash, randomBytes, randomFillSync } from '../../agent/ws-crypto.js';

describe("the agent's stand-in for node:crypto in ws", () => {
  it('computes SHA-1 as FIPS 180 publishes it, across block boundaries', () => {
    const sha1 = (data: Buffer) => createHash('sha1').update(data).digest();
    // FIPS 180-2 appendix A examples (one block, two blocks) and the empty message.
    expect(sha1(Buffer.from('abc')).toString('hex')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toString('hex')).toBe(
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
    expect(sha1(Buffer.alloc(0)).toString('hex')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    // One million 'a' (FIPS 180-2 A.3): 15 625 blocks.
    expect(sha1(Buffer.alloc(1_000_000, 'a')).toString('hex')).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it("answers a WebSocket handshake as RFC 6455's own example does", () => {
    // RFC 6455 section 1.3: key dGhlIHNhbXBsZSBub25jZQ== gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    const accept = createHash('sha1')
      .update('dGhlIHNhbXBsZSBub25jZQ==' + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    expect(accept).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('hands other algorithms to node:crypto', () => {
    // SHA-256 of "abc" (FIPS 180-2 B.1).
    expect(createHash('sha256').update('abc').digest('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('fills random bytes where asked and nowhere else', () => {
    expect(randomBytes(16)).toHaveLength(16);
    const distinct = new Set(Array.from({ length: 8 }, () => randomBytes(16).toString('hex')));
    expect(distinct.size).toBe(8);
    const target = Buffer.alloc(12);
    randomFillSync(target, 4, 4);
    expect(target.subarray(0, 4).equals(Buffer.alloc(4))).toBe(true);
    expect(target.subarray(8).equals(Buffer.alloc(4))).toBe(true);
    // 4 random bytes all zero: 1 in 2^32.
    expect(target.subarray(4, 8).equals(Buffer.alloc(4))).toBe(false);
  });
});
