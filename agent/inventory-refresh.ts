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
  /** A periodic gather takes its pauses (~25 s): a check meanwhile must not start another child. */
  private refreshing = false;

  constructor(private readonly sources: InventorySources) {}

  async initial(): Promise<Record<string, unknown>> {
    // The inventory comes first: a fingerprint that cannot be read leaves the next check to gather again.
    const fingerprint = await this.sources.readFingerprint().catch(() => null);
    const inventory = await this.sources.gather(0);
    this.fingerprint = fingerprint;
    return inventory;
  }

  /** The new inventory, or null when the host is as it was or a refresh is already running (nothing started). */
  async refreshIfChanged(): Promise<Record<string, unknown> | null> {
    if (this.refreshing) return null;
    this.refreshing = true;
    try {
      // Read before gathering: a change during the gather shows at the next check.
      const fingerprint = await this.sources.readFingerprint();
      if (fingerprint === this.fingerprint) return null;
      const inventory = await this.sources.gather(this.sources.pauseMs);
      this.fingerprint = fingerprint;
      return inventory;
    } finally {
      this.refreshing = false;
    }
  }
}
