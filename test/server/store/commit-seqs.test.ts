import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../../shared/log.js';
import { AgentSeqs } from '../../../server/store/agent-seqs.js';
import { CommitPipeline } from '../../../server/store/commit-pipeline.js';
import { openHistoryDb, prepareSchema } from '../../../server/store/schema.js';
import { tempDir, until } from '../../helpers/process.js';

const HOUR = 3_600_000;

describe('agent sequence numbers of one commit', () => {
  it('keeps each session newest number once, an agent second session beside its first', () => {
    const seqs = new AgentSeqs();
    seqs.set('a', 's1', 3);
    seqs.set('b', 's', 7);
    seqs.set('a', 's2', 1); // agent a restarted: a new session while s1's number is still pending
    seqs.set('a', 's1', 4);
    seqs.set('a', 's2', 2);
    expect(seqs.size).toBe(3);
    expect(seqs.get('a', 's1')).toBe(4);
    expect(seqs.get('a', 's2')).toBe(2);
    expect(seqs.get('b', 's')).toBe(7);
    expect(seqs.get('b', 's1')).toBeUndefined();
    expect(seqs.get('c', 's')).toBeUndefined();
    // Agent ids and sessions are joined with a NUL, which neither holds: 'a'+'s1' is not 'a\0s'+'1'.
    expect(seqs.get('a\u0000s', '1')).toBeUndefined();
    expect(seqs.rows().sort()).toEqual([
      ['a', 's1', 4],
      ['a', 's2', 2],
      ['b', 's', 7],
    ]);
  });
});

/** An inline pipeline over a real database whose only pending work is agents' sequence numbers. */
function seqOnlyPipeline() {
  const file = path.join(tempDir(), 'seqs.db');
  const db = openHistoryDb(file);
  prepareSchema(db);
  const pipeline = new CommitPipeline(
    db,
    {
      prepare: () => {},
      hasPending: () => false,
      take: () => ({
        series: [],
        wal: new Float64Array(0),
        walBytes: new Uint8Array(0),
        chunks: new Float64Array(0),
        chunkBytes: new Uint8Array(0),
        trimWalBelow: 0,
        samples: 0,
      }),
    },
    // Commits only when the test flushes (or a failed one is retried).
    {
      file,
      retention: { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR },
      writer: 'inline',
      commitIntervalMs: 600_000,
      log: createLogger('error', 'test', () => {}),
    },
  );
  onTestFinished(async () => {
    await pipeline.close();
    db.close();
  });
  const stored = () =>
    db.prepare('SELECT agent_id, session, last_seq FROM agent_seq ORDER BY agent_id, session').raw().all();
  return { db, pipeline, stored };
}

describe('the commit pipeline and agents sequence numbers', () => {
  it('hands every waiter of one commit the same promise, and each commit resolves in order', async () => {
    const { db, pipeline, stored } = seqOnlyPipeline();
    pipeline.setLastSeq('a', 's1', 3);
    pipeline.setLastSeq('b', 's', 7);
    pipeline.setLastSeq('a', 's2', 1);
    pipeline.setLastSeq('a', 's1', 4);
    const first = pipeline.whenDurable();
    expect(pipeline.whenDurable()).toBe(first);
    expect([pipeline.lastSeq('a', 's1'), pipeline.lastSeq('a', 's2'), pipeline.lastSeq('b', 's')]).toEqual([4, 1, 7]);
    expect(pipeline.lastSeq('c', 's')).toBe(0);

    // The first commit fails (as a full disk would) and stays in flight until its retry a second later.
    db.exec(`CREATE TABLE fail (n INTEGER); INSERT INTO fail VALUES (1);
      CREATE TRIGGER fail_seq BEFORE INSERT ON agent_seq WHEN (SELECT count(*) FROM fail) > 0
      BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    pipeline.flush();
    expect(pipeline.failure).toMatch(/disk full/);
    // Nothing pending now: a waiter waits for the commit in flight, with the others of it.
    expect(pipeline.whenDurable()).toBe(first);
    pipeline.setLastSeq('b', 's', 8);
    const second = pipeline.whenDurable();
    expect(second).not.toBe(first);
    // Read from the commit in flight (a's) and from what is pending (b's).
    expect([pipeline.lastSeq('a', 's1'), pipeline.lastSeq('a', 's2'), pipeline.lastSeq('b', 's')]).toEqual([4, 1, 8]);

    const order: string[] = [];
    let atFirst: unknown[] = [];
    void first.then(() => {
      order.push('first');
      atFirst = stored();
    });
    void second.then(() => order.push('second'));
    db.exec('DELETE FROM fail');
    await until(() => order.length === 1, 5000, 'the retried commit');
    expect(atFirst).toEqual([
      ['a', 's1', 4],
      ['a', 's2', 1],
      ['b', 's', 7],
    ]);
    pipeline.flush();
    await second;
    expect(order).toEqual(['first', 'second']);
    expect(stored()).toEqual([
      ['a', 's1', 4],
      ['a', 's2', 1],
      ['b', 's', 8],
    ]);
    // Nothing pending or in flight: on disk already.
    const none = pipeline.whenDurable();
    expect(none).not.toBe(second);
    await none;
  });
});
