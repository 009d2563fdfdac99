import { describe, expect, it } from 'vitest';
import type { HostTile } from '../../shared/overview.js';
import { newRow, updateRow } from '../../web/src/host-row.js';

const tile = (over: Partial<HostTile> = {}): HostTile => ({
  id: 'db-1',
  hostname: 'db-1.example',
  connected: true,
  lastSeen: 1_700_000_000_000,
  health: 'warn',
  reason: 'disk sda busy (95 % util)',
  reasons: [{ health: 'warn', text: 'disk sda busy (95 % util)' }],
  sets: ['rs0'],
  worstDisk: 'sda',
  spark: [95],
  sparkEnd: 1_700_000_000_000,
  ...over,
});

describe('the overview’s row per host, updated in place by each push', () => {
  it('takes a tile’s fields, its reasons one a line as the tooltip', () => {
    const row = newRow(
      tile({
        health: 'bad',
        reason: 'md0 degraded (1 missing) (+1 more)',
        reasons: [
          { health: 'bad', text: 'md0 degraded (1 missing)' },
          { health: 'warn', text: 'disk sda busy (95 % util)' },
        ],
      }),
      7,
    );
    expect(row).toMatchObject({ id: 'db-1', health: 'bad', line: 7, version: 0, sets: ['rs0'] });
    expect(row.why).toBe('md0 degraded (1 missing)\ndisk sda busy (95 % util)');
    // An ok tile has no reasons: its tooltip is its one line.
    expect(newRow(tile({ health: 'ok', reason: 'ok', reasons: [] }), 0).why).toBe('ok');
  });

  it('keeps the same object, moves its version, and says when the replica sets changed', () => {
    const row = newRow(tile(), 0);
    const sets = row.sets;
    expect(updateRow(row, tile({ reason: 'disk sda busy (97 % util)', sets: ['rs0'] }))).toBe(false);
    expect(row.reason).toBe('disk sda busy (97 % util)');
    expect(row.version).toBe(1);
    // The same set list (by content) is kept, not the push's copy.
    expect(row.sets).toBe(sets);
    expect(updateRow(row, tile({ sets: ['rs0', 'rs1'] }))).toBe(true);
    expect(row.sets).toEqual(['rs0', 'rs1']);
    expect(updateRow(row, tile({ health: 'ok', connected: false, sets: ['rs0', 'rs1'] }))).toBe(false);
    expect([row.health, row.connected, row.version]).toEqual(['ok', false, 3]);
  });
});
