import { gatherInventory } from './inventory-gather.js';

/**
 * Host inventory, gathered at start and every few minutes, never on the
 * 1-second path; it is read in-process from /proc, /sys and statfs (a few
 * milliseconds of CPU), so no child process and no shells.
 */
export async function collectInventory(): Promise<Record<string, unknown>> {
  return gatherInventory('/');
}
