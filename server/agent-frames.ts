/**
 * Agent frames as the server reads them. Batches — the bulk of all traffic —
 * are checked by hand against the rules of shared/protocol.ts (the same rules
 * as its schemas, at a fraction of the cost) and decoded without an object per
 * sample; hellos and inventories go through the schemas.
 */
import type { z } from 'zod';
import {
  MAX_BATCH_SAMPLES,
  MAX_BATCH_VALUES_CHARS,
  MAX_LABELS,
  MAX_LABEL_VALUE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SERIES_PER_SESSION,
  NAME_PATTERN,
  isBase64,
} from '../shared/wire-limits.js';
import { seriesKey } from '../shared/series-key.js';
import { metricDef } from '../shared/catalogue.js';
import { FORBIDDEN_KEYS, INVENTORY_LIMITS, STATE_VALUE_LIMITS, jsonLimitProblem } from '../shared/json-limits.js';
import {
  collectorsSchema,
  decodeFrameValue,
  helloSchema,
  inventorySchema,
  stateKindsSchema,
  statesSchema,
  type AgentMessage,
  type Checked,
  type DecodedBatch,
  type SeriesDef,
  type SeriesRef,
} from '../shared/protocol.js';
import { errorMessage } from '../shared/errors.js';
import { ExtrasMemo, applyRemembered } from './extras-memo.js';
import { checkExtrasByHand, shapeChecked } from './extras-check.js';

/** A frame that breaks a rule: the decoders turn it into a `bad_frame` reply. */
export class FrameError extends Error {}
export const fail = (where: string, message: string): never => {
  throw new FrameError(`${where}: ${message}`);
};

function checkName(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(v))
    fail(where, `must be letters, digits and _ (1–${MAX_NAME_LENGTH})`);
  if (FORBIDDEN_KEYS.has(v as string)) fail(where, `"${v as string}" is not allowed as a name`);
  return v as string;
}

/**
 * Metrics of the catalogue (shared/catalogue.ts) only: the API, /metrics and
 * the dashboard know no others, so a sample of any other name could be stored
 * but never read.
 */
function checkMetric(v: unknown, where: string): string {
  const m = checkName(v, where);
  if (!metricDef(m)) fail(where, `unknown metric "${m}": not in the catalogue (see /api/catalogue)`);
  return m;
}

/** Free-form JSON inside a frame, against its limits. */
function checkJson(v: unknown, limits: typeof STATE_VALUE_LIMITS, where: string): void {
  const problem = jsonLimitProblem(v, limits, where);
  if (problem) throw new FrameError(problem);
}

function checkLabels(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, 'labels must be an object');
  const l = v as Record<string, unknown>;
  let n = 0;
  for (const k in l) {
    if (++n > MAX_LABELS) fail(where, `at most ${MAX_LABELS} labels`);
    checkName(k, `${where}.${k}`);
    const value = l[k];
    if (typeof value !== 'string' || value.length > MAX_LABEL_VALUE_LENGTH)
      fail(`${where}.${k}`, `label values are strings of at most ${MAX_LABEL_VALUE_LENGTH} characters`);
  }
  return l as Record<string, string>;
}

function checkValue(v: unknown, where: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, 'value must be a finite number or null');
  return v as number;
}

export function checkCount(v: unknown, where: string, min: number): number {
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

export interface SessionEntry extends SeriesRef {
  key: string;
}

/** Series-table versions, unique within the process. */
let lastTableVersion = 0;

/** One agent session's series table on the server side (protocol 2): index → series. */
export class SessionSeries {
  /** Replaced by a hello's table (an array of its exact size), added to by definitions. */
  entries: SessionEntry[] = [];
  /**
   * Changes whenever an index may come to name another series (a new
   * session, a hello's new table); definitions only add indexes. So a batch's
   * slots under one version always name the same series (the alert engine's
   * plan cache relies on it).
   */
  version = ++lastTableVersion;
  /** The session's last good binary extras (see extras-memo.ts); their meaning does not depend on the table. */
  readonly extras = new ExtrasMemo();

  /** The series and slots of a batch in table order, kept while they stay the same (see inOrder). */
  private ordered: { version: number; series: SeriesRef[]; slots: number[] } | null = null;

  /**
   * The series and slots of a batch whose values are in table order (series
   * 0, 1, …, n-1), or null if one of them is not defined. The arrays are made
   * once per table version and length and shared by the batches that follow:
   * an index keeps its series for as long as the version lasts, and no one
   * changes a decoded batch's arrays.
   */
  inOrder(n: number): { series: SeriesRef[]; slots: number[] } | null {
    const o = this.ordered;
    if (o && o.version === this.version && o.slots.length === n) return o;
    if (n > this.entries.length) return null;
    const series = new Array<SeriesRef>(n);
    for (let j = 0; j < n; j++) {
      const e = this.entries[j];
      if (!e) return null;
      series[j] = e;
    }
    this.ordered = { version: this.version, series, slots: slotsInOrder(n) };
    return this.ordered;
  }

  /** Replaces the table with a hello's. */
  reset(defs: readonly SeriesDef[] = []): void {
    this.version = ++lastTableVersion;
    this.entries = defs.map(([m, l]) => entry(m, l));
  }
}

/**
 * The slots 0, 1, …, n-1, one array per n for every session (no one changes
 * a batch's arrays): a fleet's hosts send batches of the same few lengths.
 * At most MAX_SHARED_SLOTS lengths are kept; past that, arrays are per session.
 */
export const MAX_SHARED_SLOTS = 64;
const sharedSlots = new Map<number, number[]>();

function slotsInOrder(n: number): number[] {
  const known = sharedSlots.get(n);
  if (known) return known;
  const slots = Array.from({ length: n }, (_, j) => j);
  if (sharedSlots.size < MAX_SHARED_SLOTS) sharedSlots.set(n, slots);
  return slots;
}

/**
 * Entries shared by every session that defines the same series: a fleet's
 * hosts define the same few dozen, and an entry (object, key string, labels)
 * per session and series was ~150 bytes of each series' memory
 * (BENCHMARKS.md, "Memory per active series"). Their labels are frozen
 * copies. At most MAX_SHARED_ENTRIES are kept, so a stream of distinct label
 * sets cannot grow the map without bound; past that, entries are per session.
 */
export const MAX_SHARED_ENTRIES = 100_000;
const sharedEntries = new Map<string, SessionEntry>();

/** The session entry of a series (the shared one when there is one). */
function entry(m: string, l: Record<string, string> | undefined): SessionEntry {
  const labelled = l !== undefined && Object.keys(l).length > 0;
  const key = labelled ? seriesKey(m, l) : m;
  const known = sharedEntries.get(key);
  if (known) return known;
  const e: SessionEntry = labelled ? { m, l: Object.freeze({ ...l }), key } : { m, key };
  if (sharedEntries.size < MAX_SHARED_ENTRIES) sharedEntries.set(key, e);
  return e;
}

/** Protocol 1: every sample names its series. */
function decodeSamples(m: Record<string, unknown>): Pick<DecodedBatch, 'series' | 'values'> {
  if (!Array.isArray(m.samples) || m.samples.length > MAX_BATCH_SAMPLES)
    fail('samples', `must be an array of at most ${MAX_BATCH_SAMPLES}`);
  const list = m.samples as unknown[];
  const values = new Float64Array(list.length);
  const series: SeriesRef[] = [];
  for (let i = 0; i < list.length; i++) {
    const s = list[i] as Record<string, unknown> | null;
    if (s === null || typeof s !== 'object') fail(`samples.${i}`, 'must be an object');
    const metric = checkMetric(s!.m, `samples.${i}.m`);
    const l = checkLabels(s!.l, `samples.${i}.l`);
    values[i] = checkValue(s!.v, `samples.${i}.v`) ?? NaN;
    series.push(l ? { m: metric, l } : { m: metric });
  }
  return { series, values };
}

/** A frame's definitions when it has none (most frames): never changed. */
const NO_DEFS: ReadonlyMap<number, SessionEntry> = new Map();

/** Protocol 2's definitions, as an overlay of the session's table: the caller applies them once the whole frame is good. */
export function decodeDefs(defs: unknown, table: SessionSeries): ReadonlyMap<number, SessionEntry> {
  if (defs === undefined) return NO_DEFS;
  const defined = new Map<number, SessionEntry>();
  if (!Array.isArray(defs) || defs.length > MAX_SERIES_PER_SESSION)
    fail('defs', `must be an array of at most ${MAX_SERIES_PER_SESSION}`);
  (defs as unknown[]).forEach((d, i) => {
    if (!Array.isArray(d) || d.length < 2 || d.length > 3)
      fail(`defs.${i}`, 'must be [index, metric] or [index, metric, labels]');
    const index = checkCount((d as unknown[])[0], `defs.${i}.0`, 0);
    if (index >= MAX_SERIES_PER_SESSION) fail(`defs.${i}.0`, `index must be below ${MAX_SERIES_PER_SESSION}`);
    const metric = checkMetric((d as unknown[])[1], `defs.${i}.1`);
    const l = checkLabels((d as unknown[])[2], `defs.${i}.2`);
    const e = entry(metric, l);
    const existing = defined.get(index) ?? table.entries[index];
    if (existing && existing.key !== e.key) fail(`defs.${i}`, `index ${index} already names ${existing.key}`);
    if (!existing) defined.set(index, e);
  });
  return defined;
}

/** Protocol 2's samples: series indexes (`i`, or 0, 1, 2, …) into the table or this frame's definitions, values packed in `v`. */
function decodePacked(
  m: Record<string, unknown>,
  table: SessionSeries,
  defined: ReadonlyMap<number, SessionEntry>,
): Pick<DecodedBatch, 'series' | 'values' | 'slots'> {
  if (typeof m.v !== 'string' || m.v.length > MAX_BATCH_VALUES_CHARS || !isBase64(m.v))
    fail('v', `must be base64 of at most ${MAX_BATCH_SAMPLES} float64 values`);
  const bytes = Buffer.from(m.v as string, 'base64');
  if (bytes.length % 8 !== 0)
    fail('v', `must be base64 of float64 values (8 bytes each); it holds ${bytes.length} bytes`);
  const n = bytes.length / 8;
  const indexes = m.i;
  if (indexes !== undefined && (!Array.isArray(indexes) || indexes.length !== n))
    fail('i', `must be an array of ${n} series indexes, one per value`);
  const slots = new Array<number>(n);
  const series = new Array<SeriesRef>(n);
  const values = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const index = indexes === undefined ? j : (indexes as unknown[])[j];
    const e = typeof index === 'number' ? (table.entries[index] ?? defined.get(index)) : undefined;
    if (!e)
      fail(
        indexes === undefined ? `v.${j}` : `i.${j}`,
        `series index ${JSON.stringify(index)} was never defined in this session`,
      );
    const v = bytes.readDoubleLE(8 * j);
    if (v === Infinity || v === -Infinity) fail(`v.${j}`, 'value must be a finite number or NaN for null');
    slots[j] = index as number;
    series[j] = e!;
    values[j] = v;
  }
  return { series, values, slots };
}

/** What both protocols may carry besides samples: collector statuses and structured states. */
export function decodeExtras(m: Record<string, unknown>, batch: DecodedBatch): void {
  // Extras that keep the rules pass the hand check; the schemas say what is wrong with the rest.
  const good = checkExtrasByHand(m);
  if (good) applyRemembered(good, batch);
  else decodeExtrasBySchemas(m, batch);
}

/** decodeExtras by the schemas alone: the wording of every refusal, and the reference the hand check is held to. */
export function decodeExtrasBySchemas(m: Record<string, unknown>, batch: DecodedBatch): void {
  const collectors = checkWith(collectorsSchema, m.collectors, 'collectors');
  if (collectors) batch.collectors = collectors;
  const stateKinds = checkWith(stateKindsSchema, m.stateKinds, 'stateKinds');
  if (stateKinds) batch.stateKinds = stateKinds;
  if (Array.isArray(m.states))
    (m.states as unknown[]).forEach((st, i) => {
      const x = st as { key?: unknown; value?: unknown } | null;
      if (typeof x?.key === 'string' && FORBIDDEN_KEYS.has(x.key)) fail(`states.${i}.key`, `"${x.key}" is not allowed`);
      checkJson(x?.value, STATE_VALUE_LIMITS, `states.${i}.value`);
    });
  const states = checkWith(statesSchema, m.states, 'states');
  // A state in the wrong shape is marked, not refused: the frame's samples are good (extras-check.ts).
  if (states) batch.states = states.map((s) => shapeChecked(s));
}

/**
 * Checks a batch frame and turns it into samples. Protocol-2 definitions are
 * applied to `table` only when the whole frame is valid, so a rejected frame
 * changes nothing.
 */
function decodeBatch(m: Record<string, unknown>, table: SessionSeries): DecodedBatch {
  const seq = checkCount(m.seq, 'seq', 1);
  const ts = checkCount(m.ts, 'ts', 0);
  if ((m.samples === undefined) === (m.v === undefined))
    fail('frame', 'a batch carries either samples (protocol 1) or v (protocol 2)');
  const defined = m.samples === undefined ? decodeDefs(m.defs, table) : null;
  const samples = defined ? decodePacked(m, table, defined) : decodeSamples(m);
  const batch: DecodedBatch = { type: 'batch', seq, ts, ...samples };
  decodeExtras(m, batch);
  // Only now is the whole frame known to be good.
  if (defined) applyDefs(table, defined, batch);
  return batch;
}

/** A good frame's definitions into the session's table; the batch's slots index that table. */
export function applyDefs(table: SessionSeries, defined: ReadonlyMap<number, SessionEntry>, batch: DecodedBatch): void {
  for (const [index, e] of defined) table.entries[index] = e;
  batch.tableVersion = table.version;
}

/** The hello without its series table, which decodeHello checks by hand. */
const helloHeadSchema = helloSchema.omit({ series: true });

/**
 * A hello: its fields through the schema, its series table (the bulk of it,
 * ~100 entries) by hand against the same rules — through the schema a whole
 * fleet reconnecting after a server restart spent seconds on its hellos.
 */
function decodeHello(frame: { series?: unknown }): Checked<AgentMessage> {
  const { series, ...head } = frame;
  const decoded = decodeFrameValue(head, helloHeadSchema);
  if (!decoded.ok || series === undefined) return decoded;
  if (!Array.isArray(series) || series.length > MAX_SERIES_PER_SESSION)
    fail('series', `must be an array of at most ${MAX_SERIES_PER_SESSION} series`);
  const defs = (series as unknown[]).map((d, i): [string] | [string, Record<string, string>] => {
    if (!Array.isArray(d) || d.length < 1 || d.length > 2) fail(`series.${i}`, 'must be [metric] or [metric, labels]');
    const metric = checkMetric((d as unknown[])[0], `series.${i}.0`);
    if ((d as unknown[]).length === 1) return [metric];
    const labels = (d as unknown[])[1];
    if (labels === undefined) fail(`series.${i}.1`, 'labels must be an object');
    return [metric, checkLabels(labels, `series.${i}.1`)!];
  });
  return { ok: true, value: { ...decoded.value, series: defs } };
}

/** Parses and checks a frame from an agent; a readable reason instead of a throw. Batches go through `table`. */
export function decodeAgentFrame(raw: string, table: SessionSeries): Checked<AgentMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { ok: false, code: 'bad_json', message: `frame is not JSON: ${errorMessage(err)}` };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return { ok: false, code: 'bad_frame', message: 'frame: must be an object' };
  const type = (data as { type?: unknown }).type;
  try {
    if (type === 'batch') return { ok: true, value: decodeBatch(data as Record<string, unknown>, table) };
    if (type === 'hello' || type === 'inventory') {
      const frame = data as { inventory?: unknown; series?: unknown };
      if (frame.inventory !== null) checkJson(frame.inventory, INVENTORY_LIMITS, 'inventory');
      if (type === 'inventory') return decodeFrameValue(data, inventorySchema);
      return decodeHello(frame);
    }
    return { ok: false, code: 'bad_frame', message: `type: unknown message type ${JSON.stringify(type)}` };
  } catch (err) {
    if (err instanceof FrameError) return { ok: false, code: 'bad_frame', message: err.message };
    throw err;
  }
}
