/**
 * The history database's layout: its tables, how a connection is opened, the
 * bounds of a chunk, and the migrations from earlier layouts (one row per
 * sample; one log row per batch). Both the main thread and the writer thread
 * use these.
 */
import Database from 'better-sqlite3';
import { asBuffer } from './bytes.js';
import { ChunkEncoder } from './chunk-codec.js';
import { walBlockIndex } from './wal-block.js';

/** A head is sealed early at this many samples or this time span (a replay after an outage arrives all at once). */
export const MAX_CHUNK_SAMPLES = 600;
export const MAX_CHUNK_SPAN_MS = 10 * 60_000;

const rollupTable = (t: string) =>
  `CREATE TABLE IF NOT EXISTS ${t} (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL, max REAL, sum REAL, count INTEGER, last REAL, last_ts INTEGER, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;`;

/** The store's tables; creating them is a no-op when they exist. */
export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, host TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS chunks (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, start_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE INDEX IF NOT EXISTS chunks_by_series ON chunks (series_id, start_ts);
  CREATE INDEX IF NOT EXISTS chunks_by_end ON chunks (end_ts);
  CREATE TABLE IF NOT EXISTS wal_block (id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, n INTEGER NOT NULL, batches BLOB NOT NULL, data BLOB NOT NULL);
  ${rollupTable('rollup_1m')}
  ${rollupTable('rollup_1h')}
  CREATE TABLE IF NOT EXISTS agent_seq (agent_id TEXT NOT NULL, session TEXT NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (agent_id, session)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * Each connection's page cache (the main thread's and the writer thread's), in KiB. Writes touch a leaf per
 * series in the chunk index and the rollup tables, so a larger cache fills with one page per series, up to its
 * size (64 MiB each took ~0.5 KB per series up to ~130 000 series); a miss is a read from the OS's page cache.
 * Measured in BENCHMARKS.md, "Memory per active series: outside the heap".
 */
export const PAGE_CACHE_KIB = 8192;

/** Opens a connection the way both sides use it. */
export function openHistoryDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across a process crash, fast
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`); // negative: KiB rather than pages
  db.pragma('busy_timeout = 5000'); // the other side's checkpoint or schema work is brief
  return db;
}

/** Creates what is missing and converts an earlier layout: run once at start, before anything reads. */
export function prepareSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  migrateRowPerSampleTable(db);
  migrateRowPerBatchLog(db);
}

/**
 * Databases written before log blocks kept one `wal` row per batch (id, ts,
 * n, data). Each such row becomes a block of one batch, with its bytes as
 * they are (the sample encoding did not change), once, at the first start.
 */
function migrateRowPerBatchLog(db: Database.Database): void {
  const old = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'wal'").get();
  if (!old) return;
  const insert = db.prepare('INSERT INTO wal_block (id, last_id, n, batches, data) VALUES (?, ?, ?, ?, ?)');
  // A page of rows at a time (ids start at 1): a busy server's log can hold minutes of every agent's batches.
  const page = db.prepare('SELECT id, ts, n, data FROM wal WHERE id > ? ORDER BY id LIMIT 1000');
  db.transaction(() => {
    for (let after = 0; ;) {
      const rows = page.all(after) as { id: number; ts: number; n: number; data: Buffer }[];
      if (rows.length === 0) break;
      for (const r of rows) {
        const batches = walBlockIndex(new Float64Array([r.id, r.ts, r.n, 0, r.data.length]));
        insert.run(r.id, r.id, r.n, asBuffer(batches), r.data);
      }
      after = rows[rows.length - 1]!.id;
    }
    db.exec('DROP TABLE wal');
  })();
}

/**
 * Databases written before chunks kept one row per sample in `samples`.
 * Their rows become chunks once, at the first start (rollups were already
 * kept then, so they are left as they are).
 */
function migrateRowPerSampleTable(db: Database.Database): void {
  const old = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'samples'").get();
  if (!old) return;
  const insert = db.prepare('INSERT INTO chunks (series_id, start_ts, end_ts, n, data) VALUES (?, ?, ?, ?, ?)');
  const rowsOf = db.prepare('SELECT ts, value FROM samples WHERE series_id = ? ORDER BY ts');
  // One series at a time (SQLite cannot insert while a read on the same connection is open).
  const ids = (db.prepare('SELECT DISTINCT series_id AS id FROM samples').all() as { id: number }[]).map((r) => r.id);
  db.transaction(() => {
    for (const id of ids) {
      let enc: ChunkEncoder | null = null;
      const write = (e: ChunkEncoder) => insert.run(id, e.firstTs, e.lastTs, e.count, asBuffer(e.view()));
      for (const r of rowsOf.all(id) as { ts: number; value: number | null }[]) {
        if (enc && (enc.count >= MAX_CHUNK_SAMPLES || r.ts - enc.firstTs >= MAX_CHUNK_SPAN_MS)) {
          write(enc);
          enc = null;
        }
        enc ??= new ChunkEncoder();
        enc.push(r.ts, r.value);
      }
      if (enc) write(enc);
    }
    db.exec('DROP TABLE samples');
  })();
}
