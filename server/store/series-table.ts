import { seriesKey } from '../../shared/series-key.js';
import type { CommitBatch } from './history-writer.js';

/** What a series is; what changes every second (its newest sample, its head) is in typed arrays indexed by id (appender.ts). */
export interface SeriesInfo {
  id: number;
  host: string;
  metric: string;
  labels: Record<string, string>;
}

const keyOf = (host: string, metric: string, labels: Record<string, string> | undefined) =>
  `${host}\u0000${seriesKey(metric, labels)}`;

/**
 * The SQLite store's series: names to numbers and back, and the series
 * numbered since the last commit (they are written with the next one).
 */
export class SeriesTable {
  private readonly ids = new Map<string, number>();
  /** Series per host, for the series limits. */
  private readonly hostSeries = new Map<string, number>();
  /** By id; ids start at 1, and a row that could not be read leaves a hole. */
  readonly byId: (SeriesInfo | undefined)[] = [];
  private nextId: number;
  private created: CommitBatch['series'] = [];

  /**
   * `maxStoredId`: the highest id in the database; `grow(n)` is called
   * whenever ids below n come into use, so per-series columns can follow.
   */
  constructor(
    maxStoredId: number,
    private readonly grow: (n: number) => void,
    private readonly onCreate: () => void,
  ) {
    this.nextId = maxStoredId + 1;
  }

  /** A series read back from the database. */
  load(info: SeriesInfo, key: string): void {
    this.ids.set(key, info.id);
    this.add(info);
  }

  /** The series' number, created on first use. */
  idOf(host: string, metric: string, labels: Record<string, string> | undefined): number {
    const key = keyOf(host, metric, labels);
    let id = this.ids.get(key);
    if (id === undefined) {
      // Numbered now, written with the next commit: a fleet's first connections name hundreds of thousands of series at once.
      const l = { ...(labels ?? {}) };
      id = this.nextId++;
      this.created.push([id, key, host, metric, JSON.stringify(l)]);
      this.ids.set(key, id);
      this.add({ id, host, metric, labels: l });
      this.onCreate();
    }
    return id;
  }

  find(host: string, metric: string, labels: Record<string, string> | undefined): number | undefined {
    return this.ids.get(keyOf(host, metric, labels));
  }

  /** A series by name and labels, if it exists. */
  get(host: string, metric: string, labels: Record<string, string> | undefined): SeriesInfo | undefined {
    const id = this.find(host, metric, labels);
    return id === undefined ? undefined : this.byId[id];
  }

  count(host?: string): number {
    return host === undefined ? this.ids.size : (this.hostSeries.get(host) ?? 0);
  }

  get hasCreated(): boolean {
    return this.created.length > 0;
  }

  /** The series created since the last call, for the next commit. */
  takeCreated(): CommitBatch['series'] {
    const out = this.created;
    this.created = [];
    return out;
  }

  private add(info: SeriesInfo): void {
    this.hostSeries.set(info.host, (this.hostSeries.get(info.host) ?? 0) + 1);
    this.byId[info.id] = info;
    this.grow(info.id + 1);
  }
}
