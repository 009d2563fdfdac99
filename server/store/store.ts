import type { WireSample } from '../../shared/protocol.js';

export interface SeriesQuery {
  host: string;
  metric: string;
  /** Only series whose labels include all of these. */
  labels?: Record<string, string>;
  from: number;
  to: number;
}

export interface SeriesResult {
  metric: string;
  labels: Record<string, string>;
  /** [ms timestamp, value] pairs in time order; value null where it could not be computed. */
  points: [number, number | null][];
}

export interface LatestValue {
  host: string;
  metric: string;
  labels: Record<string, string>;
  ts: number;
  value: number | null;
}

/**
 * Where samples live. The server talks only to this interface; the in-memory
 * store keeps a recent window, a durable one plugs in behind the same calls.
 */
export interface Store {
  append(host: string, ts: number, samples: readonly WireSample[]): void;
  query(q: SeriesQuery): SeriesResult[];
  latest(): Iterable<LatestValue>;
  /** Hosts with stored samples and the time of their newest one, so a restarted server still lists them. */
  knownHosts(): Map<string, number>;
  /** Highest batch sequence stored for an agent session (0 if none), so replays after a restart are de-duplicated. */
  lastSeq(agentId: string, session: string): number;
  setLastSeq(agentId: string, session: string, seq: number): void;
  /** The bucket size a query of this range is answered at; absent where every stored point is returned. */
  resolutionFor?(from: number, to: number): { stepMs: number };
  /** Rows written to disk since start, for /healthz and the benchmarks; absent for stores that write nothing. */
  readonly rowsWritten?: number;
  /** Resolves once everything appended so far is on disk; absent for stores that keep nothing across restarts. Acks wait for it. */
  whenDurable?(): Promise<void>;
  close(): Promise<void>;
}
