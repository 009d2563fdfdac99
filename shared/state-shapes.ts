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

/* ---- one field ----
 * Each helper takes the field's value, read at the call site by name (`s.uri`): a named load is one inline
 * cache per site, where `o[k]` with a variable key was a generic lookup per field (~15 ns each, most of a
 * check's time). The field's name is only used to word a problem.
 */

type Scalar = 'string' | 'number' | 'boolean';
const ARTICLE: Record<Scalar, string> = { string: 'a string', number: 'a number', boolean: 'a boolean' };

/** The problem of field `k`: not of `type` (nor null when `orNull`, nor absent when `optional`). */
function wrongType(k: string, type: Scalar, orNull: boolean, optional: boolean): string {
  return `${k} must be ${ARTICLE[type]}${orNull ? ' or null' : ''}${optional ? ' when present' : ''}`;
}

const str = (x: unknown, k: string) => (typeof x === 'string' ? null : wrongType(k, 'string', false, false));
const num = (x: unknown, k: string) => (typeof x === 'number' ? null : wrongType(k, 'number', false, false));
const bool = (x: unknown, k: string) => (typeof x === 'boolean' ? null : wrongType(k, 'boolean', false, false));
const strOrNull = (x: unknown, k: string) =>
  x === null || typeof x === 'string' ? null : wrongType(k, 'string', true, false);
const numOrNull = (x: unknown, k: string) =>
  x === null || typeof x === 'number' ? null : wrongType(k, 'number', true, false);
const optStr = (x: unknown, k: string) =>
  x === undefined || typeof x === 'string' ? null : wrongType(k, 'string', false, true);
const optNum = (x: unknown, k: string) =>
  x === undefined || typeof x === 'number' ? null : wrongType(k, 'number', false, true);
const optBool = (x: unknown, k: string) =>
  x === undefined || typeof x === 'boolean' ? null : wrongType(k, 'boolean', false, true);
const optStrOrNull = (x: unknown, k: string) =>
  x === undefined || x === null || typeof x === 'string' ? null : wrongType(k, 'string', true, true);
const optNumOrNull = (x: unknown, k: string) =>
  x === undefined || x === null || typeof x === 'number' ? null : wrongType(k, 'number', true, true);

function strings(x: unknown, k: string): Problem {
  if (!Array.isArray(x)) return `${k} must be an array of strings`;
  for (let i = 0; i < x.length; i++) if (typeof x[i] !== 'string') return `${k}.${i} must be a string`;
  return null;
}

function numbers(x: unknown, k: string): Problem {
  if (!Array.isArray(x)) return `${k} must be an array of numbers`;
  for (let i = 0; i < x.length; i++) if (typeof x[i] !== 'number') return `${k}.${i} must be a number`;
  return null;
}

/** A nested object: `check`'s problem gets the field's name in front. */
function obj(x: unknown, k: string, check: Check): Problem {
  if (!isObject(x)) return `${k} must be an object`;
  const p = check(x);
  return p === null ? null : `${k}.${p}`;
}

function objOrNull(x: unknown, k: string, check: Check): Problem {
  if (x === null) return null;
  if (!isObject(x)) return `${k} must be an object or null`;
  const p = check(x);
  return p === null ? null : `${k}.${p}`;
}

function optObjOrNull(x: unknown, k: string, check: Check): Problem {
  return x === undefined ? null : objOrNull(x, k, check);
}

/** An array of objects, each through `check`. */
function objects(x: unknown, k: string, check: Check): Problem {
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
  str(m.name, 'name') ??
  numOrNull(m.index, 'index') ??
  str(m.state, 'state') ??
  bool(m.writeMostly, 'writeMostly') ??
  optBool(m.journal, 'journal');

const mdSync: Check = (s) =>
  str(s.action, 'action') ??
  str(s.status, 'status') ??
  numOrNull(s.percent, 'percent') ??
  numOrNull(s.speedKBps, 'speedKBps') ??
  numOrNull(s.etaSeconds, 'etaSeconds');

const mdDisks: Check = (d) =>
  numOrNull(d.expected, 'expected') ??
  numOrNull(d.active, 'active') ??
  num(d.failed, 'failed') ??
  num(d.spare, 'spare') ??
  num(d.missing, 'missing') ??
  optNum(d.journal, 'journal') ??
  optNum(d.replacement, 'replacement');

const mdQueueMembers: Check = (m) =>
  strings(m.counted, 'counted') ??
  num(m.aquSzSum, 'aquSzSum') ??
  num(m.aquSzMax, 'aquSzMax') ??
  num(m.inFlightSum, 'inFlightSum') ??
  num(m.inFlightMax, 'inFlightMax') ??
  num(m.utilSum, 'utilSum') ??
  num(m.utilMax, 'utilMax') ??
  strOrNull(m.busiest, 'busiest');

const mdQueue: Check = (q) =>
  str(q.source, 'source') ??
  strOrNull(q.fallbackReason, 'fallbackReason') ??
  numOrNull(q.aquSz, 'aquSz') ??
  numOrNull(q.inFlight, 'inFlight') ??
  obj(q.members, 'members', mdQueueMembers) ??
  bool(q.saturated, 'saturated') ??
  strings(q.saturatedMembers, 'saturatedMembers');

export const raidArrayProblem: Check = (a) =>
  str(a.name, 'name') ??
  optStr(a.kind, 'kind') ??
  optStrOrNull(a.container, 'container') ??
  strOrNull(a.level, 'level') ??
  str(a.state, 'state') ??
  bool(a.readOnly, 'readOnly') ??
  str(a.health, 'health') ??
  bool(a.degraded, 'degraded') ??
  obj(a.disks, 'disks', mdDisks) ??
  numbers(a.missingSlots, 'missingSlots') ??
  objects(a.members, 'members', mdMember) ??
  objOrNull(a.sync, 'sync', mdSync) ??
  numOrNull(a.mismatchCnt, 'mismatchCnt') ??
  strOrNull(a.metadata, 'metadata') ??
  strings(a.sources, 'sources') ??
  strings(a.disagreements, 'disagreements') ??
  optStr(a.error, 'error') ??
  optObjOrNull(a.queue, 'queue', mdQueue);

/* ---- log-path checks (LogPathCheckState): kinds logpaths and mongod_running ---- */

const finding: Check = (f) =>
  str(f.severity, 'severity') ??
  str(f.code, 'code') ??
  str(f.file, 'file') ??
  num(f.line, 'line') ??
  optStr(f.target, 'target') ??
  str(f.message, 'message') ??
  optStr(f.fix, 'fix');

const counts: Check = (c) => num(c.error, 'error') ?? num(c.warning, 'warning') ?? num(c.info, 'info');

export const logPathCheckProblem: Check = (c) =>
  str(c.check, 'check') ??
  optStrOrNull(c.instance, 'instance') ??
  strOrNull(c.file, 'file') ??
  bool(c.ok, 'ok') ??
  obj(c.counts, 'counts', counts) ??
  objects(c.findings, 'findings', finding) ??
  num(c.checkedAt, 'checkedAt') ??
  optStr(c.error, 'error');

/* ---- mongod (MongodStatusState) ---- */

const readersWriters: Check = (q) =>
  numOrNull(q.readers, 'readers') ?? numOrNull(q.writers, 'writers') ?? numOrNull(q.total, 'total');

const ticket: Check = (t) =>
  num(t.out, 'out') ??
  num(t.available, 'available') ??
  num(t.total, 'total') ??
  numOrNull(t.utilPercent, 'utilPercent') ??
  numOrNull(t.queueLength, 'queueLength');

const tickets: Check = (t) =>
  strOrNull(t.source, 'source') ?? objOrNull(t.read, 'read', ticket) ?? objOrNull(t.write, 'write', ticket);

const ticketQueue: Check = (q) => num(q.readers, 'readers') ?? num(q.writers, 'writers');

const connections: Check = (c) => numOrNull(c.current, 'current') ?? numOrNull(c.available, 'available');

const mongodGauges: Check = (g) =>
  strOrNull(g.version, 'version') ??
  numOrNull(g.pid, 'pid') ??
  numOrNull(g.uptimeMs, 'uptimeMs') ??
  obj(g.queued, 'queued', readersWriters) ??
  obj(g.active, 'active', readersWriters) ??
  obj(g.tickets, 'tickets', tickets) ??
  objOrNull(g.ticketQueue, 'ticketQueue', ticketQueue) ??
  obj(g.connections, 'connections', connections);

const mongodFigures: Check = (f) =>
  strOrNull(f.lockKind, 'lockKind') ??
  numOrNull(f.lockPercent, 'lockPercent') ??
  numOrNull(f.lockPercentUncapped, 'lockPercentUncapped') ??
  numOrNull(f.contendedPercent, 'contendedPercent');

const mongodUp: Check = (s) =>
  str(s.uri, 'uri') ??
  strOrNull(s.version, 'version') ??
  optNumOrNull(s.recoveredFrom, 'recoveredFrom') ??
  objOrNull(s.gauges, 'gauges', mongodGauges) ??
  objOrNull(s.figures, 'figures', mongodFigures) ??
  strOrNull(s.discarded, 'discarded') ??
  strings(s.missing, 'missing') ??
  optStrOrNull(s.lastError, 'lastError');

const mongodDown: Check = (s) => str(s.uri, 'uri') ?? num(s.since, 'since') ?? str(s.lastError, 'lastError');

/** `up` decides which of the two shapes the rest must have. */
export const mongodStatusProblem: Check = (s) =>
  s.up === true ? mongodUp(s) : s.up === false ? mongodDown(s) : 'up must be a boolean';

/* ---- replica set (ReplsetState) ---- */

const replsetMember: Check = (m) =>
  numOrNull(m.id, 'id') ??
  str(m.name, 'name') ??
  num(m.votes, 'votes') ??
  num(m.priority, 'priority') ??
  bool(m.arbiter, 'arbiter') ??
  bool(m.hidden, 'hidden') ??
  num(m.delaySecs, 'delaySecs') ??
  numOrNull(m.health, 'health') ??
  numOrNull(m.state, 'state') ??
  strOrNull(m.stateStr, 'stateStr') ??
  numOrNull(m.lagSeconds, 'lagSeconds');

/**
 * An unknown view (replSetGetStatus failed: agent/mongod/absence.ts `unknownQuorum`, UnknownReplsetState) has
 * every quorum figure null and says why and since when. `state` is a string, so a number replaced by a number
 * still cannot change the answer.
 */
export const replsetProblem: Check = (q) => {
  const unknown = q.state === 'unknown';
  const figure = unknown ? numOrNull : num;
  return (
    optStr(q.state, 'state') ??
    (unknown ? str(q.error, 'error') : optStr(q.error, 'error')) ??
    (unknown ? num(q.since, 'since') : optNum(q.since, 'since')) ??
    strOrNull(q.set, 'set') ??
    objects(q.members, 'members', replsetMember) ??
    figure(q.voters, 'voters') ??
    figure(q.majority, 'majority') ??
    figure(q.designedFaultTolerance, 'designedFaultTolerance') ??
    figure(q.healthyVotes, 'healthyVotes') ??
    figure(q.liveFaultTolerance, 'liveFaultTolerance') ??
    strOrNull(q.primary, 'primary') ??
    bool(q.canElectPrimary, 'canElectPrimary') ??
    figure(q.writableVoters, 'writableVoters') ??
    figure(q.writeMajority, 'writeMajority') ??
    figure(q.designedWriteFaultTolerance, 'designedWriteFaultTolerance') ??
    figure(q.liveWriteFaultTolerance, 'liveWriteFaultTolerance') ??
    str(q.source, 'source') ??
    strings(q.warnings, 'warnings') ??
    str(q.summary, 'summary')
  );
};

/* ---- file systems (FilesystemState) and the logrotate schedule (LogrotateScheduleState) ---- */

export const filesystemProblem: Check = (f) =>
  str(f.mountPoint, 'mountPoint') ??
  str(f.fsType, 'fsType') ??
  str(f.device, 'device') ??
  strOrNull(f.array, 'array') ??
  strings(f.members, 'members') ??
  num(f.sizeBytes, 'sizeBytes') ??
  numOrNull(f.availPercent, 'availPercent') ??
  numOrNull(f.inodesFreePercent, 'inodesFreePercent') ??
  numOrNull(f.timeToFullSeconds, 'timeToFullSeconds') ??
  strings(f.holds, 'holds');

export const logrotateScheduleProblem: Check = (s) =>
  optNum(s.next, 'next') ?? optNum(s.latest, 'latest') ?? optStr(s.detail, 'detail') ?? optStr(s.error, 'error');

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
