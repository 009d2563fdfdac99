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
import type { ErrorCode } from './wire.js';

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

export const sampleSchema = z.object({
  /** Metric name from the catalogue. */
  m: name,
  /** Labels besides host (device, cpu, …). */
  l: labels.optional(),
  /** Value; null means "could not be computed this interval". */
  v: z.number().finite().nullable(),
});
export type WireSample = z.infer<typeof sampleSchema>;

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
});
export type Hello = z.infer<typeof helloSchema>;

export const batchSchema = z.object({
  type: z.literal('batch'),
  /** Per agent session, starts at 1 and rises by 1 per batch. */
  seq: z.number().int().min(1),
  /** Millisecond Unix timestamp the samples were taken at. */
  ts: z.number().int().min(0),
  samples: z.array(sampleSchema).max(20000),
  collectors: z.array(collectorStatusSchema).max(64).optional(),
  /** Kinds of state this batch reports in full (even when it has none of them now, e.g. the last array was removed). */
  stateKinds: z.array(name).max(64).optional(),
  states: z.array(stateSchema).max(2000).optional(),
});
export type Batch = z.infer<typeof batchSchema>;

export const inventorySchema = z.object({
  type: z.literal('inventory'),
  inventory: z.record(z.string(), z.unknown()),
});
export type InventoryMessage = z.infer<typeof inventorySchema>;

export const agentMessageSchema = z.discriminatedUnion('type', [helloSchema, batchSchema, inventorySchema]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;


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
  | { type: 'hosts'; hosts: HostSummary[] }
  | { type: 'samples'; host: string; ts: number; samples: WireSample[]; states?: WireState[]; stateKinds?: string[] }
  | { type: 'error'; code: ErrorCode; message: string };

/** Parse a JSON frame against a schema; returns a readable error instead of throwing. */
export function decodeFrame<T>(
  raw: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; code: 'bad_json' | 'bad_frame'; message: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { ok: false, code: 'bad_json', message: `frame is not JSON: ${(err as Error).message}` };
  }
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
