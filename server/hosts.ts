import type { DecodedBatch, Hello, HostSummary } from '../shared/protocol.js';
import { bareMap } from '../shared/json-limits.js';
import { recordStates, stateProblems, type StatesLayout } from './host-states.js';

const byId = new Intl.Collator().compare;

/** A host's summary, and how its last batch's states fell on its maps (host-states.ts). */
interface Entry {
  summary: HostSummary;
  layout: StatesLayout | null;
}

/** What the server knows of each agent, connected or not. */
export class HostRegistry {
  private readonly hosts = new Map<string, Entry>();
  /** The hosts in id order, kept until one is added, replaced or removed (the overview asks every second). */
  private sorted: HostSummary[] | null = null;
  /** Called with a host's id whenever it connects, disconnects or changes identity. */
  onChange: (id: string) => void = () => {};

  connected(hello: Hello, now: number): HostSummary {
    const entry = this.hosts.get(hello.agentId);
    const existing = entry?.summary;
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
    // The states object stays the host's, and so does the layout of its last batch over it.
    this.hosts.set(hello.agentId, { summary: host, layout: entry?.layout ?? null });
    this.sorted = null;
    this.onChange(host.id);
    return host;
  }

  /** A host known from stored history but not connected since this server started. */
  remembered(id: string, lastSeen: number): void {
    if (this.hosts.has(id)) return;
    this.sorted = null;
    const summary: HostSummary = {
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
    };
    this.hosts.set(id, { summary, layout: null });
  }

  disconnected(id: string, now: number): void {
    const host = this.hosts.get(id)?.summary;
    if (!host) return;
    host.connected = false;
    host.connectedSince = null;
    host.lastSeen = now;
    this.onChange(id);
  }

  /**
   * Records a stored batch: last-seen, collector states, the structured states of the kinds it reports in full,
   * and which of its states were set aside for their shape (until a batch with states has none).
   */
  seen(id: string, now: number, batch: Pick<DecodedBatch, 'collectors' | 'stateKinds' | 'states'>): void {
    const entry = this.hosts.get(id);
    if (!entry) return;
    const host = entry.summary;
    host.lastSeen = now;
    if (batch.collectors) host.collectors = batch.collectors;
    entry.layout = recordStates(host.states, batch, entry.layout);
    if (batch.states !== undefined) host.stateProblems = stateProblems(batch.states);
  }

  /** A retired host leaves the list (its history stays in the store); its agent connecting again brings it back. */
  forget(id: string): boolean {
    this.sorted = null;
    return this.hosts.delete(id);
  }

  get(id: string): HostSummary | undefined {
    return this.hosts.get(id)?.summary;
  }

  /** Every host in id order; the array is the caller's own. */
  list(): HostSummary[] {
    this.sorted ??= Array.from(this.hosts.values(), (e) => e.summary).sort((a, b) => byId(a.id, b.id));
    return this.sorted.slice();
  }
}
