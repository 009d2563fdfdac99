import type { MdArrayState } from '../shared/states.js';

/**
 * The md array state a simulated host reports, as the RAID collector would
 * send it: clean, or degraded with one slot missing and a recovery running.
 * Shared by `tidemark simulate`, the gitter-2016 scenario and the tests'
 * scripted fleet, so the shape is written once.
 */
export interface SimulatedArray {
  name: string;
  level: string;
  /** Member devices (`sda`), one per slot; each is reported as its first partition (`sda1`). */
  disks: readonly string[];
  /** The slot being rebuilt while degraded. */
  missingSlot?: number | null;
  sync?: MdArrayState['sync'];
  sources?: MdArrayState['sources'];
}

export function simulatedArray(a: SimulatedArray): MdArrayState {
  const slot = a.missingSlot ?? null;
  const degraded = slot !== null;
  return {
    name: a.name,
    kind: 'array',
    container: null,
    level: a.level,
    state: degraded ? 'active' : 'clean',
    readOnly: false,
    health: degraded ? 'rebuilding' : 'clean',
    degraded,
    disks: {
      expected: a.disks.length,
      active: degraded ? a.disks.length - 1 : a.disks.length,
      failed: 0,
      spare: 0,
      missing: degraded ? 1 : 0,
      journal: 0,
      replacement: 0,
    },
    missingSlots: degraded ? [slot] : [],
    members: a.disks.map((d, i) => ({
      name: `${d}1`,
      index: i,
      state: i === slot ? 'rebuilding' : 'in_sync',
      writeMostly: false,
      journal: false,
    })),
    sync: a.sync ?? null,
    mismatchCnt: 0,
    metadata: '1.2',
    sources: a.sources ?? ['mdstat'],
    disagreements: [],
  };
}
