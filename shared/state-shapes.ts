/**
 * The shape of each known state kind's value (shared/states.ts), checked as it
 * arrives: a number where the type has a number, null only where it allows
 * null, strings, booleans, arrays of the right elements, objects with their
 * required fields; optional fields absent or of their type. A kind this build
 * does not know passes unchecked (it travels untyped), and so do fields the
 * types do not name (a newer agent's).
 *
 * Types and structure only, never values: no range, no integer test, no
 * string literal (`health: 'clean' | …` is checked as a string, so a newer
 * agent's new word is no bad shape), no length compared with a count. So a
 * number replaced by a number cannot change whether a state is valid — the
 * server takes such changes of a state without checking it again
 * (server/extras-memo.ts) and relies on that.
 *
 * Fields added to the types after agents shipped without them (the md
 * container and journal fields, 2026-11-29) may be absent: those agents'
 * states keep passing.
 *
 * Each check returns null (good) or what is wrong: the path of the first bad
 * field and the type it must have, e.g. `counts.error must be a number`. The
 * good path allocates nothing.
 */
import {
  FILESYSTEM_STATE_KIND,
  LOGPATH_STATE_KIND,
  LOGROTATE_SCHEDULE_STATE_KIND,
  MONGOD_RUNNING_STATE_KIND,
  MONGOD_STATE_KIND,
  RAID_STATE_KIND,
  REPLSET_STATE_KIND,
} from './states.js';

type Value = Record<string, unknown>;
/** Null: good; else what is wrong. */
type Problem = string | null;
type Check = (v: Value) => Problem;

const isObject = (v: unknown): v is Value => v !== null && typeof v === 'object' && !Array.isArray(v);

/* ---- one field ---- */

type Scalar = 'string' | 'number' | 'boolean';
const ARTICLE: Record<Scalar, string> = { string: 'a string', number: 'a number', boolean: 'a boolean' };

/** `o[k]` of `type`, or also null (`orNull`), or also absent (`optional`). */
function typed(o: Value, k: string, type: Scalar, orNull: boolean, optional: boolean): Problem {
  const x = o[k];
  if (typeof x === type || (orNull && x === null) || (optional && x === undefined)) return null;
  return `${k} must be ${ARTICLE[type]}${orNull ? ' or null' : ''}${optional ? ' when present' : ''}`;
}

const str = (o: Value, k: string) => typed(o, k, 'string', false, false);
const num = (o: Value, k: string) => typed(o, k, 'number', false, false);
const bool = (o: Value, k: string) => typed(o, k, 'boolean', false, false);
const strOrNull = (o: Value, k: string) => typed(o, k, 'string', true, false);
const numOrNull = (o: Value, k: string) => typed(o, k, 'number', true, false);
const optStr = (o: Value, k: string) => typed(o, k, 'string', false, true);
const optNum = (o: Value, k: string) => typed(o, k, 'number', false, true);
const optBool = (o: Value, k: string) => typed(o, k, 'boolean', false, true);
const optStrOrNull = (o: Value, k: string) => typed(o, k, 'string', true, true);
const optNumOrNull = (o: Value, k: string) => typed(o, k, 'number', true, true);

function strings(o: Value, k: string): Problem {
  const x = o[k];
  if (!Array.isArray(x)) return `${k} must be an array of strings`;
  for (let i = 0; i < x.length; i++) if (typeof x[i] !== 'string') return `${k}.${i} must be a string`;
  return null;
}

function numbers(o: Value, k: string): Problem {
  const x = o[k];
  if (!Array.isArray(x)) return `${k} must be an array of numbers`;
  for (let i = 0; i < x.length; i++) if (typeof x[i] !== 'number') return `${k}.${i} must be a number`;
  return null;
}

/** A nested object: `check`'s problem gets the field's name in front. */
function obj(o: Value, k: string, check: Check): Problem {
  const x = o[k];
  if (!isObject(x)) return `${k} must be an object`;
  const p = check(x);
  return p === null ? null : `${k}.${p}`;
}

function objOrNull(o: Value, k: string, check: Check): Problem {
  const x = o[k];
  if (x === null) return null;
  if (!isObject(x)) return `${k} must be an object or null`;
  const p = check(x);
  return p === null ? null : `${k}.${p}`;
}

function optObjOrNull(o: Value, k: string, check: Check): Problem {
  return o[k] === undefined ? null : objOrNull(o, k, check);
}

/** An array of objects, each through `check`. */
function objects(o: Value, k: string, check: Check): Problem {
  const x = o[k];
  if (!Array.isArray(x)) return `${k} must be an array`;
  for (let i = 0; i < x.length; i++) {
    const e: unknown = x[i];
    if (!isObject(e)) return `${k}.${i} must be an object`;
    const p = check(e);
    if (p !== null) return `${k}.${i}.${p}`;
  }
  return null;
}

/* ---- md arrays (MdArrayState) ---- */

const mdMember: Check = (m) =>
  str(m, 'name') ?? numOrNull(m, 'index') ?? str(m, 'state') ?? bool(m, 'writeMostly') ?? optBool(m, 'journal');

const mdSync: Check = (s) =>
  str(s, 'action') ??
  str(s, 'status') ??
  numOrNull(s, 'percent') ??
  numOrNull(s, 'speedKBps') ??
  numOrNull(s, 'etaSeconds');

const mdDisks: Check = (d) =>
  numOrNull(d, 'expected') ??
  numOrNull(d, 'active') ??
  num(d, 'failed') ??
  num(d, 'spare') ??
  num(d, 'missing') ??
  optNum(d, 'journal') ??
  optNum(d, 'replacement');

const mdQueueMembers: Check = (m) =>
  strings(m, 'counted') ??
  num(m, 'aquSzSum') ??
  num(m, 'aquSzMax') ??
  num(m, 'inFlightSum') ??
  num(m, 'inFlightMax') ??
  num(m, 'utilSum') ??
  num(m, 'utilMax') ??
  strOrNull(m, 'busiest');

const mdQueue: Check = (q) =>
  str(q, 'source') ??
  strOrNull(q, 'fallbackReason') ??
  numOrNull(q, 'aquSz') ??
  numOrNull(q, 'inFlight') ??
  obj(q, 'members', mdQueueMembers) ??
  bool(q, 'saturated') ??
  strings(q, 'saturatedMembers');

export const raidArrayProblem: Check = (a) =>
  str(a, 'name') ??
  optStr(a, 'kind') ??
  optStrOrNull(a, 'container') ??
  strOrNull(a, 'level') ??
  str(a, 'state') ??
  bool(a, 'readOnly') ??
  str(a, 'health') ??
  bool(a, 'degraded') ??
  obj(a, 'disks', mdDisks) ??
  numbers(a, 'missingSlots') ??
  objects(a, 'members', mdMember) ??
  objOrNull(a, 'sync', mdSync) ??
  numOrNull(a, 'mismatchCnt') ??
  strOrNull(a, 'metadata') ??
  strings(a, 'sources') ??
  strings(a, 'disagreements') ??
  optStr(a, 'error') ??
  optObjOrNull(a, 'queue', mdQueue);

/* ---- log-path checks (LogPathCheckState): kinds logpaths and mongod_running ---- */

const finding: Check = (f) =>
  str(f, 'severity') ??
  str(f, 'code') ??
  str(f, 'file') ??
  num(f, 'line') ??
  optStr(f, 'target') ??
  str(f, 'message') ??
  optStr(f, 'fix');

const counts: Check = (c) => num(c, 'error') ?? num(c, 'warning') ?? num(c, 'info');

export const logPathCheckProblem: Check = (c) =>
  str(c, 'check') ??
  optStrOrNull(c, 'instance') ??
  strOrNull(c, 'file') ??
  bool(c, 'ok') ??
  obj(c, 'counts', counts) ??
  objects(c, 'findings', finding) ??
  num(c, 'checkedAt') ??
  optStr(c, 'error');

/* ---- mongod (MongodStatusState) ---- */

const readersWriters: Check = (q) => numOrNull(q, 'readers') ?? numOrNull(q, 'writers') ?? numOrNull(q, 'total');

const ticket: Check = (t) =>
  num(t, 'out') ?? num(t, 'available') ?? num(t, 'total') ?? numOrNull(t, 'utilPercent') ?? numOrNull(t, 'queueLength');

const tickets: Check = (t) => strOrNull(t, 'source') ?? objOrNull(t, 'read', ticket) ?? objOrNull(t, 'write', ticket);

const ticketQueue: Check = (q) => num(q, 'readers') ?? num(q, 'writers');

const connections: Check = (c) => numOrNull(c, 'current') ?? numOrNull(c, 'available');

const mongodGauges: Check = (g) =>
  strOrNull(g, 'version') ??
  numOrNull(g, 'pid') ??
  numOrNull(g, 'uptimeMs') ??
  obj(g, 'queued', readersWriters) ??
  obj(g, 'active', readersWriters) ??
  obj(g, 'tickets', tickets) ??
  objOrNull(g, 'ticketQueue', ticketQueue) ??
  obj(g, 'connections', connections);

const mongodFigures: Check = (f) =>
  strOrNull(f, 'lockKind') ??
  numOrNull(f, 'lockPercent') ??
  numOrNull(f, 'lockPercentUncapped') ??
  numOrNull(f, 'contendedPercent');

const mongodUp: Check = (s) =>
  str(s, 'uri') ??
  strOrNull(s, 'version') ??
  optNumOrNull(s, 'recoveredFrom') ??
  objOrNull(s, 'gauges', mongodGauges) ??
  objOrNull(s, 'figures', mongodFigures) ??
  strOrNull(s, 'discarded') ??
  strings(s, 'missing') ??
  optStrOrNull(s, 'lastError');

const mongodDown: Check = (s) => str(s, 'uri') ?? num(s, 'since') ?? str(s, 'lastError');

/** `up` decides which of the two shapes the rest must have. */
export const mongodStatusProblem: Check = (s) =>
  s.up === true ? mongodUp(s) : s.up === false ? mongodDown(s) : 'up must be a boolean';

/* ---- replica set (ReplsetState) ---- */

const replsetMember: Check = (m) =>
  numOrNull(m, 'id') ??
  str(m, 'name') ??
  num(m, 'votes') ??
  num(m, 'priority') ??
  bool(m, 'arbiter') ??
  bool(m, 'hidden') ??
  num(m, 'delaySecs') ??
  numOrNull(m, 'health') ??
  numOrNull(m, 'state') ??
  strOrNull(m, 'stateStr') ??
  numOrNull(m, 'lagSeconds');

/**
 * An unknown view (replSetGetStatus failed) has every quorum figure null: the agent sends it so
 * (agent/mongod/absence.ts `unknownQuorum`), though the type says number. `state` is a string, so a number
 * replaced by a number still cannot change the answer.
 */
export const replsetProblem: Check = (q) => {
  const figure = q.state === 'unknown' ? numOrNull : num;
  return (
    optStr(q, 'state') ??
    optStr(q, 'error') ??
    optNum(q, 'since') ??
    strOrNull(q, 'set') ??
    objects(q, 'members', replsetMember) ??
    figure(q, 'voters') ??
    figure(q, 'majority') ??
    figure(q, 'designedFaultTolerance') ??
    figure(q, 'healthyVotes') ??
    figure(q, 'liveFaultTolerance') ??
    strOrNull(q, 'primary') ??
    bool(q, 'canElectPrimary') ??
    figure(q, 'writableVoters') ??
    figure(q, 'writeMajority') ??
    figure(q, 'designedWriteFaultTolerance') ??
    figure(q, 'liveWriteFaultTolerance') ??
    str(q, 'source') ??
    strings(q, 'warnings') ??
    str(q, 'summary')
  );
};

/* ---- file systems (FilesystemState) and the logrotate schedule (LogrotateScheduleState) ---- */

export const filesystemProblem: Check = (f) =>
  str(f, 'mountPoint') ??
  str(f, 'fsType') ??
  str(f, 'device') ??
  strOrNull(f, 'array') ??
  strings(f, 'members') ??
  num(f, 'sizeBytes') ??
  numOrNull(f, 'availPercent') ??
  numOrNull(f, 'inodesFreePercent') ??
  numOrNull(f, 'timeToFullSeconds') ??
  strings(f, 'holds');

export const logrotateScheduleProblem: Check = (s) =>
  optNum(s, 'next') ?? optNum(s, 'latest') ?? optStr(s, 'detail') ?? optStr(s, 'error');

/* ---- by kind ---- */

const CHECKS: ReadonlyMap<string, Check> = new Map([
  [RAID_STATE_KIND, raidArrayProblem],
  [LOGPATH_STATE_KIND, logPathCheckProblem],
  [MONGOD_RUNNING_STATE_KIND, logPathCheckProblem],
  [MONGOD_STATE_KIND, mongodStatusProblem],
  [REPLSET_STATE_KIND, replsetProblem],
  [FILESYSTEM_STATE_KIND, filesystemProblem],
  [LOGROTATE_SCHEDULE_STATE_KIND, logrotateScheduleProblem],
]);

/** What is wrong with the shape of a state of `kind` (null: nothing, or a kind this build does not know). */
export function stateShapeProblem(kind: string, value: Value): Problem {
  const check = CHECKS.get(kind);
  return check === undefined ? null : check(value);
}
