import { grown } from './store/heads.js';

/** A slot not resolved yet (store ids are ≥ 0; -1 is a series the limits refused). */
const UNRESOLVED = -2;

/**
 * A session's series-table slots → their series ids in the store (-1: refused
 * by the series limits), each slot resolved once per table. In Int32Arrays,
 * which the garbage collector does not scan: as arrays of numbers they were
 * ~2.4 KB of heap per session (BENCHMARKS.md, "Per-host series ids off the
 * heap").
 */
export class SlotStoreIds {
  /** By slot; grows by doubling. */
  private bySlot = new Int32Array(0);
  /** The last batch's slots array and its ids, unless one was refused: a steady session's batches share them (SessionSeries.inOrder). */
  private lastSlots: readonly number[] | null = null;
  private lastIds: Int32Array | null = null;

  /** The ids of a batch with the same slots array as the last one: no work, no garbage. */
  last(slots: readonly number[]): Int32Array | null {
    return slots === this.lastSlots ? this.lastIds : null;
  }

  /** Whether these are the ids `last` hands out (they hold no refusal). */
  isLast(ids: Int32Array): boolean {
    return ids === this.lastIds;
  }

  /** Each slot's id, those not resolved yet through `resolve`. */
  resolve(slots: readonly number[], resolve: (slot: number) => number): Int32Array {
    const ids = new Int32Array(slots.length);
    let refused = false;
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j]!;
      if (slot >= this.bySlot.length)
        this.bySlot = grown(this.bySlot, Math.max(slot + 1, 2 * this.bySlot.length, 16), UNRESOLVED);
      let id = this.bySlot[slot]!;
      if (id === UNRESOLVED) id = this.bySlot[slot] = resolve(slot);
      ids[j] = id;
      refused ||= id < 0;
    }
    this.lastSlots = refused ? null : slots;
    this.lastIds = refused ? null : ids;
    return ids;
  }

  /** A new series table (a hello's): no slot resolved. */
  reset(): void {
    this.bySlot.fill(UNRESOLVED);
    this.lastSlots = null;
    this.lastIds = null;
  }
}
