import type { AlertInstance } from './instance.js';

/**
 * The engine's alert instances by id, counting how many each host has open:
 * most batches come from hosts with none, and for them an evaluation whose
 * condition does not hold can skip asking after its instance (a lookup by a
 * 32-character id, a cache miss apiece at thousands of hosts).
 */
export class Instances extends Map<string, AlertInstance> {
  private readonly perHost = new Map<string, number>();

  override set(id: string, inst: AlertInstance): this {
    const had = super.get(id);
    if (had !== inst) {
      if (had) this.uncount(had.host);
      this.perHost.set(inst.host, (this.perHost.get(inst.host) ?? 0) + 1);
    }
    return super.set(id, inst);
  }

  override delete(id: string): boolean {
    const had = super.get(id);
    if (had) this.uncount(had.host);
    return super.delete(id);
  }

  override clear(): void {
    this.perHost.clear();
    super.clear();
  }

  /** How many alerts `host` has pending or firing. */
  openOn(host: string): number {
    return this.perHost.get(host) ?? 0;
  }

  private uncount(host: string): void {
    const n = (this.perHost.get(host) ?? 1) - 1;
    if (n > 0) this.perHost.set(host, n);
    else this.perHost.delete(host);
  }
}
