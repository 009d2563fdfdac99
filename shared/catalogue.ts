/**
 * The metric catalogue: the one place where a metric's name, unit, help text,
 * labels and kind are written down. Agent, server, dashboard, docs and
 * `/metrics` all read it, so a name is never spelled twice.
 */

import type { MetricDef } from './catalogue/types.js';
import { CPU_METRICS } from './catalogue/cpu.js';
import { DISK_METRICS } from './catalogue/disk.js';
import { RAID_METRICS } from './catalogue/raid.js';
import { PRESSURE_METRICS } from './catalogue/pressure.js';
import { LOGPATH_METRICS } from './catalogue/logpaths.js';
import { MONGOD_METRICS, MONGOD_ENGINE_METRICS } from './catalogue/mongod.js';
import { REPLSET_METRICS } from './catalogue/replset.js';
import { AGENT_METRICS } from './catalogue/agent.js';
import { FILESYSTEM_METRICS } from './catalogue/filesystems.js';

export type { MetricDef, MetricKind, Unit } from './catalogue/types.js';

/** Every metric, one file per domain under catalogue/; the order is the order of /api/catalogue. */
export const METRICS = [
  ...CPU_METRICS,
  ...DISK_METRICS,
  ...RAID_METRICS,
  ...PRESSURE_METRICS,
  ...LOGPATH_METRICS,
  ...MONGOD_METRICS,
  ...REPLSET_METRICS,
  ...AGENT_METRICS,
  ...MONGOD_ENGINE_METRICS,
  ...FILESYSTEM_METRICS,
] as const satisfies readonly MetricDef[];

/** Every name in the catalogue: what an agent may emit. A name outside it fails `tsc`. */
export type MetricName = (typeof METRICS)[number]['name'];

const byName = new Map<string, MetricDef>(METRICS.map((m) => [m.name, m]));

export function metricDef(name: string): MetricDef | undefined {
  return byName.get(name);
}

/** A sample as an agent emits it: the wire's sample (shared/protocol.ts) with a name from the catalogue. */
export interface MetricSample {
  m: MetricName;
  l?: Record<string, string>;
  v: number | null;
}
