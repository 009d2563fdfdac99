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
  /** The store's number for a series, created on first use. Agents' connections resolve each series once and then append by number. */
  seriesId(host: string, metric: string, labels: Record<string, string> | undefined): number;
  /** The store's number for a series if it exists (never creates one: the series limits ask before seriesId creates). */
  findSeriesId(host: string, metric: string, labels: Record<string, string> | undefined): number | undefined;
  /** Series stored for one host, or for all hosts. */
  seriesCount(host?: string): number;
  /**
   * One sample per series at `ts`: `ids` from seriesId(), `values` aligned
   * with them, null or NaN where there is no value (the server passes a
   * Float64Array with NaN). A sample at or before a series' newest is a replay
   * and is dropped.
   */
  appendValues(ts: number, ids: ArrayLike<number>, values: ArrayLike<number | null>): void;
  query(q: SeriesQuery): SeriesResult[];
  latest(): Iterable<LatestValue>;
  /** Hosts with stored samples and the time of their newest one, so a restarted server still lists them. */
  knownHosts(): Map<string, number>;
  /** Highest batch sequence stored for an agent session (0 if none), so replays after a restart are de-duplicated. */
  lastSeq(agentId: string, session: string): number;
  /**
   * Highest batch sequence of an agent session that is on disk (0 if none): what a welcome may tell an agent it
   * can let go of. lastSeq may name a batch still waiting for its commit, which a full disk can hold back for long.
   */
  durableSeq(agentId: string, session: string): number;
  setLastSeq(agentId: string, session: string, seq: number): void;
  /** The bucket size a query of this range is answered at; null where every stored point is returned. */
  resolutionFor(from: number, to: number): { stepMs: number } | null;
  /** Samples committed to disk since start, for /healthz and the benchmarks; null for stores that write nothing. */
  readonly samplesWritten: number | null;
  /** Why the last write to disk failed, until one succeeds again (writes are retried); null when healthy. */
  readonly failure: string | null;
  /** Rows skipped as unreadable and files set aside at start (newest last), for /healthz; empty where nothing is read back. */
  storageErrors(): { at: number; message: string }[];
  /** Resolves once everything appended so far is on disk (at once for stores that keep nothing across restarts). Acks wait for it. */
  whenDurable(): Promise<void>;
  close(): Promise<void>;
}

/** Appends samples given by name and labels (tests, tools, protocol-1 agents); the hot path appends by series number. */
export function appendSamples(store: Store, host: string, ts: number, samples: readonly WireSample[]): void {
  const ids = samples.map((s) => store.seriesId(host, s.m, s.l));
  store.appendValues(
    ts,
    ids,
    samples.map((s) => s.v),
  );
}
