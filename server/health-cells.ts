/**
 * One host's gauges for its verdict, as entries in typed arrays: a batch
 * writes a few numbers, with no `Map.set` per slot and batch, and a verdict
 * reads the entries through `HostGauges`' views.
 *
 * The order of a gauge's keys is part of the verdict (of two equally busy
 * disks the first is named; reasons follow it). It is the order of each
 * key's first value, as a `Map` set at every batch kept it: an entry is added
 * at its key's first value (not at its slot), and a key stays (with its last
 * value) when a new series array no longer feeds it.
 */
import type { SeriesRef } from '../shared/protocol.js';
import type { GaugeReadings, HostGauges } from './health.js';

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

/** A gauge's entries as a reading per key, in the order of first values. */
class Readings implements GaugeReadings {
  constructor(
    private readonly all: GaugeEntries,
    private readonly gauge: Gauge,
  ) {}

  get(key: string): number | undefined {
    const e = this.all.entryOf(this.gauge, key);
    return e === undefined ? undefined : this.all.values[e];
  }

  *[Symbol.iterator](): Iterator<[string, number]> {
    const { kinds, keys, values, count } = this.all;
    for (let e = 0; e < count; e++) if (kinds[e] === this.gauge) yield [keys[e]!, values[e]!];
  }
}

/** The devices whose latest `disk_saturated` is 1 (the agent's rule), in the order of first values. */
class Saturated {
  constructor(private readonly all: GaugeEntries) {}

  has(device: string): boolean {
    const e = this.all.entryOf(Gauge.Saturated, device);
    return e !== undefined && this.all.values[e]! >= 1;
  }

  *[Symbol.iterator](): Iterator<string> {
    const { kinds, keys, values, count } = this.all;
    for (let e = 0; e < count; e++) if (kinds[e] === Gauge.Saturated && values[e]! >= 1) yield keys[e]!;
  }
}

/** Every gauge key a host's batches have given a value, its latest value, and views for the verdict. */
export class GaugeEntries implements HostGauges {
  count = 0;
  keys: string[] = [];
  kinds: Gauge[] = [];
  values = new Float64Array(16);
  /** The %util entries in order, for the sparkline's busiest disk at every batch. */
  util = new Int32Array(4);
  utilCount = 0;
  private readonly index = new Map<string, number>();
  readonly saturated = new Saturated(this);
  readonly diskUtil = new Readings(this, Gauge.DiskUtil);
  readonly diskAqu = new Readings(this, Gauge.DiskAqu);
  readonly tickets = new Readings(this, Gauge.Tickets);

  /** The entries of the two single figures (-1: no value yet). */
  private queuedAt = -1;
  private lockAt = -1;

  get queued(): number | null {
    return this.queuedAt < 0 ? null : this.values[this.queuedAt]!;
  }

  get lockPercent(): number | null {
    return this.lockAt < 0 ? null : this.values[this.lockAt]!;
  }

  entryOf(gauge: Gauge, key: string): number | undefined {
    return this.index.get(`${gauge}\u0000${key}`);
  }

  /** A key's first value: its entry goes after every entry there is. */
  add(gauge: Gauge, key: string): number {
    const e = this.count++;
    if (e === this.values.length) this.values = grow(this.values, new Float64Array(e * 2));
    this.keys.push(key);
    this.kinds.push(gauge);
    this.index.set(`${gauge}\u0000${key}`, e);
    if (gauge === Gauge.Queued) this.queuedAt = e;
    else if (gauge === Gauge.Lock) this.lockAt = e;
    if (gauge === Gauge.DiskUtil) {
      if (this.utilCount === this.util.length) this.util = grow(this.util, new Int32Array(this.utilCount * 2));
      this.util[this.utilCount++] = e;
    }
    return e;
  }

  /** The disk with the highest %util, the first in order on a tie; none at or under -1 (a scan of the keys in order). */
  busiest(): number {
    let worst = -1;
    let worstUtil = -1;
    const { util, values } = this;
    for (let k = 0; k < this.utilCount; k++) {
      const u = values[util[k]!]!;
      if (u > worstUtil) {
        worst = util[k]!;
        worstUtil = u;
      }
    }
    return worst;
  }
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Which slots of one series array feed a gauge and the entry each writes.
 * A steady session's batches share one series array (SessionSeries.inOrder)
 * that no one changes, so this is worked out once per array. Two slots of
 * one key (two mongods' `op="read"` tickets) write one entry: the later
 * slot's value wins, a null (NaN) in it leaves the earlier's.
 */
export class SlotPlan {
  /** Per tracked slot: its index in the batch, then its entry (-1 until its key has had a value). */
  private readonly slots: Int32Array;
  private readonly gauge: Gauge[] = [];
  private readonly key: string[] = [];
  private unplaced = 0;

  constructor(
    readonly shape: readonly SeriesRef[] | null,
    all: GaugeEntries,
  ) {
    const slots: number[] = [];
    for (let i = 0; i < (shape?.length ?? 0); i++) {
      const { m, l } = shape![i]!;
      const gauge = Object.hasOwn(GAUGE_OF, m) ? GAUGE_OF[m]! : undefined;
      if (gauge === undefined) continue;
      if (gauge === Gauge.Queued && l?.op !== 'total') continue;
      const key =
        gauge === Gauge.Queued || gauge === Gauge.Lock ? '' : ((gauge === Gauge.Tickets ? l?.op : l?.device) ?? '');
      const e = all.entryOf(gauge, key) ?? -1;
      if (e < 0) this.unplaced++;
      slots.push(i, e);
      this.gauge.push(gauge);
      this.key.push(key);
    }
    this.slots = Int32Array.from(slots);
  }

  /** Takes one batch's values (a null, NaN, leaves a gauge as it was). */
  take(values: Float64Array, all: GaugeEntries): void {
    const { slots } = this;
    if (this.unplaced > 0) return this.takePlacing(values, all);
    const latest = all.values;
    for (let j = 0; j < slots.length; j += 2) {
      const v = values[slots[j]!]!;
      if (v === v) latest[slots[j + 1]!] = v;
    }
  }

  /** As `take`, while some key has had no value yet: at its first, it gets its entry (and its place in the order). */
  private takePlacing(values: Float64Array, all: GaugeEntries): void {
    const { slots } = this;
    for (let j = 0; j < slots.length; j += 2) {
      const v = values[slots[j]!]!;
      if (v !== v) continue;
      let e = slots[j + 1]!;
      if (e < 0) e = this.place(j >> 1, all);
      all.values[e] = v;
    }
  }

  /** Adds the entry of tracked slot `s`'s key, for it and every other slot of the same key. */
  private place(s: number, all: GaugeEntries): number {
    const e = all.add(this.gauge[s]!, this.key[s]!);
    for (let t = 0; t < this.gauge.length; t++) {
      if (this.slots[2 * t + 1] !== -1 || this.gauge[t] !== this.gauge[s] || this.key[t] !== this.key[s]) continue;
      this.slots[2 * t + 1] = e;
      this.unplaced--;
    }
    return e;
  }
}
