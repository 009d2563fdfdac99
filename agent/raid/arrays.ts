import type { MdStat, MdStatArray, MemberFlag, SyncAction } from '../procfs/mdstat.js';
import type { MdSysfs } from '../sysfs/md.js';
import type { MdArrayState, MdHealth, MdMember, MdMemberState, MdSync } from '../../shared/states.js';

/** The array report is the shared contract's md-array state, less the queue figures added beside it. */
export type Health = MdHealth;
export type MemberState = MdMemberState;
export type ArrayMember = MdMember;
export type ArraySync = MdSync;
/** One md array as the dashboard, `tidemark collect` and the alert rules see it. */
export type ArrayReport = Omit<MdArrayState, 'queue'>;

const SYNC_ACTIONS = new Set(['resync', 'recovery', 'check', 'repair', 'reshape']);

function sysfsAction(a: string | null): SyncAction | null {
  const action = a === 'recover' ? 'recovery' : a;
  return action && SYNC_ACTIONS.has(action) ? (action as SyncAction) : null;
}

function mdstatMembers(a: MdStatArray): ArrayMember[] {
  const recovering = a.sync?.action === 'recovery' && a.sync.status === 'running';
  return a.members.map((m) => {
    const has = (f: MemberFlag) => m.flags.includes(f);
    let state: MemberState = has('faulty')
      ? 'faulty'
      : has('spare')
        ? 'spare'
        : has('journal')
          ? 'journal'
          : has('replacement')
            ? 'replacement'
            : 'in_sync';
    // A disk being rebuilt carries a descriptor number past the last slot and no flag.
    if (state === 'in_sync' && recovering && a.raidDisks !== null && m.index >= a.raidDisks) state = 'rebuilding';
    return { name: m.name, index: m.index, state, writeMostly: has('write-mostly'), journal: has('journal') };
  });
}

/** dev-*\/state flags (md.c state_show); write-mostly is "write_mostly" there. */
function sysfsMemberState(flags: string[]): MemberState {
  if (flags.includes('faulty')) return 'faulty';
  if (flags.includes('journal')) return 'journal';
  if (flags.includes('replacement')) return 'replacement';
  if (flags.includes('in_sync')) return 'in_sync';
  if (flags.includes('spare')) return 'spare';
  return 'unknown';
}

const sysfsWriteMostly = (flags: string[]) => flags.includes('write_mostly') || flags.includes('writemostly');

/** `super external:imsm` / `external:ddf` is a container; `external:/md127/0` (or `-md127/0`) an array in one. */
function containerOf(metadata: string | null): { isContainer: boolean; parent: string | null } {
  const m = metadata === null ? null : /^external:([/-])?([^/]+)(?:\/|$)/.exec(metadata);
  if (!m) return { isContainer: false, parent: null };
  return m[1] ? { isContainer: false, parent: m[2]! } : { isContainer: true, parent: null };
}

/** Members from both sources; where they differ, the disagreement is listed. */
function mergeMembers(md: MdStatArray | null, sys: MdSysfs | null, disagreements: string[]): ArrayMember[] {
  const members = md ? mdstatMembers(md) : [];
  for (const sm of sys?.members ?? []) {
    const fromSys = sysfsMemberState(sm.state);
    const known = members.find((m) => m.name === sm.name);
    if (!known) {
      if (md) disagreements.push(`member ${sm.name}: only sysfs lists it`);
      members.push({
        name: sm.name,
        index: null,
        state: fromSys,
        writeMostly: sysfsWriteMostly(sm.state),
        journal: sm.state.includes('journal'),
      });
      continue;
    }
    // sysfs calls a disk being rebuilt "spare" until it is in sync.
    const consistent =
      known.state === fromSys || (known.state === 'rebuilding' && fromSys === 'spare') || fromSys === 'unknown';
    if (!consistent)
      disagreements.push(`member ${sm.name}: /proc/mdstat says ${known.state}, sysfs says ${sm.state.join(',')}`);
  }
  if (md && sys && sys.members.length > 0) {
    for (const m of md.members) {
      if (!sys.members.some((sm) => sm.name === m.name))
        disagreements.push(`member ${m.name}: only /proc/mdstat lists it`);
    }
  }
  return members;
}

function compareSources(md: MdStatArray, sys: MdSysfs, disagreements: string[]): void {
  type Value = string | number | null | undefined;
  const differ = (what: string, a: Value, b: Value) => {
    if (a !== null && a !== undefined && b !== null && b !== undefined && a !== b) {
      disagreements.push(`${what}: /proc/mdstat says ${a}, sysfs says ${b}`);
    }
  };
  differ('level', md.level, sys.level);
  differ('raid disks', md.raidDisks, sys.raidDisks);
  if (md.raidDisks !== null && md.workingDisks !== null)
    differ('degraded disks', md.raidDisks - md.workingDisks, sys.degraded);
  const sysInactive = sys.arrayState === null ? null : sys.arrayState === 'inactive';
  differ('state', md.active ? 'active' : 'inactive', sysInactive === null ? null : sysInactive ? 'inactive' : 'active');
  if (md.sync?.status === 'running' || (sys.syncAction && !md.sync)) {
    differ(
      'sync action',
      md.sync?.action ?? 'idle',
      sys.syncAction === null ? null : (sysfsAction(sys.syncAction) ?? sys.syncAction),
    );
  }
}

/**
 * Expected and working data disks. Where mdstat's [n/m] and its [U_] map
 * disagree, the map wins for what is up: it is each slot's In_sync bit read
 * as the line is printed, while m comes from a degraded count a reshape
 * updates late.
 */
function diskCounts(md: MdStatArray | null, sys: MdSysfs | null, members: ArrayMember[]): ArrayReport['disks'] {
  const count = (s: MemberState) => members.filter((m) => m.state === s).length;
  // raid0 and linear print no [n/m]: every member is a data disk.
  const stripes = md && (md.level === 'raid0' || md.level === 'linear');
  const expected = md?.raidDisks ?? sys?.raidDisks ?? (stripes ? md.members.length : null);
  const mapUp = md?.slotMap ? [...md.slotMap].filter((c) => c === 'U').length : null;
  let active: number | null = mapUp ?? md?.workingDisks ?? null;
  if (active === null && expected !== null && sys?.degraded !== null && sys?.degraded !== undefined)
    active = expected - sys.degraded;
  if (active === null && expected !== null && stripes) active = count('in_sync');
  const missing = expected !== null && active !== null ? Math.max(0, expected - active) : (sys?.degraded ?? 0);
  return {
    expected,
    active,
    failed: count('faulty'),
    spare: count('spare'),
    missing,
    journal: count('journal'),
    replacement: count('replacement'),
  };
}

function syncOf(md: MdStatArray | null, sys: MdSysfs | null): ArraySync | null {
  if (md?.sync) {
    const s = md.sync;
    return {
      action: s.action,
      status: s.status,
      percent: s.percent,
      speedKBps: s.speedKBps,
      etaSeconds: s.finishMinutes === null ? null : Math.round(s.finishMinutes * 60),
    };
  }
  const action = sys ? sysfsAction(sys.syncAction) : null;
  if (!sys || !action) return null;
  const c = sys.syncCompleted;
  const percent = c && c.total > 0 ? (100 * c.done) / c.total : null;
  const speed = sys.syncSpeedKBps;
  // sync_completed counts 512-byte sectors; speed is KiB/s.
  const eta = c && speed ? Math.round((c.total - c.done) / 2 / speed) : null;
  return { action, status: 'running', percent, speedKBps: speed, etaSeconds: eta };
}

function healthOf(isActive: boolean, state: string, missing: number, sync: ArraySync | null): Health {
  const running = sync?.status === 'running' ? sync.action : null;
  if (!isActive || state === 'inactive') return 'inactive';
  if (missing > 0) return running === 'recovery' ? 'rebuilding' : 'degraded';
  if (running === 'resync') return 'resyncing';
  if (running === 'check' || running === 'repair') return 'checking';
  if (running === 'reshape') return 'reshaping';
  if (running === 'recovery') return 'rebuilding';
  return 'clean';
}

export function buildArrayReport(md: MdStatArray | null, sys: MdSysfs | null, error?: string): ArrayReport {
  const disagreements: string[] = [...(md?.inconsistencies.map((i) => `/proc/mdstat: ${i}`) ?? [])];
  const members = mergeMembers(md, sys, disagreements);
  if (md && sys) compareSources(md, sys, disagreements);
  const metadata = md?.metadata ?? sys?.metadataVersion ?? null;
  const container = containerOf(metadata);
  // mdstat's header and metadata decide when the array is there; sysfs alone says "container" as its level.
  const isContainer = container.isContainer || (!md && sys?.level === 'container');
  const disks = diskCounts(md, sys, members);
  const sync = syncOf(md, sys);
  const isActive = md ? md.active : sys?.arrayState !== 'inactive';
  const state = sys?.arrayState ?? (md ? (md.active ? 'active' : 'inactive') : 'unknown');
  const report: ArrayReport = {
    name: md?.name ?? sys!.name,
    kind: isContainer ? 'container' : 'array',
    container: container.parent,
    level: md?.level ?? sys?.level ?? null,
    state,
    readOnly: md?.readOnly != null || state === 'readonly' || state === 'read-auto',
    // md keeps a container "inactive" for good: it holds metadata, not data, and is never run.
    health: isContainer ? 'container' : healthOf(isActive, state, disks.missing, sync),
    degraded: !isContainer && disks.missing > 0,
    disks,
    missingSlots: md?.slotMap ? [...md.slotMap].flatMap((c, i) => (c === '_' ? [i] : [])) : [],
    members,
    sync,
    mismatchCnt: sys?.mismatchCnt ?? null,
    metadata,
    sources: [...(md ? ['mdstat' as const] : []), ...(sys ? ['sysfs' as const] : [])],
    disagreements,
  };
  if (error) report.error = error;
  return report;
}

/** Every array either source knows, mdstat order first; arrays whose mdstat block failed carry the error. */
export function buildArrayReports(mdstat: MdStat | null, sysfs: MdSysfs[]): ArrayReport[] {
  const bySys = new Map(sysfs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const out: ArrayReport[] = [];
  const lineErrors = (name: string) =>
    (mdstat?.errors ?? []).filter((e) => e.array === name).map((e) => `/proc/mdstat line ${e.line}: ${e.message}`);
  for (const a of mdstat?.arrays ?? []) {
    seen.add(a.name);
    const skipped = lineErrors(a.name);
    out.push(buildArrayReport(a, bySys.get(a.name) ?? null, skipped.length ? skipped.join('; ') : undefined));
  }
  for (const e of mdstat?.errors ?? []) {
    if (!e.array || seen.has(e.array)) continue;
    seen.add(e.array);
    const sys = bySys.get(e.array) ?? null;
    const message = `/proc/mdstat line ${e.line}: ${e.message}`;
    out.push(sys ? buildArrayReport(null, sys, message) : errorOnly(e.array, message));
  }
  for (const s of sysfs) if (!seen.has(s.name)) out.push(buildArrayReport(null, s));
  return out;
}

function errorOnly(name: string, error: string): ArrayReport {
  return {
    name,
    kind: 'array',
    container: null,
    level: null,
    state: 'unknown',
    readOnly: false,
    health: 'unknown',
    degraded: false,
    disks: { expected: null, active: null, failed: 0, spare: 0, missing: 0, journal: 0, replacement: 0 },
    missingSlots: [],
    members: [],
    sync: null,
    mismatchCnt: null,
    metadata: null,
    sources: [],
    disagreements: [],
    error,
  };
}
