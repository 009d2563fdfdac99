/**
 * Every structured state an agent sends is checked here before the dashboard
 * renders it: a state without the fields its panel reads, or a kind or key
 * like `__proto__`, becomes an error shown for that host alone instead of an
 * exception that empties every host's view.
 */

export type HostStates = Record<string, Record<string, Record<string, unknown>>>;

type Check = (v: Record<string, unknown>) => string | null;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A checker from field names to the type each must have (`?` after the type: may also be null or absent). */
function fields(spec: Record<string, string>): Check {
  return (v) => {
    for (const [name, type] of Object.entries(spec)) {
      const x = v[name];
      const optional = type.endsWith('?');
      const want = optional ? type.slice(0, -1) : type;
      if (optional && (x === null || x === undefined)) continue;
      const ok = want === 'array' ? Array.isArray(x) : want === 'object' ? isObject(x) : typeof x === want;
      if (!ok)
        return `${name} must be ${optional ? 'null or ' : ''}${want === 'array' || want === 'object' ? `an ${want}` : `a ${want}`}`;
    }
    return null;
  };
}

const knownReplset = fields({
  members: 'array',
  voters: 'number',
  majority: 'number',
  liveFaultTolerance: 'number',
  liveWriteFaultTolerance: 'number',
  summary: 'string',
  warnings: 'array',
});
const unknownReplset = fields({
  error: 'string',
  since: 'number',
  members: 'array',
  voters: 'number?',
  majority: 'number?',
  liveFaultTolerance: 'number?',
  liveWriteFaultTolerance: 'number?',
  summary: 'string',
  warnings: 'array',
});

/** What each rendered kind's panels read; kinds not listed are not rendered and are left out. */
const logPathCheck: Check = (v) => {
  const p = fields({ check: 'string', ok: 'boolean', counts: 'object', findings: 'array' })(v);
  return p ?? fields({ error: 'number', warning: 'number' })(v.counts as Record<string, unknown>);
};

const CHECKS: Record<string, Check> = {
  logpaths: logPathCheck,
  mongod_running: logPathCheck,
  filesystem: fields({
    mountPoint: 'string',
    fsType: 'string',
    device: 'string',
    array: 'string?',
    members: 'array',
    availPercent: 'number?',
    inodesFreePercent: 'number?',
    timeToFullSeconds: 'number?',
    holds: 'array',
  }),
  logrotate_schedule: fields({ next: 'number?', detail: 'string?', error: 'string?' }),
  raid_array: (v) => {
    const p = fields({
      name: 'string',
      state: 'string',
      health: 'string',
      degraded: 'boolean',
      disks: 'object',
      missingSlots: 'array',
      members: 'array',
      sync: 'object?',
      disagreements: 'array',
    })(v);
    if (p) return p;
    if (!(v.members as unknown[]).every((m) => isObject(m) && typeof m.name === 'string'))
      return 'members must be objects with a name';
    return null;
  },
  mongod: fields({ up: 'boolean', uri: 'string' }),
  // An unknown view (replSetGetStatus failed: the agent's unknownQuorum) has its quorum figures null; its card
  // says so from its summary and warnings. Refused, the set's card vanished exactly when its members failed.
  replset: (v) => (v.state === 'unknown' ? unknownReplset(v) : knownReplset(v)),
};

/** Why a state cannot be rendered, or null when it can. */
export function stateProblem(kind: unknown, key: unknown, value: unknown): string | null {
  if (typeof kind !== 'string' || typeof key !== 'string') return 'kind and key must be strings';
  if (FORBIDDEN.has(kind) || FORBIDDEN.has(key)) return `state ${kind}/${key}: reserved name`;
  if (!isObject(value)) return `state ${kind}/${key}: not an object`;
  const check = Object.hasOwn(CHECKS, kind) ? CHECKS[kind]! : null;
  const p = check ? check(value) : null;
  return p ? `state ${kind}/${key}: ${p}` : null;
}

/** The states of a host that can be rendered, in objects without a prototype, and what was wrong with the rest. */
export function checkedStates(raw: unknown): { states: HostStates; problems: string[] } {
  const states = Object.create(null) as HostStates;
  const problems: string[] = [];
  if (!isObject(raw)) return { states, problems: raw === undefined || raw === null ? [] : ['states: not an object'] };
  for (const [kind, byKey] of Object.entries(raw)) {
    if (!isObject(byKey)) {
      problems.push(`states of kind ${kind}: not an object`);
      continue;
    }
    for (const [key, value] of Object.entries(byKey)) {
      const p = stateProblem(kind, key, value);
      if (p) problems.push(p);
      else
        (states[kind] ??= Object.create(null) as Record<string, Record<string, unknown>>)[key] = value as Record<
          string,
          unknown
        >;
    }
  }
  return { states, problems };
}

/**
 * Applies a live push to a host's states: each kind in `kinds` is replaced
 * by the states given for it. Returns the problems of the states left out.
 */
export function mergeStates(
  states: HostStates,
  kinds: readonly unknown[] = [],
  list: readonly { kind: unknown; key: unknown; value: unknown }[] = [],
): string[] {
  const problems: string[] = [];
  for (const kind of kinds)
    if (typeof kind === 'string' && !FORBIDDEN.has(kind)) states[kind] = Object.create(null) as HostStates[string];
  for (const st of list) {
    const p = stateProblem(st.kind, st.key, st.value);
    if (p) problems.push(p);
    else
      (states[st.kind as string] ??= Object.create(null) as HostStates[string])[st.key as string] = st.value as Record<
        string,
        unknown
      >;
  }
  return problems;
}
