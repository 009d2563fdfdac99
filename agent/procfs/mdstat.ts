import { errorMessage } from '../../shared/errors.js';
/**
 * Parser for /proc/mdstat (drivers/md/md.c, md_seq_show and the personalities'
 * status functions). It reads every layout real kernels write: raid0/1/4/5/6/10,
 * linear, multipath, external-metadata containers and their members, inactive
 * arrays with or without a level, read-only and auto-read-only, progress below
 * 10 % (extra space), DELAYED/PENDING syncs, bitmap lines before or after the
 * progress line, whitespace-only lines, and files with no trailing newline.
 *
 * One array's garbled or truncated block yields an error for that array only;
 * the other arrays are still returned. A line of an unknown kind inside a
 * block is an error for that line, and the array is returned with the rest.
 */

export type MemberFlag = 'faulty' | 'spare' | 'write-mostly' | 'replacement' | 'journal';

export interface MdMember {
  name: string;
  /** The descriptor number in brackets: the slot for an in-sync member, ≥ raid_disks for a spare or a disk being rebuilt. */
  index: number;
  flags: MemberFlag[];
}

export type SyncAction = 'resync' | 'recovery' | 'check' | 'repair' | 'reshape';

export interface MdSync {
  action: SyncAction;
  /**
   * running, or waiting its turn (DELAYED: another array on the same disks syncs first; PENDING: array
   * read-only until written), or REMOTE: another node of an md-cluster array is doing it.
   */
  status: 'running' | 'delayed' | 'pending' | 'remote';
  percent: number | null;
  doneBlocks: number | null;
  totalBlocks: number | null;
  finishMinutes: number | null;
  speedKBps: number | null;
}

export interface MdStatArray {
  name: string;
  active: boolean;
  readOnly: 'read-only' | 'auto-read-only' | null;
  level: string | null;
  blocks: number | null;
  /** `super 1.2`, `super external:/md127/0`, `super external:imsm`; null for 0.90 (not printed). */
  metadata: string | null;
  chunkKB: number | null;
  /** From `[n/m]`: n = raid disks expected, m = n - mddev->degraded (can disagree with the map, even exceed n). */
  raidDisks: number | null;
  workingDisks: number | null;
  /** From `[UU_U]`: U up, _ missing, one character per slot. */
  slotMap: string | null;
  members: MdMember[];
  sync: MdSync | null;
  bitmap: { pagesUsed: number; pagesTotal: number; chunkKB: number } | null;
  /** Where the block's own lines disagree (the [n/m] count against the [U_] map during a reshape). */
  inconsistencies: string[];
}

export interface MdStatError {
  array: string | null;
  line: number;
  message: string;
}

export interface MdStat {
  personalities: string[];
  arrays: MdStatArray[];
  errors: MdStatError[];
}

const LEVELS = new Set(['linear', 'multipath', 'raid0', 'raid1', 'raid4', 'raid5', 'raid6', 'raid10', 'faulty']);
const FLAGS: Record<string, MemberFlag> = {
  F: 'faulty',
  S: 'spare',
  W: 'write-mostly',
  R: 'replacement',
  J: 'journal',
};
const MEMBER = /^([^\s[\]()]+)\[(\d+)\]((?:\([A-Z]\))*)$/;
const HEADER = /^(md[^\s:]*)\s*:\s*(.*)$/;
const PROGRESS =
  /^\s*(?:\[[=>.]*\]\s*)?(resync|recovery|check|repair|reshape)\s*=\s*(\d+(?:\.\d+)?)%\s*\((\d+)\/(\d+)\)\s*finish=(\d+(?:\.\d+)?)min\s*speed=(\d+)K\/sec\s*$/;
/** md.c status_resync: "resync=DELAYED", "resync=PENDING", and for md-cluster "recover=REMOTE" (sic), "reshape=REMOTE". */
const WAITING = /^\s*(resync|recovery|recover|check|repair|reshape)\s*=\s*(DELAYED|PENDING|REMOTE)\s*$/;
const BITMAP = /^\s*bitmap:\s*(\d+)\/(\d+)\s+pages\s+\[\d+KB\],\s*(\d+)KB chunk/;
const KNOWN_KIND = /^\s*(\[|bitmap:|(resync|recovery|recover|check|repair|reshape)\s*=)/;
const BLOCKS = /^\s*(\d+)\s+blocks\b(.*)$/;

class BlockError extends Error {}
/** A line of no known kind inside a block: reported, skipped, and the rest of the block still read. */
class UnknownLine extends BlockError {}

function parseHeader(name: string, rest: string): MdStatArray {
  const tokens = rest.trim().split(/\s+/).filter(Boolean);
  const state = tokens.shift();
  if (state !== 'active' && state !== 'inactive')
    throw new BlockError(`state "${state ?? ''}" is neither active nor inactive`);
  let readOnly: MdStatArray['readOnly'] = null;
  if (tokens[0] === '(read-only)' || tokens[0] === '(auto-read-only)')
    readOnly = tokens.shift()!.slice(1, -1) as 'read-only' | 'auto-read-only';
  let level: string | null = null;
  if (tokens[0] && !MEMBER.test(tokens[0])) {
    level = tokens.shift()!;
    if (!LEVELS.has(level)) throw new BlockError(`unknown level "${level}"`);
  }
  const members = tokens.map((t) => {
    const m = MEMBER.exec(t);
    if (!m) throw new BlockError(`member "${t}" is not NAME[N] with optional (F)/(S)/(W)/(R)/(J)`);
    const flags = (m[3]!.match(/[A-Z]/g) ?? []).map((f) => {
      const flag = FLAGS[f];
      if (!flag) throw new BlockError(`member "${t}" has unknown flag (${f})`);
      return flag;
    });
    return { name: m[1]!, index: Number(m[2]), flags };
  });
  return {
    name,
    active: state === 'active',
    readOnly,
    level,
    blocks: null,
    metadata: null,
    chunkKB: null,
    raidDisks: null,
    workingDisks: null,
    slotMap: null,
    members,
    sync: null,
    bitmap: null,
    inconsistencies: [],
  };
}

function parseBlocksLine(a: MdStatArray, m: RegExpExecArray): void {
  a.blocks = Number(m[1]);
  const rest = m[2]!;
  const sup = /\bsuper\s+(\S+)/.exec(rest);
  if (sup) a.metadata = sup[1]!;
  const chunk = /(\d+)k chunks?\b/.exec(rest);
  if (chunk) a.chunkKB = Number(chunk[1]);
  const status = /\[(\d+)\/(-?\d+)\]\s*\[([U_]*)\]/.exec(rest);
  if (status) {
    a.raidDisks = Number(status[1]);
    a.workingDisks = Number(status[2]);
    a.slotMap = status[3]!;
    // The personalities print n and m from mddev->degraded, which a reshape or level change updates
    // late (or wrongly: "-1" going from raid5 to raid6), and the map from each slot's In_sync bit at
    // the moment of printing. Both are kept; the disagreement is reported, not fatal.
    if (a.slotMap.length !== a.raidDisks)
      a.inconsistencies.push(`slot map [${a.slotMap}] has ${a.slotMap.length} slots for ${a.raidDisks} raid disks`);
    const up = [...a.slotMap].filter((c) => c === 'U').length;
    if (up !== a.workingDisks)
      a.inconsistencies.push(
        `[${a.raidDisks}/${a.workingDisks}] says ${a.workingDisks} working, the slot map [${a.slotMap}] shows ${up} up`,
      );
  } else if (/\[\d/.test(rest)) {
    throw new BlockError(`cannot read the [n/m] [U_] status in "${rest.trim()}"`);
  }
}

/** Levels whose status line always carries [n/m] [U_]: without it the block was cut short. */
const REDUNDANT = new Set(['raid1', 'raid4', 'raid5', 'raid6', 'raid10', 'multipath']);

/** Why a finished block cannot be judged (a line missing that its kind always prints), or null. */
function truncation(a: MdStatArray): string | null {
  if (a.blocks === null && a.members.length > 0) return 'no "blocks" line: the block is truncated';
  if (a.active && a.level && REDUNDANT.has(a.level) && a.raidDisks === null)
    return `no [n/m] [U_] status for ${a.level}: the block is truncated`;
  return null;
}

/** One line inside an array's block: blocks/status, sync progress, a waiting sync, or the bitmap. */
function parseBodyLine(a: MdStatArray, line: string): void {
  let m: RegExpExecArray | null;
  if ((m = BLOCKS.exec(line))) parseBlocksLine(a, m);
  else if ((m = PROGRESS.exec(line))) {
    a.sync = {
      action: m[1] as SyncAction,
      status: 'running',
      percent: Number(m[2]),
      doneBlocks: Number(m[3]),
      totalBlocks: Number(m[4]),
      finishMinutes: Number(m[5]),
      speedKBps: Number(m[6]),
    };
  } else if ((m = WAITING.exec(line))) {
    a.sync = {
      action: (m[1] === 'recover' ? 'recovery' : m[1]) as SyncAction,
      status: m[2]!.toLowerCase() as 'delayed' | 'pending' | 'remote',
      percent: null,
      doneBlocks: null,
      totalBlocks: null,
      finishMinutes: null,
      speedKBps: null,
    };
  } else if ((m = BITMAP.exec(line))) {
    a.bitmap = { pagesUsed: Number(m[1]), pagesTotal: Number(m[2]), chunkKB: Number(m[3]) };
  } else {
    const message = `unrecognised line "${line.trim().slice(0, 80)}"`;
    // A progress or bitmap line cut short hides the array's sync state: that block cannot be judged.
    throw KNOWN_KIND.test(line) ? new BlockError(message) : new UnknownLine(message);
  }
}

export function parseMdstat(text: string): MdStat {
  const out: MdStat = { personalities: [], arrays: [], errors: [] };
  const lines = text.split('\n');
  let cur: MdStatArray | null = null;
  let curLine = 0;
  let broken = false; // the current block had an error: skip the rest of it

  const finish = () => {
    if (cur && !broken) {
      const truncated = truncation(cur);
      if (truncated) out.errors.push({ array: cur.name, line: curLine, message: truncated });
      else out.arrays.push(cur);
    }
    cur = null;
    broken = false;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const line = raw.replace(/\u00a0/g, ' ');
    if (line.trim() === '') continue;
    if (line.startsWith('Personalities')) {
      out.personalities = (line.match(/\[([^\]]+)\]/g) ?? []).map((p) => p.slice(1, -1));
      continue;
    }
    if (line.startsWith('unused devices')) {
      finish();
      continue;
    }
    if (line.startsWith('#')) continue; // "# cat /proc/mdstat" pasted into bug reports
    const header = HEADER.exec(line);
    if (header) {
      finish();
      curLine = lineNo;
      try {
        cur = parseHeader(header[1]!, header[2]!);
      } catch (err) {
        out.errors.push({ array: header[1]!, line: lineNo, message: errorMessage(err) });
        cur = { name: header[1]! } as MdStatArray;
        broken = true;
      }
      continue;
    }
    if (!cur) {
      out.errors.push({ array: null, line: lineNo, message: `line outside any array: "${line.trim().slice(0, 80)}"` });
      continue;
    }
    if (broken) continue;
    const a: MdStatArray = cur;
    try {
      parseBodyLine(a, line);
    } catch (err) {
      out.errors.push({ array: a.name, line: lineNo, message: errorMessage(err) });
      // A line of a kind this parser does not know costs that line only; a known line it cannot read
      // (the status line above all) leaves the block unjudgeable.
      if (!(err instanceof UnknownLine)) broken = true;
    }
  }
  finish();
  return out;
}
