/**
 * A batch's extras (collector statuses, state kinds, states) checked by hand
 * against the rules of shared/protocol.ts — the same rules as its schemas
 * `collectorsSchema`, `stateKindsSchema` and `statesSchema` plus the limits
 * of a state's value (STATE_VALUE_LIMITS), at a fraction of their cost. An
 * agent on a mongod host sends extras that change every second (its uptime):
 * the memo (extras-memo.ts) spares the states whose bytes repeat, and the
 * states that changed are checked here (`stateByHand`). This check
 * only accepts: on anything it refuses, the caller runs the schemas, which
 * word the error (fast accept, slow refuse). Its output equals the schemas'
 * (objects keep the schema's keys only, as zod's objects strip unknown ones);
 * test/server/extras-check.test.ts holds the two to the same answers.
 *
 * A state whose value keeps the limits but not its kind's shape
 * (shared/state-shapes.ts) is not refused: it is returned with its `problem`,
 * so the batch's samples are stored and the state alone is set aside
 * (server/host-states.ts). Both decoders mark it the same way (`shapeChecked`).
 */
import {
  MAX_COLLECTORS,
  MAX_COLLECTOR_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_STATES,
  MAX_STATE_KEY_LENGTH,
  MAX_STATE_KINDS,
  NAME_PATTERN,
  type CheckedState,
  type CollectorStatus,
} from '../shared/protocol.js';
import { stateShapeProblem } from '../shared/state-shapes.js';
import { FORBIDDEN_KEYS, STATE_VALUE_LIMITS, type JsonLimits } from '../shared/json-limits.js';
import type { DecodedExtras } from './extras-memo.js';

/** Refused: the caller asks the schemas what is wrong. */
const REFUSED = null;

const isName = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length >= 1 &&
  v.length <= MAX_NAME_LENGTH &&
  NAME_PATTERN.test(v) &&
  !FORBIDDEN_KEYS.has(v);

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function collectorsOf(v: unknown): CollectorStatus[] | null {
  if (!Array.isArray(v) || v.length > MAX_COLLECTORS) return REFUSED;
  const out: CollectorStatus[] = new Array<CollectorStatus>(v.length);
  for (let i = 0; i < v.length; i++) {
    const c: unknown = v[i];
    if (!isRecord(c)) return REFUSED;
    const { name, state, message } = c;
    if (!isName(name) || (state !== 'ok' && state !== 'absent' && state !== 'error')) return REFUSED;
    if (message === undefined) out[i] = { name, state };
    else if (typeof message === 'string' && message.length <= MAX_COLLECTOR_MESSAGE_LENGTH)
      out[i] = { name, state, message };
    else return REFUSED;
  }
  return out;
}

function stateKindsOf(v: unknown): string[] | null {
  if (!Array.isArray(v) || v.length > MAX_STATE_KINDS) return REFUSED;
  for (const k of v as unknown[]) if (!isName(k)) return REFUSED;
  return (v as string[]).slice();
}

/** Nodes left to visit; shared by one value's walk (a counter object keeps `withinLimits` free of closures). */
interface Budget {
  nodes: number;
}

/**
 * True when `v` at `depth` keeps the limits, by the rules of
 * jsonLimitProblem (shared/json-limits.ts), without building the paths it
 * reports. Recursion is bounded: nothing nests past `limits.maxDepth`.
 */
function withinLimits(v: unknown, depth: number, limits: JsonLimits, budget: Budget): boolean {
  if (--budget.nodes < 0) return false;
  if (typeof v === 'string') return v.length <= limits.maxString;
  if (v === null || typeof v !== 'object') return true;
  if (depth >= limits.maxDepth) return false;
  if (Array.isArray(v)) {
    if (v.length > limits.maxItems) return false;
    for (let i = 0; i < v.length; i++) if (!withinLimits(v[i], depth + 1, limits, budget)) return false;
    return true;
  }
  let keys = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false; // never in parsed JSON: let the schemas judge
    if (++keys > limits.maxKeys || FORBIDDEN_KEYS.has(k) || k.length > limits.maxString) return false;
    if (!withinLimits((v as Record<string, unknown>)[k], depth + 1, limits, budget)) return false;
  }
  return true;
}

/**
 * One element of `states` as stateSchema would return it, with its shape
 * checked (`shapeChecked`), or null when it breaks a rule. The one rule across
 * elements is their count (MAX_STATES): the element-wise memo (extras-memo.ts)
 * checks that itself.
 */
export function stateByHand(s: unknown): CheckedState | null {
  if (!isRecord(s)) return REFUSED;
  const { kind, key, value } = s;
  if (!isName(kind)) return REFUSED;
  if (typeof key !== 'string' || key.length < 1 || key.length > MAX_STATE_KEY_LENGTH || FORBIDDEN_KEYS.has(key))
    return REFUSED;
  // z.record wants a plain object; JSON.parse makes no other kind.
  if (!isRecord(value) || Object.getPrototypeOf(value) !== Object.prototype) return REFUSED;
  if (!withinLimits(value, 0, STATE_VALUE_LIMITS, { nodes: STATE_VALUE_LIMITS.maxNodes })) return REFUSED;
  const copy = { ...value };
  const problem = stateShapeProblem(kind, copy);
  return problem === null ? { kind, key, value: copy } : { kind, key, value: copy, problem };
}

/** A state that keeps the protocol's rules, marked with what is wrong with its shape, if anything. */
export function shapeChecked(s: CheckedState): CheckedState {
  const problem = stateShapeProblem(s.kind, s.value);
  if (problem !== null) s.problem = problem;
  return s;
}

function statesOf(v: unknown): CheckedState[] | null {
  if (!Array.isArray(v) || v.length > MAX_STATES) return REFUSED;
  const out: CheckedState[] = new Array<CheckedState>(v.length);
  for (let i = 0; i < v.length; i++) {
    const s = stateByHand(v[i]);
    if (!s) return REFUSED;
    out[i] = s;
  }
  return out;
}

/**
 * The extras of `m` as the schemas would return them, or null when any of
 * them breaks a rule (then nothing is returned and the schemas must say why).
 */
export function checkExtrasByHand(m: Record<string, unknown>): DecodedExtras | null {
  const out: DecodedExtras = {};
  if (m.collectors !== undefined) {
    const collectors = collectorsOf(m.collectors);
    if (!collectors) return REFUSED;
    out.collectors = collectors;
  }
  if (m.stateKinds !== undefined) {
    const stateKinds = stateKindsOf(m.stateKinds);
    if (!stateKinds) return REFUSED;
    out.stateKinds = stateKinds;
  }
  if (m.states !== undefined) {
    const states = statesOf(m.states);
    if (!states) return REFUSED;
    out.states = states;
  }
  return out;
}
