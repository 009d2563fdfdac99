import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistoryDb } from '../../../server/store/schema.js';
import { tempDir } from '../../helpers/process.js';

describe('SQLite page cache bound', () => {
  it('a history connection asks SQLite for an 8 MiB page cache, read back from SQLite', () => {
    // Both the main thread and the writer thread open their connection with openHistoryDb. SQLite reports a
    // cache size given in KiB as its negation: 8 MiB = 8 × 1024 KiB → -8192 (https://sqlite.org/pragma.html#pragma_cache_size).
    const db = openHistoryDb(path.join(tempDir(), 'h.db'));
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-8 * 1024);
    } finally {
      db.close();
    }
  });
});
