import {
  MONGOD_STATE_KIND,
  REPLSET_STATE_KIND,
  type MongodDownState,
  type MongodUpState,
  type ReplsetState,
} from '../../shared/states.js';
import type { Document } from 'bson';
import type { WireState } from '../../shared/protocol.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { MongodSource, redactUri } from '../mongod/client.js';
import { gauges, intervalFigures, missingFigures } from '../mongod/server-status.js';
import { quorum, type Quorum } from '../mongod/replset.js';
import { mongodSamples, replsetSamples } from '../mongod/samples.js';
import {
  endedActivity,
  primaryFromServerStatus,
  unknownQuorum,
  unknownReplsetSamples,
  unknownSeries,
} from '../mongod/absence.js';
import type { CollectResult, Collector } from './collector.js';
import { engineGauges, engineRates, engineSamples, oplogWindowSeconds } from '../mongod/engine.js';
import { errorMessage } from '../../shared/errors.js';
import type { ReplsetMemory, ReplsetMemoryFile } from '../mongod/replset-memory.js';

/** The quorum as it travels: JSON has no dates, so the members' optime dates stay home. */
function replsetState(q: Quorum): ReplsetState {
  return { ...q, members: q.members.map(({ optimeDate: _optime, ...m }) => m) };
}
/** replSetGetStatus and replSetGetConfig every 10 s: membership changes slowly, and elections take about that long. */
export const REPLSET_INTERVAL_MS = 10_000;

export interface MongodCollectorOptions {
  uri: string;
  /** Deadline of one serverStatus call: below the sampling interval, so a hung mongod shows as down. */
  timeoutMs?: number;
  /** Where the set's name and unknown stretch outlive an agent restart (agent/mongod/replset-memory.ts). */
  memory?: ReplsetMemoryFile | null;
}

/**
 * mongod lock contention, queues, tickets, connections and opcounters from
 * serverStatus each tick, and replica-set quorum every 10 s. A mongod that is
 * down or unreachable is a reported state (down, since when, last error), not
 * a collector failure; the driver reconnects by itself.
 */
export class MongodCollector implements Collector {
  readonly name = 'mongod';
  private readonly source: MongodSource;
  private prev: Document | null = null;
  private downSince: number | null = null;
  private lastError: string | null = null;
  private replset: Quorum | null = null;
  private replsetAt = -Infinity;
  private discarded: string | null = null;
  private oplogWindow: number | null = null;
  private oplogAt = -Infinity;
  /** The last good reading's samples: activity to report as ended, replica-set figures to report as unknown. */
  private lastUp: MetricSample[] = [];
  private lastReplset: MetricSample[] = [];
  private lastEngine: MetricSample[] = [];
  /**
   * Since when the replica-set view has been unknown without interruption (mongod down or replSetGetStatus
   * failing, in any order, and across agent restarts); only a known view ends the stretch, so a brief recovery of
   * mongod alone does not move it.
   */
  private unknownSince: number | null = null;
  /** The set remembered from before this agent started (undefined: not read yet). */
  private remembered: ReplsetMemory | null | undefined;
  /** Whether serverStatus still tells whether a primary is known. */
  private primaryKnown = false;
  private replsetError: string | null = null;

  constructor(private readonly opts: MongodCollectorOptions) {
    this.source = new MongodSource(opts.uri);
  }

  async snapshot(): Promise<unknown> {
    const ss = await this.source.serverStatus(this.opts.timeoutMs ?? 2000);
    return { gauges: gauges(ss), missing: missingFigures(ss) };
  }

  /**
   * replSetGetStatus every 10 s. When it fails the view is unknown — never the
   * last good one — and whether a primary is known comes from serverStatus.
   */
  private async refreshReplset(now: number, ss: Document): Promise<void> {
    if (now - this.replsetAt >= REPLSET_INTERVAL_MS) {
      this.replsetAt = now;
      const t = this.opts.timeoutMs ?? 2000;
      try {
        const status = await this.source.replSetGetStatus(t);
        this.replset = status ? quorum(status, await this.source.replSetGetConfig(t).catch(() => null)) : null;
        this.unknownSince = null;
        this.remembered = null; // read now: a member (its view is known) or none (nothing to remember)
        return;
      } catch (err) {
        this.unknownSince ??= now;
        this.replsetError = `replSetGetStatus: ${errorMessage(err)}`;
      }
    }
    if (this.unknownSince === null) return;
    const seen = primaryFromServerStatus(ss);
    this.primaryKnown = seen !== null;
    const set = seen?.set ?? this.knownSet();
    this.replset = unknownQuorum(set, seen?.primary ?? null, this.replsetError ?? 'failed', this.unknownSince);
    this.lastError = this.replsetError;
  }

  /** The set's name as last read, in this run or (remembered) before it. */
  private knownSet(): string | null {
    return this.replset ? this.replset.set : (this.remembered?.set ?? null);
  }

  /** Reads the memory once, at the first reading: a set that was unknown when the agent stopped still is. */
  private recall(): void {
    if (this.remembered !== undefined) return;
    this.remembered = this.opts.memory?.read() ?? null;
    this.unknownSince = this.remembered?.unknownSince ?? null;
  }

  /** Writes what a restarted agent needs (the file changes only when the set or the unknown stretch does). */
  private remember(): void {
    const set = this.replset?.set;
    this.opts.memory?.write(typeof set === 'string' ? { set, unknownSince: this.unknownSince } : null);
  }

  /** mongod is down: activity ended (0), replica-set figures unknown (null), the view unknown. */
  private downResult(now: number, uri: string): CollectResult {
    const samples: MetricSample[] = [
      { m: 'mongod_up', v: 0 },
      ...endedActivity(this.lastUp),
      // Cache, eviction, connections and the oplog window are not known while mongod does not answer.
      ...unknownSeries(this.lastEngine),
    ];
    const states: WireState[] = [
      {
        kind: MONGOD_STATE_KIND,
        key: 'status',
        value: {
          up: false,
          uri,
          since: this.downSince ?? now,
          lastError: this.lastError ?? 'unknown error',
        } satisfies MongodDownState,
      },
    ];
    if (this.replset || this.remembered) {
      // The view is lost when mongod went down, unless it was already unknown before.
      this.unknownSince ??= this.downSince ?? now;
      const q = unknownQuorum(this.knownSet(), null, `mongod down: ${this.lastError}`, this.unknownSince);
      this.replset = q;
      states.push({ kind: REPLSET_STATE_KIND, key: q.set ?? 'replset', value: replsetState(q) });
      // has_primary is unknown (null), not absent, also when no known view was read in this run.
      samples.push(...unknownReplsetSamples(q, false, this.lastReplset));
    }
    this.remember();
    return {
      samples,
      states,
      stateKinds: [MONGOD_STATE_KIND, REPLSET_STATE_KIND],
      status: {
        name: this.name,
        state: 'ok',
        message: `mongod down since ${new Date(this.downSince ?? now).toISOString()}: ${this.lastError}`,
      },
    };
  }

  /** The oplog window every 10 s, on replica-set members only (two indexed reads of local.oplog.rs). */
  private async refreshOplog(now: number): Promise<void> {
    if (!this.replset) {
      this.oplogWindow = null;
      return;
    }
    if (now - this.oplogAt < REPLSET_INTERVAL_MS) return;
    this.oplogAt = now;
    const ends = await this.source.oplogEnds(this.opts.timeoutMs ?? 2000);
    this.oplogWindow = ends ? oplogWindowSeconds(ends.first, ends.last) : null;
  }

  async collect(): Promise<CollectResult> {
    const now = Date.now();
    const uri = redactUri(this.opts.uri);
    this.recall();
    let ss: Document;
    try {
      ss = await this.source.serverStatus(this.opts.timeoutMs ?? 800);
    } catch (err) {
      this.downSince ??= now;
      this.lastError = errorMessage(err);
      this.prev = null; // the next reply starts a fresh interval
      this.replsetAt = -Infinity;
      // The oplog window from before the outage is not current after it: read it afresh.
      this.oplogAt = -Infinity;
      this.oplogWindow = null;
      return this.downResult(now, uri);
    }
    const upSince = this.downSince;
    this.downSince = null;
    this.lastError = null;
    const g = gauges(ss);
    let figures = null;
    if (this.prev) {
      const iv = intervalFigures(this.prev, ss);
      if (iv.ok) {
        figures = iv.figures;
        this.discarded = null;
      } else this.discarded = iv.reason;
    }
    // engine rates only across an interval the lock figures accepted (same process, counters rising)
    const rates = figures && this.prev ? engineRates(this.prev, ss) : null;
    this.prev = ss;
    await this.refreshReplset(now, ss);
    this.remember();
    const memoryFailure = this.opts.memory?.failure;
    try {
      await this.refreshOplog(now);
    } catch (err) {
      // Unknown, not the last reading; and the replica-set error (if any) stays first in the message.
      this.oplogWindow = null;
      const oplog = `oplog: ${errorMessage(err)}`;
      const before = this.lastError as string | null; // refreshReplset may have set it since it was cleared above
      this.lastError = before ? `${before}; ${oplog}` : oplog;
    }
    const up = mongodSamples(g, figures);
    this.lastUp = up;
    let rs: MetricSample[] = [];
    if (this.replset?.state === 'unknown')
      rs = unknownReplsetSamples(this.replset, this.primaryKnown, this.lastReplset);
    else if (this.replset) this.lastReplset = rs = replsetSamples(this.replset);
    const engine = engineSamples(engineGauges(ss), rates, this.oplogWindow);
    this.lastEngine = engine;
    const samples: MetricSample[] = [...up, ...rs, ...engine];
    const states: WireState[] = [
      {
        kind: MONGOD_STATE_KIND,
        key: 'status',
        value: {
          up: true,
          uri,
          version: g.version,
          recoveredFrom: upSince,
          gauges: g,
          figures,
          discarded: this.discarded,
          missing: missingFigures(ss),
          lastError: this.lastError,
        } satisfies MongodUpState,
      },
    ];
    if (this.replset)
      states.push({
        kind: REPLSET_STATE_KIND,
        key: this.replset.set ?? 'replset',
        value: replsetState(this.replset),
      });
    return {
      samples,
      states,
      stateKinds: [MONGOD_STATE_KIND, REPLSET_STATE_KIND],
      status: { name: this.name, state: 'ok', ...(memoryFailure ? { message: memoryFailure } : {}) },
    };
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}
