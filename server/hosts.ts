import type { Batch, Hello, HostSummary } from '../shared/protocol.js';

/** What the server knows of each agent, connected or not. */
export class HostRegistry {
  private readonly hosts = new Map<string, HostSummary>();
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
      states: existing?.states ?? (Object.create(null) as HostSummary['states']),
      inventory: hello.inventory ?? existing?.inventory ?? null,
      stats: existing?.stats ?? { batches: 0, duplicates: 0, gaps: 0, badFrames: 0 },
    };
    this.hosts.set(hello.agentId, host);
    this.onChange(host.id);
    return host;
  }

  /** A host known from stored history but not connected since this server started. */
  remembered(id: string, lastSeen: number): void {
    if (this.hosts.has(id)) return;
    this.hosts.set(id, {
      id,
      hostname: id,
      connected: false,
      lastSeen,
      connectedSince: null,
      agentVersion: null,
      protocol: null,
      collectors: [],
      states: Object.create(null) as HostSummary['states'],
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
    // Objects without a prototype: a kind or key named __proto__ is then an ordinary entry, never a way to
    // write Object.prototype (which once made every labels object of every agent look invalid).
    for (const kind of batch.stateKinds ?? []) host.states[kind] = Object.create(null) as Record<string, never>;
    for (const st of batch.states ?? [])
      (host.states[st.kind] ??= Object.create(null) as Record<string, never>)[st.key] = st.value;
  }

  get(id: string): HostSummary | undefined {
    return this.hosts.get(id);
  }

  list(): HostSummary[] {
    return [...this.hosts.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
