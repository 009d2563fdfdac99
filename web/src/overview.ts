/**
 * The fleet overview: a tile per host, worst first, coloured by the server's
 * verdict, with the reason in words and a sparkline of the host's busiest
 * disk. Virtualised: only the rows in view (and a few around) exist in the
 * DOM, so 5 000 hosts cost what 50 do; updates are coalesced to one paint per
 * animation frame. New sparkline points (every host's at once, every 10 s)
 * change no order: they only redraw the lines of the tiles in view.
 */
import { appendSpark, forEachSpark, type Health, type HostTile, type SparkPoints } from '../../shared/overview.js';
import { el } from './dom.js';
import { duration } from './time-format.js';
import { position, replaceInOrder, tileOrder } from './tile-order.js';
import { hostLink } from './url.js';

const TILE_MIN_WIDTH = 320;
export const ROW_HEIGHT = 100;
const OVERSCAN_ROWS = 2;
const SVG = 'http://www.w3.org/2000/svg';

/** An inline SVG polyline of 0–100 % values; gaps (null) break the line. */
export function sparkline(values: (number | null)[], width = 96, height = 24): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', sparkPath(values, width, height));
  svg.append(path);
  return svg;
}

function sparkPath(values: (number | null)[], width = 96, height = 24): string {
  const step = values.length > 1 ? width / (values.length - 1) : width;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) return void (pen = false);
    const y = height - 1 - (Math.min(100, Math.max(0, v)) / 100) * (height - 2);
    d += `${pen ? 'L' : 'M'}${(i * step).toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  return d;
}

/** The newest point of a sparkline that is not a gap. */
function newestPoint(spark: (number | null)[]): number | undefined {
  for (let i = spark.length - 1; i >= 0; i--) if (spark[i] !== null) return spark[i]!;
  return undefined;
}

function diskText(t: HostTile): string {
  if (!t.worstDisk) return 'no disks';
  const last = newestPoint(t.spark);
  return last === undefined ? `busiest disk ${t.worstDisk}` : `${t.worstDisk} ${last} % util`;
}

/** A mounted tile's line and figure redrawn in place, for new sparkline points. */
function redrawSpark(slot: HTMLElement, t: HostTile): void {
  slot.querySelector('path')?.setAttribute('d', sparkPath(t.spark));
  const text = slot.querySelector('.disk-util');
  const want = diskText(t);
  if (text && text.textContent !== want) text.textContent = want;
}

function tileBody(t: HostTile, now: number): HTMLElement[] {
  const head = el('div', { class: 'tile-head' });
  head.append(
    el('span', { class: 'badge verdict', 'data-health': t.health }, t.health),
    el('strong', { class: 'tile-id' }, t.id),
  );
  if (t.hostname !== t.id) head.append(el('span', { class: 'muted' }, t.hostname));
  const foot = el('div', { class: 'tile-foot' });
  foot.append(sparkline(t.spark), el('span', { class: 'muted disk-util' }, diskText(t)));
  if (t.sets.length) foot.append(el('span', { class: 'muted sets' }, t.sets.join(', ')));
  if (!t.connected && t.lastSeen !== null)
    foot.append(el('span', { class: 'muted' }, `seen ${duration(now - t.lastSeen)} ago`));
  return [
    head,
    el('div', { class: 'reason', title: t.reasons.map((r) => r.text).join('\n') || t.reason }, t.reason),
    foot,
  ];
}

interface Mounted {
  slot: HTMLElement;
  tile: HostTile;
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
  private readonly tiles = new Map<string, HostTile>();
  private shown: HostTile[] = [];
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

  /** Every tile (a full overview frame). */
  setAll(tiles: HostTile[]): void {
    this.tiles.clear();
    for (const t of tiles) this.tiles.set(t.id, t);
    this.schedule();
  }

  /** Tiles that changed, and new sparkline points of others. */
  apply(tiles: HostTile[], spark?: SparkPoints): void {
    for (const t of tiles) this.replace(t);
    if (spark) this.applySpark(spark);
    // Points alone change no verdict, order or filter: only the lines in view are redrawn.
    if (tiles.length || spark) this.schedule(false);
  }

  /**
   * A changed tile takes its old one's place, or moves by binary search when
   * its verdict (the order) or its answer to the filters changed: the list is
   * not filtered and sorted again for every push, and no 5 000-entry array is
   * made. A new host or changed replica sets (the set filter's options) do
   * filter again.
   */
  private replace(t: HostTile): void {
    const old = this.tiles.get(t.id);
    this.tiles.set(t.id, t);
    if (this.refilterNeeded) return;
    if (old === undefined || old.sets.join('\n') !== t.sets.join('\n')) {
      this.refilterNeeded = true;
      return;
    }
    this.count[old.health]--;
    this.count[t.health]++;
    replaceInOrder(this.shown, old, t, this.matches(t));
  }

  /** Ids whose sparkline changed since the last paint (their tiles are the same objects). */
  private readonly sparkMoved = new Set<string>();

  private applySpark(points: SparkPoints): void {
    const { end, values, disks = {} } = points;
    forEachSpark(points, (id, from, count) => {
      const t = this.tiles.get(id);
      if (t && appendSpark(t, values, end, from, count)) this.sparkMoved.add(id);
    });
    for (const id in disks) {
      const t = this.tiles.get(id);
      if (!t) continue;
      t.worstDisk = disks[id]!;
      this.sparkMoved.add(id);
    }
  }

  get size(): number {
    return this.tiles.size;
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

  /** Whether a tile passes the search and the filters. */
  private matches(t: HostTile): boolean {
    const { q, health, set } = this.filters;
    return (
      (!q ||
        t.id.toLowerCase().includes(q) ||
        t.hostname.toLowerCase().includes(q) ||
        t.reason.toLowerCase().includes(q)) &&
      (!health || t.health === health) &&
      (!set || t.sets.includes(set))
    );
  }

  private refilter(): void {
    this.filters = {
      q: this.search.value.trim().toLowerCase(),
      health: this.healthFilter.value,
      set: this.setFilter.value,
    };
    const shown: HostTile[] = [];
    const count: Record<Health, number> = { bad: 0, warn: 0, info: 0, ok: 0 };
    const sets = new Set<string>();
    for (const t of this.tiles.values()) {
      count[t.health]++;
      for (const s of t.sets) sets.add(s);
      if (this.matches(t)) shown.push(t);
    }
    this.shown = shown.sort(tileOrder);
    this.count = count;
    this.renderSetOptions([...sets].sort());
  }

  private renderCounts(): void {
    const { count } = this;
    const all = this.tiles.size;
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
      const t = this.shown[i]!;
      want.add(t.id);
      let m = this.mounted.get(t.id);
      if (!m) {
        const slot = el('div', { role: 'listitem', class: 'tile-slot' });
        this.mounted.set(t.id, (m = { slot, tile: t, placed: '' }));
        this.fill(slot, t, now);
        this.inner.append(slot);
      } else if (m.tile !== t) {
        m.tile = t;
        this.fill(m.slot, t, now);
      } else if (this.sparkMoved.has(t.id)) redrawSpark(m.slot, t);
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

  private fill(slot: HTMLElement, t: HostTile, now: number): void {
    const a = el('a', {
      class: 'tile',
      href: hostLink(t.id),
      'data-host': t.id,
      'data-health': t.health,
    });
    a.append(...tileBody(t, now));
    const hadFocus = slot.contains(document.activeElement);
    slot.replaceChildren(a);
    if (hadFocus) a.focus();
  }

  /** Arrow keys move between tiles (up and down by a row), Home and End to the ends; Enter opens (a link). */
  private onKey(ev: KeyboardEvent): void {
    const id = (ev.target as HTMLElement).closest<HTMLElement>('a.tile')?.dataset.host;
    if (!id) return;
    const tile = this.tiles.get(id);
    const at = tile ? position(this.shown, tile) : -1;
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
    const t = this.shown[index];
    if (!t) return;
    const row = Math.floor(index / this.cols);
    const top = row * ROW_HEIGHT;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW_HEIGHT > this.scroller.scrollTop + this.scroller.clientHeight)
      this.scroller.scrollTop = top + ROW_HEIGHT - this.scroller.clientHeight;
    this.focusId = t.id;
    this.paint();
    this.mounted.get(t.id)?.slot.querySelector<HTMLElement>('a.tile')?.focus();
  }
}
