/**
 * One host's tile in the DOM: built once when it scrolls into view, then
 * changed in place (texts and attributes) when its host changes, rather
 * than replaced: new nodes need their style resolved and laid out from
 * scratch, and the old ones are garbage for the DOM's collector.
 */
import { el } from './dom.js';
import type { HostRow } from './host-row.js';
import type { SparkLines } from './spark-lines.js';
import { duration } from './time-format.js';
import { hostLink } from './url.js';

const SVG = 'http://www.w3.org/2000/svg';
const SPARK_WIDTH = 96;
const SPARK_HEIGHT = 24;

/** A tile's element and the parts a change rewrites. */
export interface TileParts {
  a: HTMLAnchorElement;
  badge: HTMLElement;
  reason: HTMLElement;
  path: SVGPathElement;
  disk: HTMLElement;
  /** Which optional parts it was built with (host name, sets, last seen): another set means building it again. */
  shape: string;
  hostname: HTMLElement | null;
  sets: HTMLElement | null;
  seen: HTMLElement | null;
}

/** The path of a sparkline of 0–100 % values; gaps (null) break the line. */
export function sparkPath(values: (number | null)[], width = SPARK_WIDTH, height = SPARK_HEIGHT): string {
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

function diskText(r: HostRow, lines: SparkLines): string {
  if (!r.worstDisk) return 'no disks';
  const last = lines.newest(r.line);
  return last === undefined ? `busiest disk ${r.worstDisk}` : `${r.worstDisk} ${last} % util`;
}

function seenText(r: HostRow, now: number): string | null {
  return !r.connected && r.lastSeen !== null ? `seen ${duration(now - r.lastSeen)} ago` : null;
}

function shapeOf(r: HostRow, now: number): string {
  return `${r.hostname !== r.id} ${r.sets.length > 0} ${seenText(r, now) !== null}`;
}

function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

function setAttr(e: Element, name: string, value: string): void {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

export function buildTile(r: HostRow, lines: SparkLines, now: number): TileParts {
  const a = el('a', { class: 'tile', href: hostLink(r.id), 'data-host': r.id, 'data-health': r.health });
  const badge = el('span', { class: 'badge verdict', 'data-health': r.health }, r.health);
  const head = el('div', { class: 'tile-head' });
  head.append(badge, el('strong', { class: 'tile-id' }, r.id));
  const hostname = r.hostname !== r.id ? el('span', { class: 'muted' }, r.hostname) : null;
  if (hostname) head.append(hostname);
  const reason = el('div', { class: 'reason', title: r.why }, r.reason);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`);
  svg.setAttribute('width', String(SPARK_WIDTH));
  svg.setAttribute('height', String(SPARK_HEIGHT));
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', sparkPath(lines.points(r.line)));
  svg.append(path);
  const disk = el('span', { class: 'muted disk-util' }, diskText(r, lines));
  const foot = el('div', { class: 'tile-foot' });
  foot.append(svg, disk);
  const sets = r.sets.length ? el('span', { class: 'muted sets' }, r.sets.join(', ')) : null;
  if (sets) foot.append(sets);
  const seenNow = seenText(r, now);
  const seen = seenNow !== null ? el('span', { class: 'muted' }, seenNow) : null;
  if (seen) foot.append(seen);
  a.append(head, reason, foot);
  return { a, badge, reason, path, disk, shape: shapeOf(r, now), hostname, sets, seen };
}

/** Rewrites a built tile for its host's new fields; false when its parts differ (build it again). */
export function updateTile(p: TileParts, r: HostRow, lines: SparkLines, now: number): boolean {
  if (p.shape !== shapeOf(r, now)) return false;
  setAttr(p.a, 'data-health', r.health);
  setAttr(p.badge, 'data-health', r.health);
  setText(p.badge, r.health);
  if (p.hostname) setText(p.hostname, r.hostname);
  setText(p.reason, r.reason);
  setAttr(p.reason, 'title', r.why);
  if (p.sets) setText(p.sets, r.sets.join(', '));
  const seen = seenText(r, now);
  if (p.seen && seen !== null) setText(p.seen, seen);
  redrawSpark(p, r, lines);
  return true;
}

/** A mounted tile's line and figure redrawn in place, for new sparkline points. */
export function redrawSpark(p: TileParts, r: HostRow, lines: SparkLines): void {
  setAttr(p.path, 'd', sparkPath(lines.points(r.line)));
  setText(p.disk, diskText(r, lines));
}
