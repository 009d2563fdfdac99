import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckPacer } from '../../server/ack-pacer.js';

// The pacer reads performance.now() and sets timeouts: both faked, so windows are exact.
beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
afterEach(() => void vi.useRealTimers());

describe('the ack pacer sends at most its budget per window, in the order acks came due', () => {
  it('sends 3 of 7 at once, 3 when the 10 ms window ends, the last 10 ms after that', () => {
    const pacer = new AckPacer(3, 10);
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) pacer.submit(() => sent.push(i));
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

  it('starts the next window 10 ms after the first ack of this one, not after the ack that found it full', () => {
    const pacer = new AckPacer(2, 10);
    const sent: string[] = [];
    pacer.submit(() => sent.push('a')); // t = 0: the window opens
    vi.advanceTimersByTime(6);
    pacer.submit(() => sent.push('b'));
    pacer.submit(() => sent.push('c')); // t = 6: full, c waits for t = 10
    vi.advanceTimersByTime(3);
    expect(sent).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['a', 'b', 'c']);
  });

  it("counts the acks a window's first moment sent: a new one in that window waits for the next", () => {
    const pacer = new AckPacer(2, 10);
    const sent: string[] = [];
    for (const k of ['a', 'b', 'c', 'd']) pacer.submit(() => sent.push(k));
    vi.advanceTimersByTime(10); // t = 10: c and d fill the new window
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
    vi.advanceTimersByTime(5);
    pacer.submit(() => sent.push('e')); // t = 15, same window: waits
    expect(sent).toHaveLength(4);
    vi.advanceTimersByTime(5); // t = 20
    expect(sent).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('opens a fresh window for an ack once the last one has passed', () => {
    const pacer = new AckPacer(1, 10);
    const sent: string[] = [];
    pacer.submit(() => sent.push('a'));
    vi.advanceTimersByTime(10);
    pacer.submit(() => sent.push('b'));
    expect(sent).toEqual(['a', 'b']);
  });

  it('sends 80 acks at once with the default budget, and the 81st 10 ms later', () => {
    const pacer = new AckPacer();
    let sent = 0;
    for (let i = 0; i < 81; i++) pacer.submit(() => sent++);
    expect(sent).toBe(80);
    vi.advanceTimersByTime(10);
    expect(sent).toBe(81);
  });
});
