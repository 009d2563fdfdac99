/**
 * The wire protocol between agent and server, and between server and dashboard.
 * Every frame is JSON and is validated on arrival by both ends; the schemas here
 * are the single definition of what a valid frame is.
 *
 * Versioning: an agent says which protocol it speaks in its hello. The server
 * accepts any version from MIN_PROTOCOL_VERSION to PROTOCOL_VERSION, so older
 * agents keep working after a server upgrade. New optional fields do not bump
 * the version; a change an older peer would misread does.
 */
import { z } from 'zod';
import { MAX_SERIES_PER_SESSION, type ErrorCode } from './wire.js';

export * from './wire.js';

const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be letters, digits and _');
const labelValue = z.string().max(256);
const labels = z.record(name, labelValue).refine((l) => Object.keys(l).length <= 16, 'at most 16 labels');
const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits and . _ : -');

/** One sample: metric name from the catalogue, labels besides host (device, cpu, …), value (null: could not be computed this interval). */
export interface WireSample {
  m: string;
  l?: Record<string, string>;
  v: number | null;
}

/** A series as an agent names it once per session in protocol 2: metric, then labels if any. */
export type SeriesDef = [metric: string, labels?: Record<string, string>];
const seriesDefSchema = z.union([z.tuple([name]), z.tuple([name, labels])]);

export const collectorStatusSchema = z.object({
  name,
  state: z.enum(['ok', 'absent', 'error']),
  message: z.string().max(2000).optional(),
});
export type CollectorStatus = z.infer<typeof collectorStatusSchema>;

/**
 * A structured state that is not a number: an md array with its members, a
 * log-path check result. A batch that carries states of a kind replaces all
 * earlier states of that kind for the host, so a vanished array disappears.
 */
export const stateSchema = z.object({
  kind: name,
  key: z.string().min(1).max(256),
  value: z.record(z.string(), z.unknown()),
});
export type WireState = z.infer<typeof stateSchema>;

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().min(1),
  agentId: id,
  /** Random per agent process: sequence numbers restart with it. */
  session: id,
  hostname: z.string().min(1).max(255),
  agentVersion: z.string().max(64),
  /** Host inventory (systeminformation); null when not collected (e.g. a fixture root). */
  inventory: z.record(z.string(), z.unknown()).nullable(),
  /** Protocol 2: the session's series table so far, index = position (a replay on a new connection refers to it). */
  series: z.array(seriesDefSchema).max(MAX_SERIES_PER_SESSION).optional(),
});
export type Hello = z.infer<typeof helloSchema>;

/**
 * A batch of samples taken at one time. On the wire, protocol 1 carries
 * `samples`; protocol 2 carries `defs` (series named for the first time:
 * [index, metric, labels?]), `i` (the samples' series indexes; absent when
 * they are 0, 1, 2, …) and `v` (their values: little-endian float64s in
 * base64, NaN for null). Batches
 * are the bulk of all traffic, so they are checked by hand (decodeBatch), not
 * by a schema: the same rules, at a fraction of the cost.
 */
export interface Batch {
  type: 'batch';
  /** Per agent session, starts at 1 and rises by 1 per batch. */
  seq: number;
  /** Millisecond Unix timestamp the samples were taken at. */
  ts: number;
  samples: WireSample[];
  collectors?: CollectorStatus[];
  /** Kinds of state this batch reports in full (even when it has none of them now, e.g. the last array was removed). */
  stateKinds?: string[];
  states?: WireState[];
}

/** A sample's series: metric and labels. */
export interface SeriesRef {
  m: string;
  l?: Record<string, string>;
}

/**
 * A decoded batch: per sample its series and its value, in two arrays. The
 * server never builds an object per sample (a fleet sends half a million a
 * second); `samplesOf` does, for the few consumers that want them. For
 * protocol 2, `slots` gives each sample's index in the session's table.
 */
export interface DecodedBatch extends Omit<Batch, 'samples'> {
  series: SeriesRef[];
  values: (number | null)[];
  slots?: number[];
}

/** A decoded batch's samples as objects. */
export function samplesOf(b: DecodedBatch): WireSample[] {
  return b.series.map((s, i) => (s.l ? { m: s.m, l: s.l, v: b.values[i]! } : { m: s.m, v: b.values[i]! }));
}

export const MAX_BATCH_SAMPLES = 20_000;
const collectorsSchema = z.array(collectorStatusSchema).max(64);
const stateKindsSchema = z.array(name).max(64);
const statesSchema = z.array(stateSchema).max(2000);

export const inventorySchema = z.object({
  type: z.literal('inventory'),
  inventory: z.record(z.string(), z.unknown()),
});
export type InventoryMessage = z.infer<typeof inventorySchema>;

export type AgentMessage = Hello | DecodedBatch | InventoryMessage;


/* ---- dashboard <-> server ---- */

export const subscribeSchema = z.object({
  type: z.literal('subscribe'),
  /** Host ids to receive samples for; empty means host-list updates only. */
  hosts: z.array(id).max(1000),
  /** Metric names to receive; absent means all. */
  metrics: z.array(name).max(500).optional(),
});
export const dashboardMessageSchema = z.discriminatedUnion('type', [subscribeSchema]);
export type DashboardMessage = z.infer<typeof dashboardMessageSchema>;

export interface HostSummary {
  id: string;
  hostname: string;
  connected: boolean;
  /** Millisecond timestamp of the last frame received, null if never. */
  lastSeen: number | null;
  connectedSince: number | null;
  agentVersion: string | null;
  protocol: number | null;
  collectors: CollectorStatus[];
  /** Latest structured states by kind, then key (e.g. raid_array → md0 → report). */
  states: Record<string, Record<string, Record<string, unknown>>>;
  inventory: Record<string, unknown> | null;
  stats: { batches: number; duplicates: number; gaps: number; badFrames: number };
}

export type ServerToDashboard =
  /** The whole list when a dashboard connects; afterwards (`partial`) only the hosts that changed. */
  | { type: 'hosts'; hosts: HostSummary[]; partial?: boolean }
  | { type: 'samples'; host: string; ts: number; samples: WireSample[]; states?: WireState[]; stateKinds?: string[] }
  | { type: 'error'; code: ErrorCode; message: string };

/** Parse a JSON frame against a schema; returns a readable error instead of throwing. */
export function decodeFrame<T>(raw: string, schema: z.ZodType<T>): Checked<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { ok: false, code: 'bad_json', message: `frame is not JSON: ${(err as Error).message}` };
  }
  return decodeFrameValue(data, schema);
}

function decodeFrameValue<T>(data: unknown, schema: z.ZodType<T>): Checked<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : 'frame';
    return { ok: false, code: 'bad_frame', message: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: parsed.data };
}

/** Canonical series key: metric plus sorted labels, e.g. `disk_util_percent{device="sda"}`. */
export function seriesKey(metric: string, labels: Record<string, string> | undefined): string {
  if (!labels) return metric;
  const keys = Object.keys(labels);
  if (keys.length === 0) return metric;
  keys.sort();
  return `${metric}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/* ---- agent frames, decoded by hand on the hot path ---- */

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
type Checked<T> = { ok: true; value: T } | { ok: false; code: 'bad_json' | 'bad_frame'; message: string };
class FrameError extends Error {}
const fail = (where: string, message: string): never => {
  throw new FrameError(`${where}: ${message}`);
};

function checkName(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > 128 || !NAME.test(v)) fail(where, 'must be letters, digits and _ (1–128)');
  return v as string;
}

function checkLabels(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, 'labels must be an object');
  const l = v as Record<string, unknown>;
  let n = 0;
  for (const k in l) {
    if (++n > 16) fail(where, 'at most 16 labels');
    checkName(k, `${where}.${k}`);
    const value = l[k];
    if (typeof value !== 'string' || value.length > 256) fail(`${where}.${k}`, 'label values are strings of at most 256 characters');
  }
  return l as Record<string, string>;
}

function checkValue(v: unknown, where: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, 'value must be a finite number or null');
  return v as number;
}

function checkCount(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(where, `must be a whole number ≥ ${min}`);
  return v as number;
}

function checkWith<T>(schema: z.ZodType<T>, v: unknown, where: string): T | undefined {
  if (v === undefined) return undefined;
  const r = schema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0];
    fail([where, ...(issue?.path ?? [])].join('.'), issue?.message ?? 'invalid');
  }
  return (r as { data: T }).data;
}

interface SessionEntry extends SeriesRef {
  key: string;
}

/** One agent session's series table on the server side (protocol 2): index → series. */
export class SessionSeries {
  readonly entries: SessionEntry[] = [];

  /** Replaces the table with a hello's. */
  reset(defs: readonly SeriesDef[] = []): void {
    this.entries.length = 0;
    defs.forEach(([m, l], i) => (this.entries[i] = entry(m, l)));
  }
}

function entry(m: string, l: Record<string, string> | undefined): SessionEntry {
  return l && Object.keys(l).length ? { m, l, key: seriesKey(m, l) } : { m, key: m };
}

/**
 * Checks a batch frame and turns it into samples. Protocol-2 definitions are
 * applied to `table` only when the whole frame is valid, so a rejected frame
 * changes nothing.
 */
function decodeBatch(m: Record<string, unknown>, table: SessionSeries): DecodedBatch {
  const seq = checkCount(m.seq, 'seq', 1);
  const ts = checkCount(m.ts, 'ts', 0);
  const batch: DecodedBatch = { type: 'batch', seq, ts, series: [], values: [] };
  if ((m.samples === undefined) === (m.v === undefined)) fail('frame', 'a batch carries either samples (protocol 1) or v (protocol 2)');
  if (m.samples !== undefined) {
    if (!Array.isArray(m.samples) || m.samples.length > MAX_BATCH_SAMPLES) fail('samples', `must be an array of at most ${MAX_BATCH_SAMPLES}`);
    const list = m.samples as unknown[];
    for (let i = 0; i < list.length; i++) {
      const s = list[i] as Record<string, unknown> | null;
      if (s === null || typeof s !== 'object') fail(`samples.${i}`, 'must be an object');
      const metric = checkName(s!.m, `samples.${i}.m`);
      const l = checkLabels(s!.l, `samples.${i}.l`);
      batch.values.push(checkValue(s!.v, `samples.${i}.v`));
      batch.series.push(l ? { m: metric, l } : { m: metric });
    }
  } else {
    // Definitions first, into an overlay of the table that is applied only if the whole frame is good.
    const defined = new Map<number, SessionEntry>();
    if (m.defs !== undefined) {
      if (!Array.isArray(m.defs) || m.defs.length > MAX_SERIES_PER_SESSION) fail('defs', `must be an array of at most ${MAX_SERIES_PER_SESSION}`);
      (m.defs as unknown[]).forEach((d, i) => {
        if (!Array.isArray(d) || d.length < 2 || d.length > 3) fail(`defs.${i}`, 'must be [index, metric] or [index, metric, labels]');
        const index = checkCount((d as unknown[])[0], `defs.${i}.0`, 0);
        if (index >= MAX_SERIES_PER_SESSION) fail(`defs.${i}.0`, `index must be below ${MAX_SERIES_PER_SESSION}`);
        const metric = checkName((d as unknown[])[1], `defs.${i}.1`);
        const l = checkLabels((d as unknown[])[2], `defs.${i}.2`);
        const e = entry(metric, l);
        const existing = defined.get(index) ?? table.entries[index];
        if (existing && existing.key !== e.key) fail(`defs.${i}`, `index ${index} already names ${existing.key}`);
        if (!existing) defined.set(index, e);
      });
    }
    if (typeof m.v !== 'string' || m.v.length > 12 * MAX_BATCH_SAMPLES) fail('v', `must be base64 of at most ${MAX_BATCH_SAMPLES} float64 values`);
    const bytes = Buffer.from(m.v as string, 'base64');
    if (bytes.length % 8 !== 0) fail('v', `must be base64 of float64 values (8 bytes each); it holds ${bytes.length} bytes`);
    const n = bytes.length / 8;
    const indexes = m.i;
    if (indexes !== undefined && (!Array.isArray(indexes) || indexes.length !== n)) fail('i', `must be an array of ${n} series indexes, one per value`);
    const slots: number[] = new Array(n);
    const series: SeriesRef[] = new Array(n);
    const values: (number | null)[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const index = indexes === undefined ? j : (indexes as unknown[])[j];
      const e = typeof index === 'number' ? (table.entries[index] ?? defined.get(index)) : undefined;
      if (!e) fail(indexes === undefined ? `v.${j}` : `i.${j}`, `series index ${JSON.stringify(index)} was never defined in this session`);
      const v = bytes.readDoubleLE(8 * j);
      if (v === Infinity || v === -Infinity) fail(`v.${j}`, 'value must be a finite number or NaN for null');
      slots[j] = index as number;
      series[j] = e!;
      values[j] = Number.isNaN(v) ? null : v;
    }
    for (const [index, e] of defined) table.entries[index] = e;
    batch.series = series;
    batch.values = values;
    batch.slots = slots;
  }
  const collectors = checkWith(collectorsSchema, m.collectors, 'collectors');
  if (collectors) batch.collectors = collectors;
  const stateKinds = checkWith(stateKindsSchema, m.stateKinds, 'stateKinds');
  if (stateKinds) batch.stateKinds = stateKinds;
  const states = checkWith(statesSchema, m.states, 'states');
  if (states) batch.states = states;
  return batch;
}

/** Parses and checks a frame from an agent; a readable reason instead of a throw. Batches go through `table`. */
export function decodeAgentFrame(raw: string, table: SessionSeries): Checked<AgentMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { ok: false, code: 'bad_json', message: `frame is not JSON: ${(err as Error).message}` };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, code: 'bad_frame', message: 'frame: must be an object' };
  const type = (data as { type?: unknown }).type;
  try {
    if (type === 'batch') return { ok: true, value: decodeBatch(data as Record<string, unknown>, table) };
    if (type === 'hello') return decodeFrameValue(data, helloSchema);
    if (type === 'inventory') return decodeFrameValue(data, inventorySchema);
    return { ok: false, code: 'bad_frame', message: `type: unknown message type ${JSON.stringify(type)}` };
  } catch (err) {
    if (err instanceof FrameError) return { ok: false, code: 'bad_frame', message: err.message };
    throw err;
  }
}
