/**
 * The specifics a page carries, from the structured states the host's agent
 * reports (README "Pages"): the array's missing slot, failed and rebuilding
 * members and sync progress; the log path check's findings with their fixes;
 * the replica set's members that are not voting and its summary in words;
 * why mongod is unreachable. Pure: states in, lines of text out.
 */
import { roundForPeople } from './format.js';
import type { HostStates } from '../../shared/states.js';

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

function logpathFacts(check: Record<string, unknown>): string[] {
  const findings =
    (check.findings as
      { severity: string; file: string; line: number; target?: string; message: string; fix?: string }[] | undefined) ??
    [];
  return findings
    .filter((f) => f.severity === 'error')
    .slice(0, 5)
    .map(
      (f) => `${f.file}:${f.line}: ${f.target ? `${f.target}: ` : ''}${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}`,
    );
}

function replsetFacts(q: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (q.state === 'unknown') out.push(`replica-set state unknown: ${q.error as string}`);
  const members = (q.members as Member[] | undefined) ?? [];
  const down = members.filter((m) => m.health !== 1).map((m) => `${m.name} (${m.stateStr ?? 'unknown'})`);
  if (down.length) out.push(`members down: ${down.join(', ')}`);
  if (typeof q.summary === 'string' && q.summary) out.push(q.summary);
  return out;
}

export function alertFacts(states: States, rule: string, labels: Record<string, string>): string[] {
  if (labels.array) {
    const a = states.raid_array?.[labels.array] as Record<string, unknown> | undefined;
    return a ? raidFacts(a) : [];
  }
  if (labels.check) {
    const c = states.logpaths?.[labels.check] as Record<string, unknown> | undefined;
    return c ? [`checked: ${(c.file as string) ?? '?'}`, ...logpathFacts(c)] : [];
  }
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
