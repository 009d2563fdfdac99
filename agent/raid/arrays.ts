import type { MdStat, MdStatArray, SyncAction } from '../procfs/mdstat.js';
import type { MdSysfs } from '../sysfs/md.js';

export type Health =
  'clean' | 'degraded' | 'rebuilding' | 'resyncing' | 'checking' | 'reshaping' | 'inactive' | 'unknown';
export type MemberState = 'in_sync' | 'faulty' | 'spare' | 'rebuilding' | 'unknown';

export interface ArrayMember {
  name: string;
  /** Descriptor number from /proc/mdstat, null when only sysfs knows the member. */
  index: number | null;
  state: MemberState;
  writeMostly: boolean;
}

export interface ArraySync {
  action: SyncAction;
  status: 'running' | 'delayed' | 'pending';
  percent: number | null;
  speedKBps: number | null;
  etaSeconds: number | null;
}

/** One md array as the dashboard, `tidemark collect` and the alert rules see it. */
export interface ArrayReport {
  name: string;
  level: string | null;
  /** sysfs array_state when present (clean, active, read-auto, inactive, …), else active/inactive from mdstat. */
  state: string;
  readOnly: boolean;
  health: Health;
  degraded: boolean;
  disks: { expected: number | null; active: number | null; failed: number; spare: number; missing: number };
  /** 0-based positions shown as "_" in mdstat's [U_] map. */
  missingSlots: number[];
  members: ArrayMember[];
  sync: ArraySync | null;
  mismatchCnt: number | null;
  metadata: string | null;
  sources: ('mdstat' | 'sysfs')[];
  /** Where /proc/mdstat and sysfs say different things; both are reported, neither silently wins. */
  disagreements: string[];
  /** Set when this array's mdstat block could not be read; the other fields are then from sysfs or empty. */
  error?: string;
}

const SYNC_ACTIONS = new Set(['resync', 'recovery', 'check', 'repair', 'reshape']);

function sysfsAction(a: string | null): SyncAction | null {
  const action = a === 'recover' ? 'recovery' : a;
  return action && SYNC_ACTIONS.has(action) ? (action as SyncAction) : null;
}

function mdstatMembers(a: MdStatArray): ArrayMember[] {
  const recovering = a.sync?.action === 'recovery' && a.sync.status === 'running';
  return a.members.map((m) => {
    const faulty = m.flags.includes('faulty');
    const spare = m.flags.includes('spare');
    let state: MemberState = faulty ? 'faulty' : spare ? 'spare' : 'in_sync';
    // A disk being rebuilt carries a descriptor number past the last slot and no flag.
    if (state === 'in_sync' && recovering && a.raidDisks !== null && m.index >= a.raidDisks) state = 'rebuilding';
    return { name: m.name, index: m.index, state, writeMostly: m.flags.includes('write-mostly') };
  });
}

function sysfsMemberState(flags: string[]): MemberState {
  if (flags.includes('faulty')) return 'faulty';
  if (flags.includes('in_sync')) return 'in_sync';
  if (flags.includes('spare')) return 'spare';
  return 'unknown';
}

export function buildArrayReport(md: MdStatArray | null, sys: MdSysfs | null, error?: string): ArrayReport {
  const name = md?.name ?? sys!.name;
  const disagreements: string[] = [];
  type Reading = string | number | boolean | null | undefined;
  const differ = (what: string, a: Reading, b: Reading) => {
    if (a !== null && a !== undefined && b !== null && b !== undefined && a !== b) {
      disagreements.push(`${what}: /proc/mdstat says ${a}, sysfs says ${b}`);
    }
  };

  const members = md ? mdstatMembers(md) : [];
  for (const sm of sys?.members ?? []) {
    const fromSys = sysfsMemberState(sm.state);
    const known = members.find((m) => m.name === sm.name);
    if (!known) {
      if (md) disagreements.push(`member ${sm.name}: only sysfs lists it`);
      members.push({ name: sm.name, index: null, state: fromSys, writeMostly: sm.state.includes('writemostly') });
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

  const level = md?.level ?? sys?.level ?? null;
  if (md && sys) {
    differ('level', md.level, sys.level);
    differ('raid disks', md.raidDisks, sys.raidDisks);
    if (md.raidDisks !== null && md.workingDisks !== null)
      differ('degraded disks', md.raidDisks - md.workingDisks, sys.degraded);
    const sysInactive = sys.arrayState === null ? null : sys.arrayState === 'inactive';
    differ(
      'state',
      md.active ? 'active' : 'inactive',
      sysInactive === null ? null : sysInactive ? 'inactive' : 'active',
    );
    if (md.sync?.status === 'running' || (sys.syncAction && !md.sync)) {
      differ(
        'sync action',
        md.sync?.action ?? 'idle',
        sys.syncAction === null ? null : (sysfsAction(sys.syncAction) ?? sys.syncAction),
      );
    }
  }

  const failed = members.filter((m) => m.state === 'faulty').length;
  const spare = members.filter((m) => m.state === 'spare').length;
  // raid0 and linear print no [n/m]: every member is a data disk.
  const stripes = md && (md.level === 'raid0' || md.level === 'linear');
  const expected = md?.raidDisks ?? sys?.raidDisks ?? (stripes ? md.members.length : null);
  let active: number | null = md?.workingDisks ?? null;
  if (active === null && expected !== null && sys?.degraded !== null && sys?.degraded !== undefined)
    active = expected - sys.degraded;
  if (active === null && expected !== null && stripes) active = members.filter((m) => m.state === 'in_sync').length;
  const missing = expected !== null && active !== null ? Math.max(0, expected - active) : (sys?.degraded ?? 0);
  const missingSlots = md?.slotMap ? [...md.slotMap].flatMap((c, i) => (c === '_' ? [i] : [])) : [];

  let sync: ArraySync | null = null;
  if (md?.sync) {
    const s = md.sync;
    sync = {
      action: s.action,
      status: s.status,
      percent: s.percent,
      speedKBps: s.speedKBps,
      etaSeconds: s.finishMinutes === null ? null : Math.round(s.finishMinutes * 60),
    };
  } else if (sys) {
    const action = sysfsAction(sys.syncAction);
    if (action) {
      const c = sys.syncCompleted;
      const percent = c && c.total > 0 ? (100 * c.done) / c.total : null;
      const speed = sys.syncSpeedKBps;
      // sync_completed counts 512-byte sectors; speed is KiB/s.
      const eta = c && speed ? Math.round((c.total - c.done) / 2 / speed) : null;
      sync = { action, status: 'running', percent, speedKBps: speed, etaSeconds: eta };
    }
  }

  const isActive = md ? md.active : sys?.arrayState !== 'inactive';
  const state = sys?.arrayState ?? (md ? (md.active ? 'active' : 'inactive') : 'unknown');
  const readOnly = md?.readOnly != null || state === 'readonly' || state === 'read-auto';
  const running = sync?.status === 'running' ? sync.action : null;
  let health: Health;
  if (!isActive || state === 'inactive') health = 'inactive';
  else if (missing > 0) health = running === 'recovery' ? 'rebuilding' : 'degraded';
  else if (running === 'resync') health = 'resyncing';
  else if (running === 'check' || running === 'repair') health = 'checking';
  else if (running === 'reshape') health = 'reshaping';
  else if (running === 'recovery') health = 'rebuilding';
  else health = 'clean';

  const report: ArrayReport = {
    name,
    level,
    state,
    readOnly,
    health,
    degraded: missing > 0,
    disks: { expected, active, failed, spare, missing },
    missingSlots,
    members,
    sync,
    mismatchCnt: sys?.mismatchCnt ?? null,
    metadata: md?.metadata ?? sys?.metadataVersion ?? null,
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
  for (const a of mdstat?.arrays ?? []) {
    seen.add(a.name);
    out.push(buildArrayReport(a, bySys.get(a.name) ?? null));
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
    level: null,
    state: 'unknown',
    readOnly: false,
    health: 'unknown',
    degraded: false,
    disks: { expected: null, active: null, failed: 0, spare: 0, missing: 0 },
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
