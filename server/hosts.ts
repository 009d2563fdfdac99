import type { CollectorStatus, Hello, HostSummary } from '../shared/protocol.js';

/** What the server knows of each agent, connected or not. */
export class HostRegistry {
  private readonly hosts = new Map<string, HostSummary>();
  /** Called whenever a host connects, disconnects or changes identity. */
  onChange: () => void = () => {};

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
      inventory: hello.inventory ?? existing?.inventory ?? null,
      stats: existing?.stats ?? { batches: 0, duplicates: 0, gaps: 0, badFrames: 0 },
    };
    this.hosts.set(hello.agentId, host);
    this.onChange();
    return host;
  }

  disconnected(id: string, now: number): void {
    const host = this.hosts.get(id);
    if (!host) return;
    host.connected = false;
    host.connectedSince = null;
    host.lastSeen = now;
    this.onChange();
  }

  seen(id: string, now: number, collectors?: CollectorStatus[]): void {
    const host = this.hosts.get(id);
    if (!host) return;
    host.lastSeen = now;
    if (collectors) host.collectors = collectors;
  }

  get(id: string): HostSummary | undefined {
    return this.hosts.get(id);
  }

  list(): HostSummary[] {
    return [...this.hosts.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
