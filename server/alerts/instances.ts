import type { AlertInstance } from './instance.js';

/** How many alerts one host has pending or firing (kept while the engine lives, so a plan may hold it). */
export interface OpenCount {
  n: number;
}

/**
 * The engine's alert instances by id, counting how many each host has open:
 * most batches come from hosts with none, and for them an evaluation whose
 * condition does not hold can skip asking after its instance (a lookup by a
 * 32-character id, a cache miss apiece at thousands of hosts). A host's count
 * is an object its plan holds, so a batch reads it without a lookup by host.
 */
export class Instances extends Map<string, AlertInstance> {
  private readonly perHost = new Map<string, OpenCount>();
  /** Each host's open alerts (a host with none has no entry). */
  private readonly listed = new Map<string, AlertInstance[]>();

  override set(id: string, inst: AlertInstance): this {
    const had = super.get(id);
    if (had !== inst) {
      if (had) this.unlist(had);
      this.countOf(inst.host).n++;
      const list = this.listed.get(inst.host);
      if (list) list.push(inst);
      else this.listed.set(inst.host, [inst]);
    }
    return super.set(id, inst);
  }

  override delete(id: string): boolean {
    const had = super.get(id);
    if (had) this.unlist(had);
    return super.delete(id);
  }

  override clear(): void {
    for (const c of this.perHost.values()) c.n = 0;
    this.listed.clear();
    super.clear();
  }

  /** The alerts `host` has pending or firing. */
  on(host: string): readonly AlertInstance[] {
    return this.listed.get(host) ?? [];
  }

  private unlist(inst: AlertInstance): void {
    this.countOf(inst.host).n--;
    const list = this.listed.get(inst.host)!;
    list.splice(list.indexOf(inst), 1);
    if (list.length === 0) this.listed.delete(inst.host);
  }

  /** How many alerts `host` has pending or firing. */
  openOn(host: string): number {
    return this.perHost.get(host)?.n ?? 0;
  }

  /** The live count of `host`'s open alerts. */
  countOf(host: string): OpenCount {
    let c = this.perHost.get(host);
    if (!c) this.perHost.set(host, (c = { n: 0 }));
    return c;
  }
}
