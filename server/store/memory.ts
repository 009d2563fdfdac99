import { seriesKey } from '../../shared/series-key.js';
import type { LatestValue, SeriesQuery, SeriesResult, Store } from './store.js';

const INITIAL_POINTS = 8;

/**
 * A ring of up to `capacity` (timestamp, value) pairs; null values are kept as NaN. Its arrays start small and
 * double as points arrive: allocated whole, an hour's 4 000 points cost 64 KB a series at once, which a flood
 * of new series (each with a point or two) turned into 1.2 GB at 20 000 series.
 */
class Ring {
  private ts: Float64Array;
  private values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(Math.min(INITIAL_POINTS, capacity));
    this.values = new Float64Array(Math.min(INITIAL_POINTS, capacity));
  }

  push(ts: number, value: number | null): void {
    // Out-of-order points (clock steps) would break binary search; keep time order.
    if (this.count > 0 && ts <= this.lastTs()) return;
    if (this.count === this.ts.length && this.count < this.capacity) this.grow();
    const size = this.ts.length;
    const idx = (this.start + this.count) % size;
    this.ts[idx] = ts;
    this.values[idx] = value ?? NaN;
    if (this.count < size) this.count++;
    else this.start = (this.start + 1) % size;
  }

  /** Doubles the arrays (up to capacity). Only a full ring wraps, so until then its points start at 0. */
  private grow(): void {
    const size = Math.min(this.capacity, this.ts.length * 2);
    const ts = new Float64Array(size);
    const values = new Float64Array(size);
    ts.set(this.ts);
    values.set(this.values);
    this.ts = ts;
    this.values = values;
  }

  lastTs(): number {
    return this.ts[(this.start + this.count - 1) % this.ts.length]!;
  }

  last(): { ts: number; value: number | null } | null {
    if (this.count === 0) return null;
    const idx = (this.start + this.count - 1) % this.ts.length;
    const v = this.values[idx]!;
    return { ts: this.ts[idx]!, value: Number.isNaN(v) ? null : v };
  }

  range(from: number, to: number): [number, number | null][] {
    const out: [number, number | null][] = [];
    // Binary search for the first point >= from.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[(this.start + mid) % this.ts.length]! < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count; i++) {
      const idx = (this.start + i) % this.ts.length;
      const t = this.ts[idx]!;
      if (t > to) break;
      const v = this.values[idx]!;
      out.push([t, Number.isNaN(v) ? null : v]);
    }
    return out;
  }
}

interface Series {
  host: string;
  metric: string;
  labels: Record<string, string>;
  ring: Ring;
}

/** Recent history in memory: `pointsPerSeries` points per series (default one hour at 1 s, with slack). */
export class MemoryStore implements Store {
  private readonly ids = new Map<string, number>();
  private readonly series: Series[] = [];
  private readonly byHost = new Map<string, Series[]>();
  private readonly seqs = new Map<string, number>();

  constructor(private readonly pointsPerSeries = 4000) {}

  seriesId(host: string, metric: string, labels: Record<string, string> | undefined): number {
    const key = `${host}\u0000${seriesKey(metric, labels)}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.series.length;
      const s: Series = { host, metric, labels: { ...(labels ?? {}) }, ring: new Ring(this.pointsPerSeries) };
      this.series.push(s);
      this.ids.set(key, id);
      const list = this.byHost.get(host);
      if (list) list.push(s);
      else this.byHost.set(host, [s]);
    }
    return id;
  }

  findSeriesId(host: string, metric: string, labels: Record<string, string> | undefined): number | undefined {
    return this.ids.get(`${host}\u0000${seriesKey(metric, labels)}`);
  }

  seriesCount(host?: string): number {
    return host === undefined ? this.series.length : (this.byHost.get(host)?.length ?? 0);
  }

  appendValues(ts: number, ids: ArrayLike<number>, values: ArrayLike<number | null>): void {
    for (let i = 0; i < ids.length; i++) this.series[ids[i]!]?.ring.push(ts, values[i]!);
  }

  query(q: SeriesQuery): SeriesResult[] {
    const out: SeriesResult[] = [];
    const wanted = Object.entries(q.labels ?? {});
    for (const s of this.byHost.get(q.host) ?? []) {
      if (s.metric !== q.metric) continue;
      if (!wanted.every(([k, v]) => s.labels[k] === v)) continue;
      out.push({ metric: s.metric, labels: s.labels, points: s.ring.range(q.from, q.to) });
    }
    return out.sort((a, b) => seriesKey(a.metric, a.labels).localeCompare(seriesKey(b.metric, b.labels)));
  }

  *latest(): Iterable<LatestValue> {
    for (const s of this.series) {
      const last = s.ring.last();
      if (last) yield { host: s.host, metric: s.metric, labels: s.labels, ts: last.ts, value: last.value };
    }
  }

  knownHosts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.latest()) out.set(l.host, Math.max(out.get(l.host) ?? 0, l.ts));
    return out;
  }

  lastSeq(agentId: string, session: string): number {
    return this.seqs.get(`${agentId}/${session}`) ?? 0;
  }

  /** Nothing waits for a disk here: what is stored is as kept as it will be. */
  durableSeq(agentId: string, session: string): number {
    return this.lastSeq(agentId, session);
  }

  setLastSeq(agentId: string, session: string, seq: number): void {
    this.seqs.set(`${agentId}/${session}`, seq);
  }

  /** Nothing is written: every point is returned, nothing fails, nothing waits. */
  readonly samplesWritten = null;
  readonly failure = null;

  resolutionFor(): null {
    return null;
  }

  storageErrors(): { at: number; message: string }[] {
    return [];
  }

  whenDurable(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {}
}
