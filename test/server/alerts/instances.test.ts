import { describe, expect, it } from 'vitest';
import type { AlertInstance } from '../../../server/alerts/instance.js';
import { Instances } from '../../../server/alerts/instances.js';

const inst = (id: string, host: string): AlertInstance => ({
  id,
  rule: 'R',
  host,
  labels: {},
  state: 'pending',
  activeSince: 0,
  firedAt: null,
  value: null,
  resolvingSince: null,
  notified: false,
  lastNotifiedAt: null,
  acked: false,
});

describe('the alert instances, counted per host', () => {
  it('counts what is open on each host through adds, replacements, deletes and a clear', () => {
    const m = new Instances();
    m.set('a', inst('a', 'db1'));
    m.set('b', inst('b', 'db1'));
    m.set('c', inst('c', 'db2'));
    expect([m.openOn('db1'), m.openOn('db2'), m.openOn('db3')]).toEqual([2, 1, 0]);
    m.set('a', m.get('a')!); // the same instance again: no second count
    m.set('b', inst('b', 'db1')); // replaced by another of the same host
    expect(m.openOn('db1')).toBe(2);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false); // gone already: no count taken twice
    expect([m.openOn('db1'), m.size]).toEqual([1, 2]);
    m.delete('b');
    expect(m.openOn('db1')).toBe(0);
    m.clear();
    expect([m.openOn('db2'), m.size]).toEqual([0, 0]);
  });

  it('lists what is open on each host through adds, replacements, deletes and a clear', () => {
    const m = new Instances();
    const [a, b, c] = [inst('a', 'db1'), inst('b', 'db1'), inst('c', 'db2')];
    m.set('a', a).set('b', b).set('c', c);
    expect([m.on('db1'), m.on('db2'), m.on('db3')]).toEqual([[a, b], [c], []]);
    m.set('a', a); // the same instance again: listed once
    const b2 = inst('b', 'db1');
    m.set('b', b2); // replaced by another of the same host: the new one is listed, the old one not
    expect(m.on('db1')).toEqual([a, b2]);
    expect(m.on('db1')[1]).toBe(b2);
    m.delete('a');
    m.delete('a');
    expect(m.on('db1')).toEqual([b2]);
    m.delete('b');
    expect(m.on('db1')).toEqual([]);
    m.clear();
    expect(m.on('db2')).toEqual([]);
  });
});
