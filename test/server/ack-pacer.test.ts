import { describe, expect, it } from 'vitest';
import { AckPacer } from '../../server/ack-pacer.js';

/** One check phase later: the pacer's own check, scheduled before this, has run by then. */
const nextCheck = () => new Promise((resolve) => setImmediate(resolve));

describe('the ack pacer sends at most its budget between two check phases, in order', () => {
  it('sends 3 of 7 at once, 3 at the next check, the last at the one after', async () => {
    const pacer = new AckPacer(3);
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) pacer.submit(() => sent.push(i));
    expect(sent).toEqual([0, 1, 2]);
    expect(pacer.length).toBe(4);
    await nextCheck();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
    await nextCheck();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pacer.length).toBe(0);
  });

  it('counts what a check sent against the turn after it: a new ack then waits for the next check', async () => {
    const pacer = new AckPacer(2);
    const sent: string[] = [];
    for (const k of ['a', 'b', 'c', 'd']) pacer.submit(() => sent.push(k));
    await nextCheck(); // c and d went out at this check: the budget until the next one is spent
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
    pacer.submit(() => sent.push('e'));
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
    await nextCheck();
    expect(sent).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('opens a fresh budget after a check that had nothing to send', async () => {
    const pacer = new AckPacer(2);
    const sent: string[] = [];
    for (const k of ['a', 'b', 'c', 'd', 'e']) pacer.submit(() => sent.push(k));
    await nextCheck(); // c, d out; e waits
    await nextCheck(); // e out
    expect(sent).toEqual(['a', 'b', 'c', 'd', 'e']);
    await nextCheck(); // a turn with nothing sent: a fresh budget
    pacer.submit(() => sent.push('f'));
    expect(sent).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('sends at once while a turn stays within the budget', () => {
    const pacer = new AckPacer(200);
    let sent = 0;
    for (let i = 0; i < 200; i++) pacer.submit(() => sent++);
    expect(sent).toBe(200);
    pacer.submit(() => sent++);
    expect(sent).toBe(200);
    expect(pacer.length).toBe(1);
  });
});
