/**
 * The SQLite store's writer in a worker thread: commits and pruning run on the
 * second core while the main thread ingests, fans out and answers queries.
 * Messages in: {type: 'commit', batch}, {type: 'prune', now}, {type: 'close'};
 * out: {type: 'ready'}, {type: 'committed', seq}, {type: 'failed', seq, error},
 * {type: 'prune-failed', error}, {type: 'checkpoint-failed', error}, {type: 'closed'}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryWriter, type CommitBatch, type Retention } from './history-writer.js';
import { openHistoryDb } from './schema.js';
import { errorMessage } from '../../shared/errors.js';

const { file, retention } = workerData as { file: string; retention: Retention };
const db = openHistoryDb(file);
const port = parentPort!;
const writer = new HistoryWriter(db, retention, {
  onCheckpointFailed: (err) => port.postMessage({ type: 'checkpoint-failed', error: errorMessage(err) }),
});
port.postMessage({ type: 'ready' });

port.on('message', (m: { type: 'commit'; batch: CommitBatch } | { type: 'prune'; now: number } | { type: 'close' }) => {
  switch (m.type) {
    case 'commit':
      try {
        writer.commit(m.batch);
        port.postMessage({ type: 'committed', seq: m.batch.seq });
      } catch (err) {
        port.postMessage({ type: 'failed', seq: m.batch.seq, error: errorMessage(err) });
      }
      break;
    case 'prune':
      try {
        writer.prune(m.now);
      } catch (err) {
        port.postMessage({ type: 'prune-failed', error: errorMessage(err) });
      }
      break;
    case 'close':
      db.close();
      port.postMessage({ type: 'closed' });
      break;
  }
});
