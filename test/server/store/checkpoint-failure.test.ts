import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/log.js';
import { CommitPipeline } from '../../../server/store/commit-pipeline.js';
import { HistoryWriter } from '../../../server/store/history-writer.js';
import { openHistoryDb, prepareSchema } from '../../../server/store/schema.js';
import { tempDir } from '../../helpers/process.js';

const HOUR = 3_600_000;
const RETENTION = { rawMs: HOUR, minuteMs: HOUR, hourMs: HOUR };
const failingCheckpoint = () => {
  throw new Error('disk I/O error');
};

/** A commit of one log entry: series 5's sample 2.5 (a zigzag varint step 10, then the float64), agent a's seq. */
function oneEntry(seq: number) {
  const walBytes = new Uint8Array(9);
  walBytes[0] = 10;
  new DataView(walBytes.buffer).setFloat64(1, 2.5, true);
  return {
    seq,
    series: [],
    wal: new Float64Array([seq, 1_700_000_000_000, 1, 0, 9]),
    walBytes,
    chunks: new Float64Array(0),
    chunkBytes: new Uint8Array(0),
    seqs: [['a', 's', seq]] as [string, string, number][],
    trimWalBelow: 0,
    samples: 1,
  };
}

describe('a checkpoint that fails after a commit', () => {
  it('leaves the commit standing and is reported as a checkpoint failure, not a failed commit', () => {
    const file = path.join(tempDir(), 'w.db');
    const db = openHistoryDb(file);
    prepareSchema(db);
    const failures: unknown[] = [];
    const writer = new HistoryWriter(db, RETENTION, {
      checkpointMs: 0,
      checkpoint: failingCheckpoint,
      onCheckpointFailed: (err) => failures.push(err),
    });
    expect(() => writer.commit(oneEntry(1))).not.toThrow();
    expect(failures.map((e) => (e as Error).message)).toEqual(['disk I/O error']);
    // Another connection sees the commit: its number, the log block and the agent's sequence number.
    const other = openHistoryDb(file);
    expect(other.prepare("SELECT value FROM meta WHERE key = 'commit'").get()).toEqual({ value: 1 });
    expect(other.prepare('SELECT id, last_id, n FROM wal_block').all()).toEqual([{ id: 1, last_id: 1, n: 1 }]);
    expect(other.prepare('SELECT last_seq FROM agent_seq').get()).toEqual({ last_seq: 1 });
    other.close();
    db.close();
  });

  it('acknowledges at once through the pipeline, counts the samples and logs the checkpoint, not the commit', async () => {
    const lines: string[] = [];
    const file = path.join(tempDir(), 'p.db');
    const db = openHistoryDb(file);
    prepareSchema(db);
    let pending = true;
    const pipeline = new CommitPipeline(
      db,
      {
        prepare: () => {},
        hasPending: () => pending,
        take: () => ((pending = false), oneEntry(1)),
      },
      {
        file,
        retention: RETENTION,
        writer: 'inline',
        commitIntervalMs: 10,
        log: createLogger('warn', 'test', (l) => lines.push(l)),
        inlineCheckpoints: { checkpointMs: 0, checkpoint: failingCheckpoint },
      },
    );
    const durable = pipeline.whenDurable();
    pipeline.flush(); // inline: on disk when this returns
    await durable;
    expect(pipeline.failure).toBeNull();
    expect(pipeline.samplesWritten).toBe(1);
    expect(pipeline.committedSeq()).toBe(1);
    expect(lines.filter((l) => /checkpointing history failed.*disk I\/O error/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /writing history failed/.test(l))).toEqual([]);
    await pipeline.close();
    db.close();
  });
});
