import type { Document } from 'bson';
import type { MetricName, MetricSample } from '../../shared/catalogue.js';

/**
 * WiredTiger cache, eviction, connection-limit and assert figures from
 * serverStatus, and the oplog window from the first and last oplog entries.
 * Pure: the collector passes replies in.
 */

const num = (v: unknown): number | null => {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v?.toString?.() ?? NaN);
  return Number.isFinite(n) ? n : null;
};

function path(doc: Document | undefined, ...keys: string[]): unknown {
  let cur: unknown = doc;
  for (const k of keys) cur = cur && typeof cur === 'object' ? (cur as Document)[k] : undefined;
  return cur;
}

export interface EngineGauges {
  /** WiredTiger cache in use, % of `maximum bytes configured` (null on MMAPv1). */
  cacheUsedPercent: number | null;
  cacheDirtyPercent: number | null;
  cacheMaxBytes: number | null;
  /** current + available: the effective connection limit (net.maxIncomingConnections or the ulimit). */
  connectionsLimit: number | null;
  connectionsUsedPercent: number | null;
}

export function engineGauges(ss: Document): EngineGauges {
  const cache = path(ss, 'wiredTiger', 'cache') as Document | undefined;
  const max = num(cache?.['maximum bytes configured']);
  const used = num(cache?.['bytes currently in the cache']);
  const dirty = num(cache?.['tracked dirty bytes in the cache']);
  const pct = (x: number | null) => (x !== null && max ? (100 * x) / max : null);
  const current = num(path(ss, 'connections', 'current'));
  const available = num(path(ss, 'connections', 'available'));
  const limit = current !== null && available !== null ? current + available : null;
  return {
    cacheUsedPercent: pct(used),
    cacheDirtyPercent: pct(dirty),
    cacheMaxBytes: max,
    connectionsLimit: limit,
    connectionsUsedPercent: limit ? (100 * current!) / limit : null,
  };
}

const ASSERT_TYPES = ['regular', 'warning', 'msg', 'user', 'rollovers'] as const;

export interface EngineRates {
  /** Pages evicted by application threads per second: eviction threads are not keeping up. */
  appEvictionsPerS: number | null;
  assertsPerS: Partial<Record<(typeof ASSERT_TYPES)[number], number>>;
}

/** Rates between two replies of one process (the caller has checked it is the same process); Δt from uptimeMillis. */
export function engineRates(prev: Document, cur: Document): EngineRates | null {
  const dt = (num(cur.uptimeMillis) ?? NaN) - (num(prev.uptimeMillis) ?? NaN);
  if (!(dt > 0)) return null;
  const rate = (a: unknown, b: unknown) => {
    const x = num(a);
    const y = num(b);
    return x !== null && y !== null && y >= x ? ((y - x) * 1000) / dt : null;
  };
  const key = 'pages evicted by application threads';
  const out: EngineRates = {
    appEvictionsPerS: rate(path(prev, 'wiredTiger', 'cache', key), path(cur, 'wiredTiger', 'cache', key)),
    assertsPerS: {},
  };
  for (const t of ASSERT_TYPES) {
    const r = rate(path(prev, 'asserts', t), path(cur, 'asserts', t));
    if (r !== null) out.assertsPerS[t] = r;
  }
  return out;
}

/** Seconds of a BSON Timestamp (its high 32 bits), or of a Date. */
function timestampSeconds(ts: unknown): number | null {
  if (ts instanceof Date) return ts.getTime() / 1000;
  if (ts && typeof ts === 'object') {
    const t = ts as { getHighBitsUnsigned?: () => number; t?: unknown };
    if (typeof t.getHighBitsUnsigned === 'function') return t.getHighBitsUnsigned();
    return num(t.t);
  }
  return null;
}

/** rs.printReplicationInfo()'s "log length start to end": last oplog entry's ts − first's, in seconds. */
export function oplogWindowSeconds(first: Document | null, last: Document | null): number | null {
  const a = timestampSeconds(first?.ts);
  const b = timestampSeconds(last?.ts);
  return a !== null && b !== null && b >= a ? b - a : null;
}

export function engineSamples(g: EngineGauges, r: EngineRates | null, oplogWindow: number | null): MetricSample[] {
  const out: MetricSample[] = [];
  const put = (m: MetricName, v: number | null, l?: Record<string, string>) => {
    if (v !== null) out.push(l ? { m, l, v } : { m, v });
  };
  put('mongod_wt_cache_used_percent', g.cacheUsedPercent);
  put('mongod_wt_cache_dirty_percent', g.cacheDirtyPercent);
  put('mongod_connections_used_percent', g.connectionsUsedPercent);
  put('mongod_connections_limit', g.connectionsLimit);
  put('mongod_oplog_window_seconds', oplogWindow);
  if (r) {
    put('mongod_wt_app_evictions_per_s', r.appEvictionsPerS);
    for (const [type, v] of Object.entries(r.assertsPerS)) put('mongod_asserts_per_s', v, { type });
  }
  return out;
}
