/**
 * A host as the overview keeps it between pushes: one object per host,
 * updated in place from each tile a push carries, so the push's parsed
 * tiles die young (a minor collection) instead of replacing long-lived
 * objects (garbage in the old generation, collected by the major GCs that
 * made the tab's worst seconds). Its sparkline is a line in `SparkLines`.
 */
import type { HostTile } from '../../shared/overview.js';

/** The tile's own fields, as the last push carried them; the reasons kept as one text, the sparkline kept apart. */
export interface HostRow extends Pick<
  HostTile,
  'id' | 'hostname' | 'connected' | 'lastSeen' | 'health' | 'reason' | 'sets' | 'worstDisk'
> {
  /** Every reason, one a line (the tile's tooltip). */
  why: string;
  /** The host's line in the overview's SparkLines. */
  line: number;
  /** Bumped by every change but the sparkline's, so a mounted tile knows to redraw. */
  version: number;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function why(t: HostTile): string {
  return t.reasons.map((r) => r.text).join('\n') || t.reason;
}

export function newRow(t: HostTile, line: number): HostRow {
  return {
    id: t.id,
    hostname: t.hostname,
    connected: t.connected,
    lastSeen: t.lastSeen,
    health: t.health,
    reason: t.reason,
    why: why(t),
    sets: t.sets,
    worstDisk: t.worstDisk,
    line,
    version: 0,
  };
}

/**
 * Copies a tile's fields into the host's row; strings and the set list
 * that did not change are kept (the new ones would be the same text, held
 * twice until collected). Returns whether the replica sets changed (the
 * set filter's options).
 */
export function updateRow(row: HostRow, t: HostTile): boolean {
  if (row.hostname !== t.hostname) row.hostname = t.hostname;
  row.connected = t.connected;
  row.lastSeen = t.lastSeen;
  row.health = t.health;
  if (row.reason !== t.reason) row.reason = t.reason;
  const text = why(t);
  if (row.why !== text) row.why = text;
  const setsChanged = !sameList(row.sets, t.sets);
  if (setsChanged) row.sets = t.sets;
  if (row.worstDisk !== t.worstDisk) row.worstDisk = t.worstDisk;
  row.version++;
  return setsChanged;
}
