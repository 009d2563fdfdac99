import type { CollectorStatus, WireState } from '../../shared/protocol.js';
import type { MetricSample } from '../../shared/catalogue.js';
import type { Pressure } from '../procfs/pressure.js';
import type { DeviceReading } from './disks.js';
import { errorMessage } from '../../shared/errors.js';

/**
 * What some collectors read for others, handed round by the sampler (never
 * through another collector's fields). Absent when the collector that provides
 * it is disabled or has not run yet.
 */
export interface Readings {
  /** Host I/O pressure, for the disks' saturation view; null when the kernel has no PSI. */
  pressure?: Pressure | null;
  /** Every device's latest interval by name, for the RAID queue figures. */
  disks?: ReadonlyMap<string, DeviceReading>;
}

export interface CollectContext {
  /** Wall-clock ms, stamped on the batch. */
  nowMs: number;
  /** Monotonic ms, used for rates so clock steps do not distort them. */
  monoMs: number;
  /**
   * Readings provided so far: a primary collector sees the previous tick's, a
   * derived one this tick's from the primaries.
   */
  readings?: Readings;
}

export interface CollectResult {
  samples: MetricSample[];
  status: CollectorStatus;
  /** Structured states, and the kinds this collector reports in full. */
  states?: WireState[];
  stateKinds?: string[];
  /** Readings this collector provides to others (see Readings). */
  provides?: Readings;
}

/**
 * One source of metrics (Telegraf/go.d style): `collect` is called once per
 * interval by the sampler, reads its files through a pure parser, and keeps
 * whatever previous reading it needs for rates. A collector whose source is
 * absent reports state "absent"; one that fails reports "error" with the
 * reason. Neither throws, so one broken source never stops the others.
 */
export interface Collector {
  readonly name: string;
  /** "derived" collectors run after the others in the same tick and read their readings. */
  readonly stage?: 'primary' | 'derived';
  collect(ctx: CollectContext): Promise<CollectResult>;
  /** Current raw state as plain JSON, for `tidemark collect --json`. */
  snapshot(): Promise<unknown>;
  close?(): Promise<void>;
}

export function ok(name: string, samples: MetricSample[], message?: string): CollectResult {
  return { samples, status: message ? { name, state: 'ok', message } : { name, state: 'ok' } };
}

export function absent(name: string, message: string): CollectResult {
  return { samples: [], status: { name, state: 'absent', message } };
}

export function failed(name: string, err: unknown): CollectResult {
  return { samples: [], status: { name, state: 'error', message: errorMessage(err) } };
}
