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

/**
 * Puts `next` in place of `old` (the same host's previous tile, or null) in a
 * list in `tileOrder`; `show` says whether `next` belongs in the list (the
 * filters). Moves at most one entry.
 */
export function replaceInOrder<T extends Ordered>(list: T[], old: T | null, next: T, show: boolean): void {
  const at = old ? position(list, old) : -1;
  const had = at >= 0 && list[at]?.id === next.id;
  if (had && show && old!.health === next.health) {
    list[at] = next;
    return;
  }
  if (had) list.splice(at, 1);
  if (show) list.splice(position(list, next), 0, next);
}
