import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import type { Logger } from '../../shared/log.js';
import { errorMessage } from '../../shared/errors.js';

/** Storage problems found at start or while reading, for /healthz and the log; the newest 50 are kept. */
export class StorageErrors {
  private readonly list: { at: number; message: string }[] = [];

  record(message: string, log?: Logger): void {
    log?.error(message);
    this.list.push({ at: Date.now(), message });
    if (this.list.length > 50) this.list.shift();
  }

  recent(): { at: number; message: string }[] {
    return [...this.list];
  }
}

/** Moves a database and its -wal/-shm aside as `<file>.<why>-<time>`, so a fresh one can start; returns the new name. */
export function setAside(file: string, why: string, now = new Date()): string {
  const aside = `${file}.${why}-${now.toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}

/** The size the SQLite header says the database has (page size × page count), or null when the header is unreadable. */
function headerSize(file: string): number | null {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, 100, 0) < 100) return null;
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return null;
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  return pageSize * header.readUInt32BE(28);
}

/**
 * What is wrong with a history database before it is opened: empty (zero
 * bytes with no write-ahead file to hold its content), not a database,
 * truncated (shorter than its header says), or its write-ahead file missing
 * after an unclean stop (SQLite leaves -shm and -wal behind then; -shm alone
 * means someone deleted -wal and the commits in it are gone). Null when none.
 */
export function preflight(
  file: string,
): { problem: 'empty' | 'not-a-database' | 'truncated' | 'wal-missing'; detail: string } | null {
  if (!existsSync(file)) return null;
  const size = statSync(file).size;
  const walSize = existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
  if (size === 0) {
    if (walSize > 0) return null; // everything is still in the write-ahead file
    return { problem: 'empty', detail: `${file} is empty (0 bytes)` };
  }
  const expected = headerSize(file);
  if (expected === null) return { problem: 'not-a-database', detail: `${file} is not an SQLite database` };
  if (size < expected)
    return { problem: 'truncated', detail: `${file} is truncated: ${size} bytes where its header says ${expected}` };
  if (existsSync(`${file}-shm`) && !existsSync(`${file}-wal`))
    return {
      problem: 'wal-missing',
      detail: `${file}-wal is missing after an unclean stop: commits made since the last checkpoint (at most the last few minutes) are lost`,
    };
  return null;
}

const CORRUPT = /SQLITE_(CORRUPT|NOTADB)|malformed|not a database/i;

/**
 * Opens the history database, never into a crash loop and never silently
 * empty: an empty, truncated, unreadable or corrupt file is moved aside (kept,
 * named in the log and /healthz) and a fresh one started; a missing
 * write-ahead file is reported and the database opened as it is. The way
 * back to the old data: `sqlite3 <kept file> .recover`, then stop the server
 * and put the result in place.
 */
export function openHistory<T>(file: string, open: () => T, errors: StorageErrors, log: Logger): T {
  const found = preflight(file);
  if (found?.problem === 'wal-missing') errors.record(`${found.detail}; opened as it is`, log);
  else if (found) {
    const aside = setAside(file, found.problem);
    errors.record(
      `${found.detail}; kept as ${aside} and starting a fresh database (recover with: sqlite3 ${aside} .recover)`,
      log,
    );
  }
  try {
    return open();
  } catch (err) {
    const message = errorMessage(err);
    if (!CORRUPT.test(message) && !CORRUPT.test((err as { code?: string }).code ?? '')) throw err;
    const aside = setAside(file, 'corrupt');
    errors.record(
      `${file} is corrupt (${message}); kept as ${aside} and starting a fresh database (recover with: sqlite3 ${aside} .recover)`,
      log,
    );
    return open();
  }
}

/** Runs a read of one stored row: the row's value, or undefined when it cannot be read. */
export type RowReader = <T>(what: string, read: () => T) => T | undefined;

/** A row that cannot be read is reported (naming it and the file) and skipped, never fatal. */
export function rowReader(errors: StorageErrors, file: string, log: Logger): RowReader {
  return <T>(what: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      errors.record(`${what} in ${file} cannot be read and was skipped: ${errorMessage(err)}`, log);
      return undefined;
    }
  };
}
