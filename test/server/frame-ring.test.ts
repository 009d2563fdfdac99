import { describe, expect, it } from 'vitest';
import { FrameRing } from '../../server/frame-ring.js';

/** A deterministic pseudo-random sequence (xorshift32), so a failure replays. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (below: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % below;
  };
}

const frame = (n: number, fill: number) => Buffer.alloc(n, fill & 255);

describe('frame ring (copies of frames waiting in the ingest queue)', () => {
  it('keeps every held copy intact through thousands of keeps and dones that wrap the ring', () => {
    const next = rng(20261130);
    const ring = new FrameRing(4096);
    /** Held copies, oldest first, with what each must still say. */
    const held: { copy: Buffer; was: Buffer }[] = [];
    let made = 0;
    for (let step = 0; step < 20_000; step++) {
      // Keeps outnumber dones while few are held, so the ring fills, overflows and drains again.
      if (held.length === 0 || next(100) < (held.length < 12 ? 65 : 35)) {
        const was = Buffer.from(Array.from({ length: 1 + next(900) }, () => next(256)));
        held.push({ copy: ring.keep(was), was });
        made++;
      } else {
        ring.done();
        held.shift();
      }
      // A copy overwritten by a later one, or moved, shows here.
      for (const h of held) expect(h.copy.equals(h.was)).toBe(true);
      expect(ring.held).toBe(held.length);
    }
    expect(made).toBeGreaterThan(10_000);
    // Both ways were taken: copies in the ring, and buffers of their own when it was full.
    expect(ring.counts.ring).toBeGreaterThan(1000);
    expect(ring.counts.own).toBeGreaterThan(100);
    expect(ring.counts.ring + ring.counts.own).toBe(made);
  });

  it('puts copies in the ring itself, one after another, and starts again at its start once all are done', () => {
    const ring = new FrameRing(1000);
    const a = ring.keep(frame(400, 1));
    const b = ring.keep(frame(400, 2));
    expect(b.byteOffset - a.byteOffset).toBe(400);
    expect(a.buffer).toBe(b.buffer);
    // 200 bytes left at the end, and none free at the start: a frame of its own.
    const c = ring.keep(frame(300, 3));
    expect(c.buffer).not.toBe(a.buffer);
    expect(ring.counts).toEqual({ ring: 2, own: 1 });
    ring.done();
    // The first copy's 400 bytes are free again: the next one wraps there (strictly fewer than 400 fit).
    const d = ring.keep(frame(300, 4));
    expect(d.buffer).toBe(a.buffer);
    expect(d.byteOffset).toBe(a.byteOffset);
    expect(b.equals(frame(400, 2))).toBe(true);
    ring.done();
    ring.done();
    ring.done();
    expect(ring.held).toBe(0);
    expect(ring.keep(frame(10, 5)).byteOffset).toBe(a.byteOffset);
  });

  it('starts the ring afresh when its copies are done while a frame of its own is still held', () => {
    const ring = new FrameRing(100);
    ring.keep(frame(40, 1));
    ring.keep(frame(70, 2)); // 60 bytes left: a buffer of its own
    ring.done(); // the ring holds nothing now, the frame of its own waits on
    const a = ring.keep(frame(70, 3));
    // 30 bytes at the end, and the start holds `a`: this one must not wrap over it.
    const b = ring.keep(frame(35, 4));
    expect(a.equals(frame(70, 3))).toBe(true);
    expect(b.equals(frame(35, 4))).toBe(true);
    expect(ring.counts).toEqual({ ring: 2, own: 2 });
  });

  it('gives a frame larger than the ring a buffer of its own, and refuses a done with nothing held', () => {
    const ring = new FrameRing(100);
    const big = ring.keep(frame(101, 9));
    expect(big.equals(frame(101, 9))).toBe(true);
    expect(ring.counts).toEqual({ ring: 0, own: 1 });
    ring.done();
    expect(() => ring.done()).toThrow(/without a copy held/);
  });
});
