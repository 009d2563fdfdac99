import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckPacer } from '../../server/ack-pacer.js';

// The pacer reads performance.now() and sets timeouts: both faked, so windows are exact.
beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
afterEach(() => void vi.useRealTimers());

describe('the ack pacer sends at most its budget per window, in the order acks came due', () => {
  it('sends 3 of 7 at once, 3 when the 10 ms window ends, the last 10 ms after that', () => {
    const pacer = new AckPacer(3, 10);
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) pacer.submit(() => sent.push(i) > 0);
    expect(sent).toEqual([0, 1, 2]);
    expect(pacer.length).toBe(4);
    vi.advanceTimersByTime(9);
    expect(sent).toEqual([0, 1, 2]);
    vi.advanceTimersByTime(1); // t = 10 ms: a new window
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
    vi.advanceTimersByTime(9);
    expect(sent).toHaveLength(6);
    vi.advanceTimersByTime(1); // t = 20 ms
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pacer.length).toBe(0);
  });

  it('calls each waiting send with the ticket it came with, also past the 4096 places the line compacts at', () => {
    const pacer = new AckPacer(4100, 10);
    const got: number[] = [];
    const send = (ticket: number) => got.push(ticket) > 0; // one function for every place, as a session's
    for (let i = 0; i < 4100 + 6000; i++) pacer.submit(send, 1000 + i);
    expect(got).toHaveLength(4100); // the first window's budget at once
    vi.advanceTimersByTime(10); // 4100 more: the line's first 4100 places are spent and cut off
    expect(got).toHaveLength(8200);
    vi.advanceTimersByTime(10);
    expect(got).toEqual(Array.from({ length: 10_100 }, (_, i) => 1000 + i));
    expect(pacer.length).toBe(0);
  });

  it('starts the next window 10 ms after the first ack of this one, not after the ack that found it full', () => {
    const pacer = new AckPacer(2, 10);
    const sent: string[] = [];
    pacer.submit(() => sent.push('a') > 0); // t = 0: the window opens
    vi.advanceTimersByTime(6);
    pacer.submit(() => sent.push('b') > 0);
    pacer.submit(() => sent.push('c') > 0); // t = 6: full, c waits for t = 10
    vi.advanceTimersByTime(3);
    expect(sent).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['a', 'b', 'c']);
  });

  it("counts the acks a window's first moment sent: a new one in that window waits for the next", () => {
    const pacer = new AckPacer(2, 10);
    const sent: string[] = [];
    for (const k of ['a', 'b', 'c', 'd']) pacer.submit(() => sent.push(k) > 0);
    vi.advanceTimersByTime(10); // t = 10: c and d fill the new window
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
    vi.advanceTimersByTime(5);
    pacer.submit(() => sent.push('e') > 0); // t = 15, same window: waits
    expect(sent).toHaveLength(4);
    vi.advanceTimersByTime(5); // t = 20
    expect(sent).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('opens a fresh window for an ack once the last one has passed', () => {
    const pacer = new AckPacer(1, 10);
    const sent: string[] = [];
    pacer.submit(() => sent.push('a') > 0);
    vi.advanceTimersByTime(10);
    pacer.submit(() => sent.push('b') > 0);
    expect(sent).toEqual(['a', 'b']);
  });

  it('sends 80 acks at once with the default budget, and the 81st 10 ms later', () => {
    const pacer = new AckPacer();
    let sent = 0;
    for (let i = 0; i < 81; i++) pacer.submit(() => ++sent > 0);
    expect(sent).toBe(80);
    vi.advanceTimersByTime(10);
    expect(sent).toBe(81);
  });

  it('gives no budget to an ack taken back before its turn: the one behind it goes in its window', () => {
    const pacer = new AckPacer(1, 10);
    const sent: string[] = [];
    pacer.submit(() => sent.push('a') > 0); // t = 0: the window's one ack
    pacer.submit(() => false); // taken back before its turn (its connection closed)
    pacer.submit(() => sent.push('c') > 0);
    vi.advanceTimersByTime(10); // t = 10: the taken-back one sends nothing, so c has the window
    expect(sent).toEqual(['a', 'c']);
    expect(pacer.length).toBe(0);
  });

  it('keeps giving windows to the acks behind one whose send threw', () => {
    const pacer = new AckPacer(1, 10);
    const sent: string[] = [];
    pacer.submit(() => sent.push('a') > 0);
    pacer.submit(() => {
      throw new Error('a socket that throws');
    });
    pacer.submit(() => sent.push('c') > 0);
    expect(() => vi.advanceTimersByTime(10)).toThrow('a socket that throws');
    vi.advanceTimersByTime(10); // t = 20
    expect(sent).toEqual(['a', 'c']);
  });
});
