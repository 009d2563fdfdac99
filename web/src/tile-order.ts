/**
 * The overview's order, worst first and then by id, kept sorted as tiles
 * change: a tile whose verdict changed is moved by binary search, not by
 * sorting 5 000 tiles again on every push.
 */
import type { Health, HostTile } from '../../shared/overview.js';

const RANK: Record<Health, number> = { bad: 3, warn: 2, info: 1, ok: 0 };

type Ordered = Pick<HostTile, 'id' | 'health'>;

/** Negative when `a` comes before `b`: the worse verdict first, then the smaller id (plain string order). */
export function tileOrder(a: Ordered, b: Ordered): number {
  return RANK[b.health] - RANK[a.health] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Where a tile with this verdict and id is, or would go, in a list in `tileOrder`. */
export function position(list: readonly Ordered[], t: Ordered): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tileOrder(list[mid]!, t) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a tile of this host is in a list in `tileOrder`, or -1; ask before its verdict changes. */
export function indexIn(list: readonly Ordered[], t: Ordered): number {
  const at = position(list, t);
  return list[at]?.id === t.id ? at : -1;
}

/**
 * Puts `next` in a list in `tileOrder`, where the same host's entry was at
 * `at` (-1: not in the list) with the verdict `was`; `show` says whether
 * `next` belongs in the list (the filters). Moves at most one entry.
 */
export function moveInOrder<T extends Ordered>(list: T[], at: number, was: Health, next: T, show: boolean): void {
  if (at >= 0 && show && was === next.health) {
    list[at] = next;
    return;
  }
  if (at >= 0) list.splice(at, 1);
  if (show) list.splice(position(list, next), 0, next);
}

/**
 * Puts `next` in place of `old` (the same host's previous tile, or null) in a
 * list in `tileOrder`; `show` says whether `next` belongs in the list (the
 * filters). Moves at most one entry.
 */
export function replaceInOrder<T extends Ordered>(list: T[], old: Ordered | null, next: T, show: boolean): void {
  moveInOrder(list, old ? indexIn(list, old) : -1, old?.health ?? next.health, next, show);
}
