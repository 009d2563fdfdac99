import type Database from 'better-sqlite3';
import type { Appender } from './appender.js';
import { decodeChunk } from './chunk-codec.js';
import type { RowReader } from './integrity.js';
import type { SeriesTable } from './series-table.js';
import { readWalBlock } from './wal-block.js';

/**
 * What a start reads back (as Prometheus replays its head from the WAL): the
 * series, each one's newest value from its newest chunk, then the write-ahead
 * log replayed into the heads. A row that cannot be read is reported and
 * skipped (`readRow`), never fatal.
 */
export function replay(db: Database.Database, series: SeriesTable, appender: Appender, readRow: RowReader): void {
  loadSeries(db, series, readRow);
  loadNewestValues(db, series, appender, readRow);
  for (const row of db
    .prepare('SELECT id, last_id, n, batches, data FROM wal_block ORDER BY id')
    .iterate() as Iterable<{
    id: number;
    last_id: number;
    n: number;
    batches: Buffer;
    data: Buffer;
  }>) {
    // A block is decoded whole before any of it goes into the heads: a corrupt one is skipped entire.
    const block = readRow(`write-ahead log block ${row.id}`, () => readWalBlock(row));
    if (!block) continue;
    let k = 0;
    for (const b of block.batches)
      for (const end = k + b.n; k < end; k++) {
        const id = block.series[k]!;
        if (series.has(id)) appender.push(id, b.ts, block.values[k]!, b.id);
      }
  }
}

function loadSeries(db: Database.Database, series: SeriesTable, readRow: RowReader): void {
  for (const row of db.prepare('SELECT id, key, host, metric, labels FROM series').all() as {
    id: number;
    key: string;
    host: string;
    metric: string;
    labels: string;
  }[]) {
    const labels = readRow(`series row ${row.id} (${row.key.replace('\u0000', ' ')})`, () => labelsOf(row.labels));
    if (labels) series.load({ id: row.id, host: row.host, metric: row.metric, labels }, row.key);
  }
}

function loadNewestValues(db: Database.Database, series: SeriesTable, appender: Appender, readRow: RowReader): void {
  const newest = db
    .prepare(
      'SELECT series_id, start_ts, n, data FROM chunks WHERE id IN (SELECT max(id) FROM chunks GROUP BY series_id)',
    )
    .all() as { series_id: number; start_ts: number; n: number; data: Buffer }[];
  const { lastTs, lastValue } = appender.cols;
  for (const c of newest) {
    const id = c.series_id;
    if (series.has(id))
      readRow(`newest chunk of series ${id}`, () =>
        decodeChunk(c.data, c.start_ts, c.n, (ts, v) => ((lastTs[id] = ts), (lastValue[id] = v ?? NaN))),
      );
  }
}

/** A series row's labels: a JSON object of strings. */
function labelsOf(json: string): Record<string, string> {
  const l = JSON.parse(json) as unknown;
  if (typeof l !== 'object' || l === null || Array.isArray(l) || Object.values(l).some((v) => typeof v !== 'string'))
    throw new Error('labels are not an object of strings');
  return l as Record<string, string>;
}
