/**
 * One host's series: shape number → series id (see SeriesTable), in one
 * Int32Array, which the garbage collector does not scan. A Map of shape keys
 * per host held ~3.7 KB of heap for a host's ~100 series, marked at every
 * major collection (BENCHMARKS.md, "Per-host series ids off the heap").
 *
 * An open-addressing table: slot i is (shape + 1, id) at 2i and 2i + 1 (0:
 * empty); a shape's first slot is its number modulo the capacity, then the
 * next ones. Shapes are numbered from 0 as first seen and a fleet's hosts
 * share them, so most shapes get a slot of their own; a shape only some hosts
 * have (a label value of one host) costs those hosts a slot each, not every
 * host a slot per shape of the fleet. Past half full the table doubles. After
 * the slots come the ids in the order they were added.
 */
export class HostSeries {
  /** Series of this host. */
  size = 0;
  private capacity: number;
  private table: Int32Array;

  constructor(
    readonly name: string,
    /** Its place in SeriesTable's host list. */
    readonly index: number,
    capacity = 32,
  ) {
    this.capacity = capacity;
    this.table = new Int32Array(2.5 * capacity);
  }

  /** The id of this host's series of that shape, if it has one. */
  get(shape: number): number | undefined {
    const t = this.table;
    const mask = this.capacity - 1;
    for (let i = shape & mask; ; i = (i + 1) & mask) {
      const k = t[2 * i]!;
      if (k === shape + 1) return t[2 * i + 1];
      if (k === 0) return undefined;
    }
  }

  /** Sets the id of this host's series of that shape (a second id for a shape takes the first one's place). */
  set(shape: number, id: number): void {
    if (2 * (this.size + 1) > this.capacity) this.grow();
    const t = this.table;
    const mask = this.capacity - 1;
    let i = shape & mask;
    for (; t[2 * i] !== 0; i = (i + 1) & mask) {
      if (t[2 * i] !== shape + 1) continue;
      const order = this.ids();
      order[order.indexOf(t[2 * i + 1]!)] = id;
      t[2 * i + 1] = id;
      return;
    }
    t[2 * i] = shape + 1;
    t[2 * i + 1] = id;
    t[2 * this.capacity + this.size++] = id;
  }

  /** The ids, in the order they were added (a view: valid until the next set). */
  ids(): Int32Array {
    const start = 2 * this.capacity;
    return this.table.subarray(start, start + this.size);
  }

  private grow(): void {
    const old = this.table;
    const oldCapacity = this.capacity;
    this.capacity *= 2;
    this.table = new Int32Array(2.5 * this.capacity);
    const order = old.subarray(2 * oldCapacity, 2 * oldCapacity + this.size);
    this.table.set(order, 2 * this.capacity);
    const mask = this.capacity - 1;
    for (let j = 0; j < oldCapacity; j++) {
      const k = old[2 * j]!;
      if (k === 0) continue;
      let i = (k - 1) & mask;
      while (this.table[2 * i] !== 0) i = (i + 1) & mask;
      this.table[2 * i] = k;
      this.table[2 * i + 1] = old[2 * j + 1]!;
    }
  }
}
