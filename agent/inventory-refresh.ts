/** How the refresher reads the host's fingerprint and gathers the inventory (the child process, in the agent). */
export interface InventorySources {
  readFingerprint: () => Promise<string>;
  gather: (pauseMs: number) => Promise<Record<string, unknown>>;
  /** Between the child's calls on a periodic refresh (the first gathers at once). */
  pauseMs: number;
}

/**
 * The inventory at start, and later again only when the host's fingerprint (inventory-fingerprint.ts) has
 * changed: a periodic check is a few small reads in-process; the systeminformation child, a Node process
 * starting, runs only for a host that changed. A failed gather keeps the old fingerprint, so the next check
 * tries again.
 */
export class InventoryRefresher {
  private fingerprint: string | null = null;

  constructor(private readonly sources: InventorySources) {}

  async initial(): Promise<Record<string, unknown>> {
    const fingerprint = await this.sources.readFingerprint();
    const inventory = await this.sources.gather(0);
    this.fingerprint = fingerprint;
    return inventory;
  }

  /** The new inventory, or null when the host is as it was (nothing started). */
  async refreshIfChanged(): Promise<Record<string, unknown> | null> {
    // Read before gathering: a change during the gather shows at the next check.
    const fingerprint = await this.sources.readFingerprint();
    if (fingerprint === this.fingerprint) return null;
    const inventory = await this.sources.gather(this.sources.pauseMs);
    this.fingerprint = fingerprint;
    return inventory;
  }
}
