import type { Batch, Hello, HostSummary } from '../shared/protocol.js';
import { bareMap } from '../shared/json-limits.js';

const byId = new Intl.Collator().compare;

/** What the server knows of each agent, connected or not. */
export class HostRegistry {
  private readonly hosts = new Map<string, HostSummary>();
  /** The hosts in id order, kept until one is added, replaced or removed (the overview asks every second). */
  private sorted: HostSummary[] | null = null;
  /** Called with a host's id whenever it connects, disconnects or changes identity. */
  onChange: (id: string) => void = () => {};

  connected(hello: Hello, now: number): HostSummary {
    const existing = this.hosts.get(hello.agentId);
    const host: HostSummary = {
      id: hello.agentId,
      hostname: hello.hostname,
      connected: true,
      lastSeen: now,
      connectedSince: now,
      agentVersion: hello.agentVersion,
      protocol: hello.protocol,
      collectors: existing?.collectors ?? [],
      states: existing?.states ?? bareMap(),
      inventory: hello.inventory ?? existing?.inventory ?? null,
      stats: existing?.stats ?? { batches: 0, duplicates: 0, gaps: 0, badFrames: 0 },
    };
    this.hosts.set(hello.agentId, host);
    this.sorted = null;
    this.onChange(host.id);
    return host;
  }

  /** A host known from stored history but not connected since this server started. */
  remembered(id: string, lastSeen: number): void {
    if (this.hosts.has(id)) return;
    this.sorted = null;
    this.hosts.set(id, {
      id,
      hostname: id,
      connected: false,
      lastSeen,
      connectedSince: null,
      agentVersion: null,
      protocol: null,
      collectors: [],
      states: bareMap(),
      inventory: null,
      stats: { batches: 0, duplicates: 0, gaps: 0, badFrames: 0 },
    });
  }

  disconnected(id: string, now: number): void {
    const host = this.hosts.get(id);
    if (!host) return;
    host.connected = false;
    host.connectedSince = null;
    host.lastSeen = now;
    this.onChange(id);
  }

  /** Records a stored batch: last-seen, collector states, and the structured states of the kinds it reports in full. */
  seen(id: string, now: number, batch: Pick<Batch, 'collectors' | 'stateKinds' | 'states'>): void {
    const host = this.hosts.get(id);
    if (!host) return;
    host.lastSeen = now;
    if (batch.collectors) host.collectors = batch.collectors;
    // Maps without prototypes: an agent's names are data, never Object.prototype's properties.
    for (const kind of batch.stateKinds ?? []) host.states[kind] = bareMap();
    for (const st of batch.states ?? []) (host.states[st.kind] ??= bareMap())[st.key] = st.value;
  }

  /** A retired host leaves the list (its history stays in the store); its agent connecting again brings it back. */
  forget(id: string): boolean {
    this.sorted = null;
    return this.hosts.delete(id);
  }

  get(id: string): HostSummary | undefined {
    return this.hosts.get(id);
  }

  /** Every host in id order; the array is the caller's own. */
  list(): HostSummary[] {
    this.sorted ??= [...this.hosts.values()].sort((a, b) => byId(a.id, b.id));
    return this.sorted.slice();
  }
}
