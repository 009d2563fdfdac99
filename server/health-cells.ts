/**
 * The latest value of each gauge a verdict reads, for one host and one batch
 * shape, in typed arrays. A batch writes a few numbers here; the host's maps
 * (`HostGauges`) are brought up to date only when a verdict is asked for
 * (`flush`), not with a `Map.set` per slot and batch.
 *
 * The maps' iteration order is part of the verdict (of two equally busy disks
 * the first in the map is named; reasons follow it), so a key still takes its
 * place in its map at its first value, as a `Map.set` per batch would give it;
 * only the updates of keys already there are deferred.
 */
import type { SeriesRef } from '../shared/protocol.js';
import type { HostGauges } from './health.js';

/** What a tracked slot feeds. */
const Gauge = { Saturated: 0, DiskUtil: 1, DiskAqu: 2, Tickets: 3, Queued: 4, Lock: 5 } as const;
type Gauge = (typeof Gauge)[keyof typeof Gauge];

const GAUGE_OF: Record<string, Gauge> = {
  disk_saturated: Gauge.Saturated,
  disk_util_percent: Gauge.DiskUtil,
  disk_aqu_sz: Gauge.DiskAqu,
  mongod_tickets_util_percent: Gauge.Tickets,
  mongod_queued: Gauge.Queued,
  mongod_lock_percent: Gauge.Lock,
};

/** The map a keyed gauge's values live in (the saturated set and the two numbers have no order that shows). */
function mapOf(g: HostGauges, gauge: Gauge): Map<string, number> | null {
  return gauge === Gauge.DiskUtil
    ? g.diskUtil
    : gauge === Gauge.DiskAqu
      ? g.diskAqu
      : gauge === Gauge.Tickets
        ? g.tickets
        : null;
}

/**
 * Which slots of one series array feed a gauge, and a cell per distinct gauge
 * and device (or op) they feed: two slots of one key (two mongods' `op="read"`
 * tickets) share a cell, so the later slot's value wins, as in the maps.
 */
export class GaugeCells {
  /** The tracked slots' indices in the batch, and the cell each writes. */
  private readonly at: Int32Array;
  private readonly cellOf: Int32Array;
  private readonly gauge: Uint8Array;
  private readonly key: string[];
  /** The cell's latest value (NaN: none yet under this shape). */
  private readonly value: Float64Array;
  /** 1 once the cell's key has its place in its map (always for gauges without one). */
  private readonly placed: Uint8Array;
  /** For %util cells: the key's position in `diskUtil`'s iteration order. */
  private readonly rank: Float64Array;
  private readonly utilCells: Int32Array;
  /** The busiest of the %util keys this shape does not feed (their values stay as they were): key, value, position. */
  private staleDisk: string | null = null;
  private staleUtil = -1;
  private staleRank = Infinity;
  private dirty = false;
  /** What `busiest` found: the disk with the highest %util, first in map order on a tie (null: none above -1). */
  busiestDisk: string | null = null;
  busiestUtil = -1;

  constructor(
    readonly shape: readonly SeriesRef[] | null,
    g: HostGauges,
  ) {
    const at: number[] = [];
    const cellOf: number[] = [];
    const cellByKey = new Map<string, number>();
    const gauges: Gauge[] = [];
    this.key = [];
    for (let i = 0; i < (shape?.length ?? 0); i++) {
      const { m, l } = shape![i]!;
      const gauge = Object.hasOwn(GAUGE_OF, m) ? GAUGE_OF[m]! : undefined;
      if (gauge === undefined) continue;
      if (gauge === Gauge.Queued && l?.op !== 'total') continue;
      const key = (gauge === Gauge.Tickets ? l?.op : l?.device) ?? '';
      const id = `${gauge}\u0000${gauge === Gauge.Queued || gauge === Gauge.Lock ? '' : key}`;
      let cell = cellByKey.get(id);
      if (cell === undefined) {
        cellByKey.set(id, (cell = gauges.length));
        gauges.push(gauge);
        this.key.push(key);
      }
      at.push(i);
      cellOf.push(cell);
    }
    this.at = Int32Array.from(at);
    this.cellOf = Int32Array.from(cellOf);
    this.gauge = Uint8Array.from(gauges);
    this.value = new Float64Array(gauges.length).fill(NaN);
    this.placed = new Uint8Array(gauges.length).fill(1);
    this.rank = new Float64Array(gauges.length).fill(Infinity);
    for (let c = 0; c < gauges.length; c++) {
      const map = mapOf(g, gauges[c]!);
      if (!map) continue;
      const v = map.get(this.key[c]!);
      if (v === undefined) this.placed[c] = 0;
      else this.value[c] = v;
    }
    this.utilCells = Int32Array.from(gauges.flatMap((gauge, c) => (gauge === Gauge.DiskUtil ? [c] : [])));
    this.rankDisks(g);
  }

  /** Each fed %util key's position in the map, and the busiest of the keys not fed (map order breaks ties). */
  private rankDisks(g: HostGauges): void {
    const fed = new Map<string, number>();
    for (const c of this.utilCells) fed.set(this.key[c]!, c);
    let position = 0;
    for (const [d, u] of g.diskUtil) {
      const c = fed.get(d);
      if (c !== undefined) this.rank[c] = position;
      else if (u > this.staleUtil) [this.staleDisk, this.staleUtil, this.staleRank] = [d, u, position];
      position++;
    }
  }

  /** Takes one batch's values (NaN, a null, leaves a gauge as it was). */
  take(values: Float64Array, g: HostGauges): void {
    const { at, cellOf, value, placed } = this;
    for (let j = 0; j < at.length; j++) {
      const v = values[at[j]!]!;
      if (v !== v) continue;
      const c = cellOf[j]!;
      if (placed[c] === 0) this.place(c, v, g);
      value[c] = v;
    }
    this.dirty = true;
  }

  /** A key's first value: its entry goes into its map now, so the map's order is that of first values. */
  private place(c: number, v: number, g: HostGauges): void {
    const map = mapOf(g, this.gauge[c]! as Gauge)!;
    map.set(this.key[c]!, v);
    if (this.gauge[c] === Gauge.DiskUtil) this.rank[c] = map.size - 1; // diskUtil never loses a key
    this.placed[c] = 1;
  }

  /** The disk with the highest %util over every key `diskUtil` holds, as a scan of the map in its order finds it. */
  busiest(): void {
    let disk = this.staleDisk;
    let util = this.staleUtil;
    let rank = this.staleRank;
    const { utilCells, value, placed } = this;
    for (let k = 0; k < utilCells.length; k++) {
      const c = utilCells[k]!;
      if (placed[c] === 0) continue;
      const v = value[c]!;
      if (v > util || (v === util && disk !== null && this.rank[c]! < rank)) {
        disk = this.key[c]!;
        util = v;
        rank = this.rank[c]!;
      }
    }
    this.busiestDisk = disk;
    this.busiestUtil = util;
  }

  /** Brings the host's maps and numbers up to the cells' latest values. */
  flush(g: HostGauges): void {
    if (!this.dirty) return;
    this.dirty = false;
    const { gauge, key, value } = this;
    for (let c = 0; c < gauge.length; c++) {
      const v = value[c]!;
      if (v !== v) continue;
      switch (gauge[c]) {
        case Gauge.Saturated:
          if (v >= 1) g.saturated.add(key[c]!);
          else g.saturated.delete(key[c]!);
          break;
        case Gauge.Queued:
          g.queued = v;
          break;
        case Gauge.Lock:
          g.lockPercent = v;
          break;
        default:
          mapOf(g, gauge[c]! as Gauge)!.set(key[c]!, v); // a key already placed: its position stays
      }
    }
  }
}
