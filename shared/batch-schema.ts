/**
 * A batch frame as a schema: the declarative statement of what the server
 * accepts, rule by rule. The server does not run it — batches are the bulk of
 * all traffic and server/agent-frames.ts checks them by hand at a fraction of
 * the cost — but a property test (test/server/batch-validators.test.ts) holds
 * the hand decoder to this schema over many generated frames, valid and
 * broken: both must accept and reject the same frames and read the same values.
 */
import { z } from 'zod';
import { metricDef } from './catalogue.js';
import { STATE_VALUE_LIMITS, jsonLimitProblem, type JsonLimits } from './json-limits.js';
import { collectorsSchema, labelsSchema, nameSchema, stateSchema, stateKindsSchema } from './protocol.js';
import { seriesKey } from './series-key.js';
import {
  BASE64_PATTERN,
  MAX_BATCH_SAMPLES,
  MAX_BATCH_VALUES_CHARS,
  MAX_SERIES_PER_SESSION,
  MAX_STATES,
} from './wire-limits.js';

/** Metrics of the catalogue only: the API, /metrics and the dashboard know no others. */
const metric = nameSchema.refine((m) => metricDef(m) !== undefined, 'is not a metric of the catalogue');
const count = (min: number) => z.number().int().min(min);
const index = count(0).max(MAX_SERIES_PER_SESSION - 1);

/** Free-form JSON checked against its limits before it is read as an object (a `__proto__` key must be seen as sent). */
const limitedJson = (limits: JsonLimits) =>
  z.unknown().superRefine((v, ctx) => {
    const problem = jsonLimitProblem(v, limits);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const batchState = stateSchema.extend({
  value: limitedJson(STATE_VALUE_LIMITS).pipe(z.record(z.string(), z.unknown())),
});

/** The fields both protocols share. */
const common = {
  type: z.literal('batch'),
  seq: count(1),
  ts: count(0),
  collectors: collectorsSchema.optional(),
  stateKinds: stateKindsSchema.optional(),
  states: z.array(batchState).max(MAX_STATES).optional(),
};

/** Protocol 1: every sample carries its series. */
const protocol1 = z.object({
  ...common,
  samples: z
    .array(z.object({ m: metric, l: labelsSchema.optional(), v: z.number().nullable() }))
    .max(MAX_BATCH_SAMPLES),
  v: z.undefined().optional(),
});

/** A protocol-2 batch's values, read from their base64. */
export function batchValues(v: string): Float64Array {
  const binary = atob(v);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  return Float64Array.from({ length: Math.floor(bytes.length / 8) }, (_, j) => view.getFloat64(8 * j, true));
}

const packedValues = z
  .string()
  .max(MAX_BATCH_VALUES_CHARS)
  .superRefine((v, ctx) => {
    const problem = !BASE64_PATTERN.test(v)
      ? 'must be base64'
      : atob(v).length % 8 !== 0
        ? 'must hold whole float64 values'
        : batchValues(v).some((x) => x === Infinity || x === -Infinity)
          ? 'values must be finite or NaN'
          : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Protocol 2: series defined once per session, then indexes and packed
 * values. `known(index)` is the key of the series the session's table
 * already holds at an index.
 */
const protocol2 = (known: (index: number) => string | undefined) =>
  z
    .object({
      ...common,
      samples: z.undefined().optional(),
      defs: z
        .array(z.union([z.tuple([index, metric]), z.tuple([index, metric, labelsSchema])]))
        .max(MAX_SERIES_PER_SESSION)
        .optional(),
      v: packedValues,
      i: z.array(index).optional(),
    })
    .superRefine((b, ctx) => {
      const defined = new Map<number, string>();
      for (const [at, m, l] of b.defs ?? []) {
        const key = seriesKey(m, l);
        const existing = defined.get(at) ?? known(at);
        if (existing !== undefined && existing !== key)
          ctx.addIssue({ code: 'custom', message: `index ${at} already names ${existing}` });
        defined.set(at, existing ?? key);
      }
      if (!BASE64_PATTERN.test(b.v)) return; // `v` says why
      const n = Math.floor(atob(b.v).length / 8);
      if (b.i && b.i.length !== n) ctx.addIssue({ code: 'custom', message: `i must hold ${n} indexes` });
      const indexes = b.i ?? Array.from({ length: n }, (_, j) => j);
      for (const at of indexes)
        if (!defined.has(at) && known(at) === undefined)
          ctx.addIssue({ code: 'custom', message: `series index ${at} was never defined in this session` });
    });

/** A batch frame from a session whose series table `known` describes (protocol 1 ignores it). */
export const batchFrameSchema = (known: (index: number) => string | undefined = () => undefined) =>
  z.union([protocol1, protocol2(known)]);
export type BatchFrame = z.infer<ReturnType<typeof batchFrameSchema>>;
