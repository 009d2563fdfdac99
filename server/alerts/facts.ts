/**
 * The specifics a page carries, from the structured states the host's agent
 * reports (README "Pages"): the array's missing slot, failed and rebuilding
 * members and sync progress; the log path check's findings with their fixes;
 * the replica set's members that are not voting and its summary in words;
 * why mongod is unreachable; the chain under an array, a disk or a mount (the
 * file system on it, what mongod keeps there, the array's members); when the
 * failing logrotate run is due. Pure: states in, lines of text out.
 */
import { clockForPeople, roundForPeople, spanForPeople } from './format.js';
import {
  FILESYSTEM_STATE_KIND,
  LOGROTATE_SCHEDULE_STATE_KIND,
  MONGOD_RUNNING_STATE_KIND,
  type HostStates,
  type LogPathCheckState,
} from '../../shared/states.js';

type States = HostStates;

interface Member {
  name: string;
  index?: number;
  state: string;
  stateStr?: string | null;
  health?: number | null;
}

function raidFacts(a: Record<string, unknown>): string[] {
  const out: string[] = [];
  const disks = a.disks as { expected: number | null; active: number | null; missing: number } | undefined;
  if (disks)
    out.push(
      `${a.name as string} (${(a.level as string) ?? 'md'}): ${disks.active ?? '?'} of ${disks.expected ?? '?'} disks active`,
    );
  const slots = (a.missingSlots as number[] | undefined) ?? [];
  if (slots.length) out.push(`missing slot${slots.length > 1 ? 's' : ''}: ${slots.join(', ')}`);
  const members = (a.members as Member[] | undefined) ?? [];
  const failed = members.filter((m) => m.state === 'faulty').map((m) => m.name);
  if (failed.length) out.push(`failed member${failed.length > 1 ? 's' : ''}: ${failed.join(', ')}`);
  const rebuilding = members.filter((m) => m.state === 'rebuilding').map((m) => m.name);
  if (rebuilding.length) out.push(`rebuilding onto: ${rebuilding.join(', ')}`);
  const sync = a.sync as {
    action: string;
    percent: number | null;
    etaSeconds: number | null;
    speedKBps: number | null;
  } | null;
  if (sync) {
    const eta = sync.etaSeconds === null ? '' : `, about ${roundForPeople(sync.etaSeconds / 60)} min left`;
    const speed = sync.speedKBps === null ? '' : ` at ${roundForPeople(sync.speedKBps)} kB/s`;
    out.push(`${sync.action} ${sync.percent === null ? '' : `${roundForPeople(sync.percent)} % done`}${speed}${eta}`);
  }
  return out;
}

function logpathFacts(check: Pick<LogPathCheckState, 'findings'>): string[] {
  const findings = Array.isArray(check.findings) ? check.findings : [];
  return findings
    .filter((f) => f?.severity === 'error')
    .slice(0, 5)
    .map(
      // line 0: the finding is not about a line of a file (the running mongod's options)
      (f) =>
        `${f.line ? `${f.file}:${f.line}` : f.file}: ${f.target ? `${f.target}: ` : ''}${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}`,
    );
}

function replsetFacts(q: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (q.state === 'unknown') out.push(`replica-set state unknown: ${q.error as string}`);
  const members = (q.members as Member[] | undefined) ?? [];
  // mongod's own stateStr for an unreachable member is "(not reachable/healthy)": not wrapped twice
  const down = members
    .filter((m) => m.health !== 1)
    .map((m) => `${m.name} (${(m.stateStr ?? 'unknown').replace(/^\((.*)\)$/, '$1')})`);
  if (down.length) out.push(`members down: ${down.join(', ')}`);
  if (typeof q.summary === 'string' && q.summary) out.push(q.summary);
  return out;
}

/**
 * Agents send states as they are (only their size is checked on the way in):
 * every field read here is checked for its type, so a state from a newer or a
 * broken agent makes a shorter fact, never a failed page.
 */
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const filesystems = (states: States): Record<string, unknown>[] =>
  Object.values(states[FILESYSTEM_STATE_KIND] ?? {}).filter((f) => typeof f === 'object' && f !== null);

/** "md2: sda1, sdb1", or the device alone when no array is under it. */
function under(fs: Record<string, unknown>): string {
  const array = text(fs.array);
  if (!array) return text(fs.device) ?? 'device unknown';
  const members = strings(fs.members);
  return `${array}: ${members.length ? members.join(', ') : 'members unknown'}`;
}

const holdsText = (fs: Record<string, unknown>) =>
  strings(fs.holds).length ? `holds ${strings(fs.holds).join(', ')}` : 'holds no mongod path';

/** `sda` is member `sda1` (or `nvme0n1` is `nvme0n1p1`) of an array. */
function memberOf(device: string, members: string[]): boolean {
  return members.some((m) => m === device || (m.startsWith(device) && /^p?\d+$/.test(m.slice(device.length))));
}

/**
 * What depends on a block device or array: each mount on it with what mongod
 * keeps there — "md2 holds mongod dbPath /data (mount /data on md2: sda1, sdb1)".
 */
export function chainFacts(states: States, device: string): string[] {
  const name = device.replace(/^\/dev\//, '');
  const out: string[] = [];
  for (const fs of filesystems(states)) {
    const array = text(fs.array);
    const onIt = fs.device === `/dev/${name}` || array === name;
    const member = !onIt && array !== null && memberOf(name, strings(fs.members));
    if (!onIt && !member) continue;
    const via = member ? `is a member of ${array}, which ` : '';
    out.push(`${name} ${via}${holdsText(fs)} (mount ${text(fs.mountPoint) ?? '?'} on ${under(fs)})`);
  }
  return out;
}

function mountFacts(states: States, mountPoint: string): string[] {
  const fs = filesystems(states).find((f) => f.mountPoint === mountPoint);
  return fs ? [`${mountPoint} ${holdsText(fs)} (on ${under(fs)})`] : [];
}

/**
 * "next rotation 03:00, in 5 h 12 min: 2 blocks would fail", counted from when
 * the agent last checked (both times are the agent's clock, so a server whose
 * clock differs does not shift the span).
 */
export function rotationFact(states: States, check: LogPathCheckState): string | null {
  const s = states[LOGROTATE_SCHEDULE_STATE_KIND]?.next as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') return null;
  if (typeof s.next !== 'number') return `next rotation: ${text(s.error) ?? 'unknown'}`;
  const findings = Array.isArray(check.findings) ? check.findings : [];
  const blocks = new Set(findings.filter((f) => f?.severity === 'error').map((f) => `${f.file}:${f.line}`)).size;
  const failing = blocks ? `: ${blocks} block${blocks > 1 ? 's' : ''} would fail` : '';
  // an agent that sends no check time: the span is left out rather than made up
  const span = typeof check.checkedAt === 'number' ? `, in ${spanForPeople(s.next - check.checkedAt)}` : '';
  return `next rotation ${clockForPeople(s.next)}${span}${failing}`;
}

function checkFacts(states: States, labels: Record<string, string>): string[] {
  if (labels.check === 'mongod-running') {
    const running = states[MONGOD_RUNNING_STATE_KIND] ?? {};
    const c = running[labels.instance ?? 'local'] ?? Object.values(running)[0];
    return c ? [`running mongod: ${c.file ?? '?'}`, ...logpathFacts(c)] : [];
  }
  const c = states.logpaths?.[labels.check!];
  if (!c) return [];
  const rotation = labels.check === 'logrotate' ? rotationFact(states, c) : null;
  return [...(rotation ? [rotation] : []), `checked: ${c.file ?? '?'}`, ...logpathFacts(c)];
}

export function alertFacts(states: States, rule: string, labels: Record<string, string>): string[] {
  if (labels.array) {
    const a = states.raid_array?.[labels.array] as Record<string, unknown> | undefined;
    return [...(a ? raidFacts(a) : []), ...chainFacts(states, labels.array)];
  }
  if (labels.mountpoint) return mountFacts(states, labels.mountpoint);
  if (labels.device) return chainFacts(states, labels.device);
  if (labels.check) return checkFacts(states, labels);
  if (labels.set) {
    const q = states.replset?.[labels.set] as Record<string, unknown> | undefined;
    return q ? replsetFacts(q) : [];
  }
  if (rule.startsWith('Mongod')) {
    const s = states.mongod?.status as
      { up?: boolean; uri?: string; lastError?: string | null; since?: number } | undefined;
    if (!s) return [];
    if (s.up === false)
      return [`${s.uri ?? 'mongod'} unreachable since ${new Date(s.since ?? 0).toISOString()}: ${s.lastError ?? ''}`];
    return s.uri ? [`mongod at ${s.uri}`] : [];
  }
  return [];
}
