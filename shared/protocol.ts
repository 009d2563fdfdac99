/**
 * The wire protocol between agent and server, and between server and dashboard.
 * Every frame is JSON — but protocol 3's batches, binary frames laid out in
 * shared/wire-binary.ts — and is validated on arrival by both ends; the schemas
 * here are the single definition of what a valid frame is.
 *
 * Versioning: an agent says which protocol it speaks in its hello. The server
 * accepts any version from MIN_PROTOCOL_VERSION to PROTOCOL_VERSION, so older
 * agents keep working after a server upgrade. New optional fields do not bump
 * the version; a change an older peer would misread does.
 */
import { z } from 'zod';
import {
  ID_PATTERN,
  MAX_AGENT_VERSION_LENGTH,
  MAX_COLLECTORS,
  MAX_COLLECTOR_MESSAGE_LENGTH,
  MAX_HOSTNAME_LENGTH,
  MAX_ID_LENGTH,
  MAX_LABELS,
  MAX_LABEL_VALUE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SERIES_PER_SESSION,
  MAX_STATES,
  MAX_STATE_KEY_LENGTH,
  MAX_STATE_KINDS,
  NAME_PATTERN,
  type ErrorCode,
} from './wire.js';
import { FORBIDDEN_KEYS } from './json-limits.js';
import type { HostStates } from './states.js';
import type { OverviewFrame } from './overview.js';
import { errorMessage } from './errors.js';

export * from './wire.js';
export { seriesKey } from './series-key.js';

/** Metric, label, collector and state-kind names. */
export const nameSchema = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .regex(NAME_PATTERN, 'must be letters, digits and _')
  .refine((n) => !FORBIDDEN_KEYS.has(n), 'is not allowed as a name');
const name = nameSchema;
const hasForbiddenKey = (v: unknown) =>
  v !== null && typeof v === 'object' && Object.keys(v).some((k) => FORBIDDEN_KEYS.has(k));
const labelValue = z.string().max(MAX_LABEL_VALUE_LENGTH);
export const labelsSchema = z
  .unknown()
  // A record schema drops a `__proto__` key without a word: it must be refused as sent, like the other names.
  .refine((l) => !hasForbiddenKey(l), 'is not allowed as a label name')
  .pipe(z.record(name, labelValue))
  .refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);
const labels = labelsSchema;
const id = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(ID_PATTERN, 'must be letters, digits and . _ : -')
  .refine((n) => !FORBIDDEN_KEYS.has(n), 'is not allowed as an id');

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
  message: z.string().max(MAX_COLLECTOR_MESSAGE_LENGTH).optional(),
});
export type CollectorStatus = z.infer<typeof collectorStatusSchema>;

/**
 * A structured state that is not a number: an md array with its members, a
 * log-path check result. A batch that carries states of a kind replaces all
 * earlier states of that kind for the host, so a vanished array disappears.
 */
export const stateSchema = z.object({
  kind: name,
  key: z
    .string()
    .min(1)
    .max(MAX_STATE_KEY_LENGTH)
    .refine((k) => !FORBIDDEN_KEYS.has(k), 'is not allowed as a key'),
  value: z.record(z.string(), z.unknown()),
});
export type WireState = z.infer<typeof stateSchema>;

/**
 * A state as the server decoded it: `problem` says what is wrong with its
 * value's shape (shared/state-shapes.ts). Such a state is not refused (the
 * batch's samples are stored) but set aside: it reaches no consumer.
 */
export interface CheckedState extends WireState {
  problem?: string;
}

/** A state set aside for its shape, as a host's summary names it. */
export interface StateProblem {
  kind: string;
  key: string;
  problem: string;
}

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().min(1),
  agentId: id,
  /** Random per agent process: sequence numbers restart with it. */
  session: id,
  hostname: z.string().min(1).max(MAX_HOSTNAME_LENGTH),
  agentVersion: z.string().max(MAX_AGENT_VERSION_LENGTH),
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
 * base64, NaN for null); protocol 3 carries the same as a binary frame
 * (shared/wire-binary.ts). Batches
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
 * second); `samplesOf` does, for the few consumers that want them. Values are
 * float64 with NaN for null, as on the wire: a number per sample and no boxed
 * double for the garbage collector to chase. For protocols 2 and 3, `slots` gives
 * each sample's index in the session's table.
 */
export interface DecodedBatch extends Omit<Batch, 'samples' | 'states'> {
  series: SeriesRef[];
  /** The batch's states; one whose value has not its kind's shape carries a `problem` and is set aside. */
  states?: CheckedState[];
  /** Binary batches' values are views of a buffer other batches share: copy what is kept past the batch's handling. */
  values: Float64Array;
  slots?: number[];
  /** Protocols 2 and 3: the version of the session's series table `slots` index (see SessionSeries.version). */
  tableVersion?: number;
}

/** A decoded batch's samples as objects (NaN back to null). */
export function samplesOf(b: DecodedBatch): WireSample[] {
  return b.series.map((s, i) => {
    const x = b.values[i]!;
    const v = Number.isNaN(x) ? null : x;
    return s.l ? { m: s.m, l: s.l, v } : { m: s.m, v };
  });
}

export const collectorsSchema = z.array(collectorStatusSchema).max(MAX_COLLECTORS);
export const stateKindsSchema = z.array(name).max(MAX_STATE_KINDS);
export const statesSchema = z.array(stateSchema).max(MAX_STATES);

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
  /** Receive the fleet overview's tiles (all at once, then those that change). */
  overview: z.boolean().optional(),
});
export const dashboardMessageSchema = z.discriminatedUnion('type', [subscribeSchema]);

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
  states: HostStates;
  inventory: Record<string, unknown> | null;
  stats: { batches: number; duplicates: number; gaps: number; badFrames: number };
  /** The states of the host's last batch that were set aside for their shape; absent when none were. */
  stateProblems?: StateProblem[];
}

export type ServerToDashboard =
  /** The whole list when a dashboard connects; afterwards (`partial`) only the hosts that changed. */
  | { type: 'hosts'; hosts: HostSummary[]; partial?: boolean }
  | { type: 'samples'; host: string; ts: number; samples: WireSample[]; states?: WireState[]; stateKinds?: string[] }
  | OverviewFrame
  | { type: 'error'; code: ErrorCode; message: string };

/** Parse a JSON frame against a schema; returns a readable error instead of throwing. */
export type Checked<T> = { ok: true; value: T } | { ok: false; code: 'bad_json' | 'bad_frame'; message: string };

export function decodeFrame<T>(raw: string, schema: z.ZodType<T>): Checked<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { ok: false, code: 'bad_json', message: `frame is not JSON: ${errorMessage(err)}` };
  }
  return decodeFrameValue(data, schema);
}

/** Checks already-parsed JSON against a schema; a readable error instead of a throw. */
export function decodeFrameValue<T>(data: unknown, schema: z.ZodType<T>): Checked<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : 'frame';
    return { ok: false, code: 'bad_frame', message: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: parsed.data };
}
