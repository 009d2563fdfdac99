import { describe, expect, it } from 'vitest';
import type { Health } from '../../shared/overview.js';
import { position, replaceInOrder, tileOrder } from '../../web/src/tile-order.js';

const t = (id: string, health: Health) => ({ id, health });
const ids = (list: { id: string }[]) => list.map((x) => x.id);

describe('the overview’s order kept as tiles change', () => {
  // By hand, worst first then by id: bad a, bad c, warn b, ok a2, ok d.
  const start = () => [t('a', 'bad'), t('c', 'bad'), t('b', 'warn'), t('a2', 'ok'), t('d', 'ok')];

  it('orders worst first, then by plain string order of ids', () => {
    const list = [t('d', 'ok'), t('b', 'warn'), t('c', 'bad'), t('a2', 'ok'), t('a', 'bad')].sort(tileOrder);
    expect(ids(list)).toEqual(['a', 'c', 'b', 'a2', 'd']);
    // Plain string order: 'B' (0x42) before 'a' (0x61), as the server sorts.
    expect([t('a', 'ok'), t('B', 'ok')].sort(tileOrder).map((x) => x.id)).toEqual(['B', 'a']);
  });

  it('finds a tile and where a new one goes', () => {
    const list = start();
    expect(position(list, t('b', 'warn'))).toBe(2);
    expect(position(list, t('b', 'bad'))).toBe(1); // between bad a and bad c
    expect(position(list, t('e', 'ok'))).toBe(5);
    expect(position(list, t('0', 'bad'))).toBe(0);
  });

  it('keeps a tile’s place when its verdict stays', () => {
    const list = start();
    const next = t('b', 'warn');
    replaceInOrder(list, list[2]!, next, true);
    expect(ids(list)).toEqual(['a', 'c', 'b', 'a2', 'd']);
    expect(list[2]).toBe(next);
  });

  it('moves a tile whose verdict changed, up or down', () => {
    const list = start();
    replaceInOrder(list, list[4]!, t('d', 'bad'), true);
    expect(ids(list)).toEqual(['a', 'c', 'd', 'b', 'a2']);
    replaceInOrder(list, list[0]!, t('a', 'ok'), true);
    expect(ids(list)).toEqual(['c', 'd', 'b', 'a', 'a2']);
  });

  it('drops a tile the filters no longer show and adds one they now show', () => {
    const list = start();
    replaceInOrder(list, list[2]!, t('b', 'warn'), false);
    expect(ids(list)).toEqual(['a', 'c', 'a2', 'd']);
    // b was not in the list: it comes in at its place.
    replaceInOrder(list, t('b', 'warn'), t('b', 'info'), true);
    expect(ids(list)).toEqual(['a', 'c', 'b', 'a2', 'd']);
    // A host new to the page (no old tile).
    replaceInOrder(list, null, t('bb', 'bad'), true);
    expect(ids(list)).toEqual(['a', 'bb', 'c', 'b', 'a2', 'd']);
    // A hidden tile that stays hidden changes nothing.
    replaceInOrder(list, t('z', 'ok'), t('z', 'bad'), false);
    expect(ids(list)).toEqual(['a', 'bb', 'c', 'b', 'a2', 'd']);
  });
});
