import { describe, expect, it } from 'vitest';
import type { Hello } from '../../shared/protocol.js';
import { CommitWaiters, DurableWaits, type DurableWaiter } from '../../server/commit-waiters.js';

const hello = (agentId: string): Hello => ({
  type: 'hello',
  protocol: 3,
  agentId,
  session: 's1',
  hostname: agentId,
  agentVersion: '1',
  inventory: null,
});

/** A waiter that notes what it is told. */
function noting(name: string, told: string[]): DurableWaiter {
  return { durableReached: (_c, seq, h) => void told.push(`${name} ${seq} ${h?.agentId ?? 'none'}`) };
}

function gate(): { on: Promise<void>; open: () => void } {
  let open!: () => void;
  const on = new Promise<void>((r) => (open = r));
  return { on, open };
}

describe('commit waiters', () => {
  it('tells each waiter of a commit once, in the order they came, its own highest sequence and hello', async () => {
    const told: string[] = [];
    const g = gate();
    const commit = new CommitWaiters(g.on);
    const a = commit.add(noting('a', told), 4, hello('a'));
    const b = commit.add(noting('b', told), 9, hello('b'));
    commit.raise(a, 6); // a's later batch of the same commit
    commit.raise(b, 7); // lower than b's: b's ack still names 9
    await Promise.resolve();
    expect(told).toEqual([]); // not before the commit is on disk
    g.open();
    await g.on;
    await Promise.resolve();
    expect(told).toEqual(['a 6 a', 'b 9 b']);
  });

  it('gives every wait on the same promise the same list, and a new one to the next commit', () => {
    const waits = new DurableWaits();
    const first = gate();
    const second = gate();
    const c1 = waits.for(first.on);
    expect(waits.for(first.on)).toBe(c1);
    const c2 = waits.for(second.on);
    expect(c2).not.toBe(c1);
    expect(c2.on).toBe(second.on);
  });
});
