import type { Store } from './store/store.js';

export interface SeriesLimitOptions {
  /** Series one agent (host) may have in the store, across all its sessions. */
  perAgent: number;
  /** Series in the store across all agents. */
  total: number;
}

/**
 * Defaults: a DB host sends ~100 series, a large one a few thousand; the
 * server-wide cap stays above the benchmarked fleet (7 000 hosts × 93 series)
 * and below what exhausts a server's memory (1 M series was ~1 GB).
 */
export const DEFAULT_SERIES_LIMITS: SeriesLimitOptions = { perAgent: 20_000, total: 1_000_000 };

export type Resolved = { id: number } | { refused: string };

/**
 * Cardinality limits, checked when a series is first named: an existing
 * series always resolves (its data keeps flowing); a new one past a limit is
 * refused with a reason naming the limit, and counted.
 */
export class SeriesLimits {
  /** New series refused, by the limit that refused them. */
  readonly refused = { perAgent: 0, total: 0 };
  readonly limits: SeriesLimitOptions;

  constructor(
    private readonly store: Store,
    limits: Partial<SeriesLimitOptions> = {},
  ) {
    this.limits = { ...DEFAULT_SERIES_LIMITS, ...limits };
  }

  /** Series in the store. */
  count(): number {
    return this.store.seriesCount();
  }

  resolve(agentId: string, metric: string, labels: Record<string, string> | undefined): Resolved {
    const existing = this.store.findSeriesId(agentId, metric, labels);
    if (existing !== undefined) return { id: existing };
    if (this.store.seriesCount(agentId) >= this.limits.perAgent) {
      this.refused.perAgent++;
      return {
        refused: `series limit per agent reached: ${agentId} already has ${this.limits.perAgent} series (maxSeriesPerAgent); new series such as ${metric} are not stored, existing ones are`,
      };
    }
    if (this.store.seriesCount() >= this.limits.total) {
      this.refused.total++;
      return {
        refused: `server-wide series limit reached: ${this.limits.total} series (maxSeries); new series such as ${metric} are not stored, existing ones are`,
      };
    }
    return { id: this.store.seriesId(agentId, metric, labels) };
  }
}
