import { seriesKey } from '../../shared/series-key.js';
import { grown } from './heads.js';
import { HostSeries } from './host-series.js';
import type { CommitBatch } from './history-writer.js';

/** What a series is; what changes every second (its newest sample, its head) is in typed arrays indexed by id (appender.ts). */
export interface SeriesInfo {
  id: number;
  host: string;
  metric: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * A series without its host: metric and labels, numbered by their canonical
 * key. A fleet's hosts report the same few dozen of them, so each is held once
 * for all hosts (its labels frozen: every series of that shape hands out the
 * same object).
 */
interface Shape {
  metric: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * The SQLite store's series: names to numbers and back, and the series
 * numbered since the last commit (they are written with the next one).
 *
 * Per series it holds two numbers in typed arrays (its host's and its shape's)
 * and its id in its host's table of shape numbers (host-series.ts, also a
 * typed array); names and labels are shared (see Shape).
 * As an object, a labels copy and a "host\0key" string each, a series cost
 * ~250 bytes of heap here, and more again in garbage-collector headroom
 * (BENCHMARKS.md, "Memory per active series").
 */
export class SeriesTable {
  private readonly hosts = new Map<string, HostSeries>();
  private readonly hostList: HostSeries[] = [];
  private readonly shapes = new Map<string, number>();
  private readonly shapeList: Shape[] = [];
  /** By id (ids start at 1): its host's number + 1 (0: no series, or a row that could not be read), its shape's number. */
  private hostOf = new Int32Array(0);
  private shapeOf = new Int32Array(0);
  private total = 0;
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

  /** A series read back from the database (`key`: its stored key, host\0shape key). */
  load(info: SeriesInfo, key: string): void {
    const prefix = `${info.host}\u0000`;
    const shapeKey = key.startsWith(prefix) ? key.slice(prefix.length) : seriesKey(info.metric, info.labels);
    this.add(info.id, this.hostNamed(info.host), this.shapeNumber(shapeKey, info.metric, info.labels));
  }

  /** The series' number, created on first use. */
  idOf(host: string, metric: string, labels: Record<string, string> | undefined): number {
    const key = seriesKey(metric, labels);
    const h = this.hostNamed(host);
    const known = this.shapes.get(key);
    let id = known === undefined ? undefined : h.get(known);
    if (id === undefined) {
      // Numbered now, written with the next commit: a fleet's first connections name hundreds of thousands of series at once.
      const shape = known ?? this.shapeNumber(key, metric, labels);
      id = this.nextId++;
      this.created.push([id, `${host}\u0000${key}`, host, metric, JSON.stringify(this.shapeList[shape]!.labels)]);
      this.add(id, h, shape);
      this.onCreate();
    }
    return id;
  }

  find(host: string, metric: string, labels: Record<string, string> | undefined): number | undefined {
    const h = this.hosts.get(host);
    const shape = h && this.shapes.get(seriesKey(metric, labels));
    return shape === undefined ? undefined : h!.get(shape);
  }

  /** A series by name and labels, if it exists. */
  get(host: string, metric: string, labels: Record<string, string> | undefined): SeriesInfo | undefined {
    const id = this.find(host, metric, labels);
    return id === undefined ? undefined : this.info(id);
  }

  has(id: number): boolean {
    return id >= 0 && id < this.hostOf.length && this.hostOf[id]! > 0;
  }

  /** A series by number (a new object each call). */
  info(id: number): SeriesInfo | undefined {
    if (!this.has(id)) return undefined;
    const shape = this.shapeList[this.shapeOf[id]!]!;
    return { id, host: this.hostList[this.hostOf[id]! - 1]!.name, metric: shape.metric, labels: shape.labels };
  }

  /** Ids of every series, lowest first. */
  *ids(): Iterable<number> {
    for (let id = 0; id < this.hostOf.length; id++) if (this.hostOf[id]! > 0) yield id;
  }

  /** Ids of one host's series. */
  hostIds(host: string): Iterable<number> {
    return this.hosts.get(host)?.ids() ?? [];
  }

  count(host?: string): number {
    return host === undefined ? this.total : (this.hosts.get(host)?.size ?? 0);
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

  private hostNamed(name: string): HostSeries {
    let h = this.hosts.get(name);
    if (!h) {
      h = new HostSeries(name, this.hostList.length);
      this.hosts.set(name, h);
      this.hostList.push(h);
    }
    return h;
  }

  private shapeNumber(key: string, metric: string, labels: Record<string, string> | undefined): number {
    let n = this.shapes.get(key);
    if (n === undefined) {
      n = this.shapeList.length;
      this.shapeList.push({ metric, labels: Object.freeze({ ...(labels ?? {}) }) });
      this.shapes.set(key, n);
    }
    return n;
  }

  private add(id: number, h: HostSeries, shape: number): void {
    if (id >= this.hostOf.length) {
      const cap = Math.max(id + 1, 2 * this.hostOf.length, 1024);
      this.hostOf = grown(this.hostOf, cap);
      this.shapeOf = grown(this.shapeOf, cap);
    }
    h.set(shape, id);
    this.hostOf[id] = h.index + 1;
    this.shapeOf[id] = shape;
    this.total++;
    this.grow(id + 1);
  }
}
