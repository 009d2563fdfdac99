/**
 * The fleet overview: a tile per host, worst first, coloured by the server's
 * verdict, with the reason in words and a sparkline of the host's busiest
 * disk. Virtualised: only the rows in view (and a few around) exist in the
 * DOM, so 5 000 hosts cost what 50 do; updates are coalesced to one paint per
 * animation frame. New sparkline points (every host's at once, every 10 s)
 * change no order: they only redraw the lines of the tiles in view.
 */
import type { Health, HostTile, SparkPoints } from '../../shared/overview.js';
import { forEachSpark } from '../../shared/overview.js';
import { el } from './dom.js';
import { newRow, updateRow, type HostRow } from './host-row.js';
import { buildTile, redrawSpark, updateTile, type TileParts } from './host-tile.js';
import { SparkLines } from './spark-lines.js';
import { indexIn, moveInOrder, position, tileOrder } from './tile-order.js';

const TILE_MIN_WIDTH = 320;
export const ROW_HEIGHT = 100;
const OVERSCAN_ROWS = 2;

interface Mounted {
  slot: HTMLElement;
  tile: TileParts;
  /** The row and its version the tile shows (a host that left and came back has a new row). */
  row: HostRow;
  version: number;
  /** Where the slot was last put, so an unchanged one is not written again (each write costs a style pass). */
  placed: string;
}

/** Puts a mounted tile at its place in the grid, for the index-th shown tile. */
function place(m: Mounted, index: number, cols: number, width: number, total: number): void {
  const row = Math.floor(index / cols);
  const col = index % cols;
  const placed = `${col} ${row} ${cols} ${width} ${index} ${total}`;
  if (m.placed === placed) return;
  m.placed = placed;
  m.slot.style.transform = `translate(${col * (width / cols)}px, ${row * ROW_HEIGHT}px)`;
  m.slot.style.width = `${width / cols}px`;
  m.slot.setAttribute('aria-posinset', String(index + 1));
  m.slot.setAttribute('aria-setsize', String(total));
}

export class Overview {
  /** Every host, one row each, updated in place by the pushes. */
  private readonly rows = new Map<string, HostRow>();
  private readonly lines = new SparkLines();
  private shown: HostRow[] = [];
  /** How many hosts have each verdict (all hosts, not only those shown). */
  private count: Record<Health, number> = { bad: 0, warn: 0, info: 0, ok: 0 };
  private readonly mounted = new Map<string, Mounted>();
  private frame = 0;
  private cols = 1;
  private focusId: string | null = null;
  private readonly scroller: HTMLElement;
  private readonly inner: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly healthFilter: HTMLSelectElement;
  private readonly setFilter: HTMLSelectElement;
  /** Main-thread time of the last paint, for the benchmark. */
  lastPaintMs = 0;

  constructor(
    root: HTMLElement,
    private readonly open: (id: string) => void,
  ) {
    this.scroller = root.querySelector('.tile-scroller')!;
    this.inner = root.querySelector('.tile-grid')!;
    this.search = root.querySelector('#overview-search')!;
    this.healthFilter = root.querySelector('#overview-health')!;
    this.setFilter = root.querySelector('#overview-set')!;
    for (const input of [this.search, this.healthFilter, this.setFilter])
      input.addEventListener('input', () => this.schedule());
    this.scroller.addEventListener('scroll', () => this.schedule(false));
    new ResizeObserver(() => this.schedule(false)).observe(this.scroller);
    this.inner.addEventListener('keydown', (ev) => this.onKey(ev));
    this.inner.addEventListener('click', (ev) => {
      const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a.tile');
      if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
      ev.preventDefault();
      this.open(a.dataset.host!);
    });
    this.inner.addEventListener('focusin', (ev) => {
      const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a.tile');
      if (a) this.focusId = a.dataset.host!;
    });
  }

  /** Every tile (a full overview frame): hosts it lacks leave the page. */
  setAll(tiles: HostTile[]): void {
    const ids = new Set<string>();
    for (const t of tiles) {
      ids.add(t.id);
      this.upsert(t);
    }
    for (const [id, row] of this.rows) {
      if (ids.has(id)) continue;
      this.lines.release(row.line);
      this.rows.delete(id);
    }
    this.schedule();
  }

  /** Tiles that changed, and new sparkline points of others. */
  apply(tiles: HostTile[], spark?: SparkPoints): void {
    for (const t of tiles) this.replace(t);
    if (spark) this.applySpark(spark);
    // Points alone change no verdict, order or filter: only the lines in view are redrawn.
    if (tiles.length || spark) this.schedule(false);
  }

  /** A tile's fields into its host's row (a new host gets one); true when the list must be filtered again. */
  private upsert(t: HostTile): boolean {
    const row = this.rows.get(t.id);
    if (!row) {
      this.rows.set(t.id, newRow(t, this.lines.add()));
      this.lines.set(this.rows.get(t.id)!.line, t.spark, t.sparkEnd);
      return true;
    }
    const setsChanged = updateRow(row, t);
    this.lines.set(row.line, t.spark, t.sparkEnd);
    return setsChanged;
  }

  /**
   * A changed tile keeps its host's place, or moves by binary search when
   * its verdict (the order) or its answer to the filters changed: the list is
   * not filtered and sorted again for every push, and no 5 000-entry array is
   * made. A new host or changed replica sets (the set filter's options) do
   * filter again.
   */
  private replace(t: HostTile): void {
    const row = this.rows.get(t.id);
    if (this.refilterNeeded || !row) {
      this.refilterNeeded = this.upsert(t) || this.refilterNeeded;
      return;
    }
    // Found before the row changes: the binary search needs the verdict it is sorted by.
    const was = row.health;
    const at = indexIn(this.shown, row);
    if (this.upsert(t)) {
      this.refilterNeeded = true;
      return;
    }
    this.count[was]--;
    this.count[row.health]++;
    moveInOrder(this.shown, at, was, row, this.matches(row));
  }

  /** Ids whose sparkline changed since the last paint (their rows are the same objects). */
  private readonly sparkMoved = new Set<string>();

  private applySpark(points: SparkPoints): void {
    const { end, values, disks = {} } = points;
    forEachSpark(points, (id, from, count) => {
      const row = this.rows.get(id);
      if (row && this.lines.append(row.line, values, end, from, count)) this.sparkMoved.add(id);
    });
    for (const id in disks) {
      const row = this.rows.get(id);
      if (!row) continue;
      row.worstDisk = disks[id]!;
      this.sparkMoved.add(id);
    }
  }

  get size(): number {
    return this.rows.size;
  }

  private refilterNeeded = false;

  /** One paint per animation frame, however many updates arrive. */
  private schedule(refilter = true): void {
    this.refilterNeeded ||= refilter;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const t0 = performance.now();
      if (this.refilterNeeded) this.refilter();
      this.refilterNeeded = false;
      this.renderCounts();
      this.paint();
      this.lastPaintMs = performance.now() - t0;
    });
  }

  /** The search and filters as last read from their inputs (read once per refilter, not once per tile). */
  private filters = { q: '', health: '', set: '' };

  /** Whether a host passes the search and the filters. */
  private matches(r: HostRow): boolean {
    const { q, health, set } = this.filters;
    return (
      (!q ||
        r.id.toLowerCase().includes(q) ||
        r.hostname.toLowerCase().includes(q) ||
        r.reason.toLowerCase().includes(q)) &&
      (!health || r.health === health) &&
      (!set || r.sets.includes(set))
    );
  }

  private refilter(): void {
    this.filters = {
      q: this.search.value.trim().toLowerCase(),
      health: this.healthFilter.value,
      set: this.setFilter.value,
    };
    const shown: HostRow[] = [];
    const count: Record<Health, number> = { bad: 0, warn: 0, info: 0, ok: 0 };
    const sets = new Set<string>();
    for (const r of this.rows.values()) {
      count[r.health]++;
      for (const s of r.sets) sets.add(s);
      if (this.matches(r)) shown.push(r);
    }
    this.shown = shown.sort(tileOrder);
    this.count = count;
    this.renderSetOptions([...sets].sort());
  }

  private renderCounts(): void {
    const { count } = this;
    const all = this.rows.size;
    const text = `${all} hosts · ${count.bad} bad · ${count.warn} warn · ${count.info} info · ${count.ok} ok${this.shown.length !== all ? ` · ${this.shown.length} shown` : ''}`;
    const counts = document.getElementById('overview-counts')!;
    if (counts.textContent !== text) counts.textContent = text;
  }

  private renderSetOptions(sets: string[]): void {
    const have = [...this.setFilter.options].slice(1).map((o) => o.value);
    if (have.join('\n') === sets.join('\n')) return;
    const chosen = this.setFilter.value;
    this.setFilter.replaceChildren(
      el('option', { value: '' }, 'all replica sets'),
      ...sets.map((s) => el('option', { value: s }, s)),
    );
    this.setFilter.value = sets.includes(chosen) ? chosen : '';
    // A chosen set that is gone leaves the filter at "all": what is shown changes with it.
    if (chosen !== this.setFilter.value) this.refilter();
  }

  private paint(): void {
    const width = this.scroller.clientWidth || TILE_MIN_WIDTH;
    this.cols = Math.max(1, Math.floor(width / TILE_MIN_WIDTH));
    const rows = Math.ceil(this.shown.length / this.cols);
    const height = `${rows * ROW_HEIGHT}px`;
    if (this.inner.style.height !== height) this.inner.style.height = height;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN_ROWS);
    const last = Math.min(
      rows,
      Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN_ROWS,
    );
    const want = new Set<string>();
    const ordered: HTMLElement[] = [];
    const now = Date.now();
    for (let i = first * this.cols; i < Math.min(this.shown.length, last * this.cols); i++) {
      const r = this.shown[i]!;
      want.add(r.id);
      let m = this.mounted.get(r.id);
      if (!m) {
        const slot = el('div', { role: 'listitem', class: 'tile-slot' });
        const tile = buildTile(r, this.lines, now);
        slot.append(tile.a);
        this.mounted.set(r.id, (m = { slot, tile, row: r, version: r.version, placed: '' }));
        this.inner.append(slot);
      } else if (m.row !== r || m.version !== r.version) {
        m.row = r;
        m.version = r.version;
        if (!updateTile(m.tile, r, this.lines, now)) this.rebuild(m, r, now);
      } else if (this.sparkMoved.has(r.id)) redrawSpark(m.tile, r, this.lines);
      ordered.push(m.slot);
      place(m, i, this.cols, width, this.shown.length);
    }
    for (const [id, m] of this.mounted) {
      // Keep the focused tile mounted so keyboard focus is not lost while scrolling.
      if (want.has(id) || (id === this.focusId && m.slot.contains(document.activeElement))) continue;
      m.slot.remove();
      this.mounted.delete(id);
    }
    this.sparkMoved.clear();
    this.keepDomOrder(ordered);
  }

  /**
   * Tab follows the order on screen: the slots' DOM order is put right when
   * sorting moved them. Only the slots out of place move (a host that turned
   * bad moves one slot, not the 40 in view): a moved node loses its style and
   * layout, which the browser then recomputes.
   */
  private keepDomOrder(ordered: HTMLElement[]): void {
    const wanted = new Set(ordered);
    let cursor = this.inner.firstElementChild;
    const skip = () => {
      // Slots kept for focus but out of view stay where they are.
      while (cursor && !wanted.has(cursor as HTMLElement)) cursor = cursor.nextElementSibling;
    };
    let refocus: HTMLElement | null | undefined;
    for (const slot of ordered) {
      skip();
      if (cursor === slot) {
        cursor = cursor.nextElementSibling;
        continue;
      }
      if (refocus === undefined) {
        const focused = document.activeElement as HTMLElement | null;
        refocus = focused && this.inner.contains(focused) ? focused : null;
      }
      this.inner.insertBefore(slot, cursor);
    }
    if (refocus && document.activeElement !== refocus) refocus.focus();
  }

  /** A tile whose optional parts changed is built again in its slot (keeping keyboard focus). */
  private rebuild(m: Mounted, r: HostRow, now: number): void {
    m.tile = buildTile(r, this.lines, now);
    const hadFocus = m.slot.contains(document.activeElement);
    m.slot.replaceChildren(m.tile.a);
    if (hadFocus) m.tile.a.focus();
  }

  /** Arrow keys move between tiles (up and down by a row), Home and End to the ends; Enter opens (a link). */
  private onKey(ev: KeyboardEvent): void {
    const id = (ev.target as HTMLElement).closest<HTMLElement>('a.tile')?.dataset.host;
    if (!id) return;
    const row = this.rows.get(id);
    const at = row ? position(this.shown, row) : -1;
    const i = this.shown[at]?.id === id ? at : -1;
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: this.cols,
      ArrowUp: -this.cols,
      Home: -i,
      End: this.shown.length - 1 - i,
    };
    const move = moves[ev.key];
    if (move === undefined) return;
    ev.preventDefault();
    this.focusAt(Math.min(this.shown.length - 1, Math.max(0, i + move)));
  }

  focusAt(index: number): void {
    const r = this.shown[index];
    if (!r) return;
    const row = Math.floor(index / this.cols);
    const top = row * ROW_HEIGHT;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW_HEIGHT > this.scroller.scrollTop + this.scroller.clientHeight)
      this.scroller.scrollTop = top + ROW_HEIGHT - this.scroller.clientHeight;
    this.focusId = r.id;
    this.paint();
    this.mounted.get(r.id)?.slot.querySelector<HTMLElement>('a.tile')?.focus();
  }
}
