import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readUnderRoot } from '../procfs/read.js';

/** The attributes of /sys/block/mdX/md/ this project reads (Documentation/admin-guide/md.rst). */
export interface MdSysfs {
  name: string;
  arrayState: string | null;
  level: string | null;
  /** raid_disks; during a reshape the kernel prints "new (old)", the first is kept. */
  raidDisks: number | null;
  degraded: number | null;
  syncAction: string | null;
  /** sync_completed as sectors done / total, null when "none" or absent. */
  syncCompleted: { done: number; total: number } | null;
  syncSpeedKBps: number | null;
  mismatchCnt: number | null;
  metadataVersion: string | null;
  /** dev-NAME/state, comma-separated flags (in_sync, faulty, spare, writemostly, blocked, …). */
  members: { name: string; state: string[] }[];
}

const ATTRS = [
  'array_state',
  'level',
  'raid_disks',
  'degraded',
  'sync_action',
  'sync_completed',
  'sync_speed',
  'mismatch_cnt',
  'metadata_version',
] as const;
type Attr = (typeof ATTRS)[number];

function int(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const m = /^\s*(\d+)/.exec(raw);
  return m ? Number(m[1]) : null;
}

function text(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const t = raw.trim();
  return t === '' ? null : t;
}

/** Pure: attribute texts (null where the file is absent) → typed view. */
export function parseMdSysfs(
  name: string,
  attrs: Partial<Record<Attr, string | null>>,
  members: Record<string, string>,
): MdSysfs {
  const sc = text(attrs.sync_completed);
  const done = sc ? /^(\d+)\s*\/\s*(\d+)$/.exec(sc) : null;
  return {
    name,
    arrayState: text(attrs.array_state),
    level: text(attrs.level),
    raidDisks: int(attrs.raid_disks),
    degraded: int(attrs.degraded),
    syncAction: text(attrs.sync_action),
    syncCompleted: done ? { done: Number(done[1]), total: Number(done[2]) } : null,
    syncSpeedKBps: text(attrs.sync_speed) === 'none' ? null : int(attrs.sync_speed),
    mismatchCnt: int(attrs.mismatch_cnt),
    metadataVersion: text(attrs.metadata_version),
    members: Object.entries(members)
      .map(([n, s]) => ({ name: n, state: s.trim().split(',').filter(Boolean) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Reads every /sys/block/md*\/md directory below the root; [] when there is none. */
export async function readMdSysfs(root: string): Promise<MdSysfs[]> {
  const blockDir = path.join(root, 'sys/block');
  let entries: string[];
  try {
    entries = await readdir(blockDir);
  } catch {
    return [];
  }
  const out: MdSysfs[] = [];
  for (const name of entries.filter((e) => e.startsWith('md')).sort()) {
    const rel = `sys/block/${name}/md`;
    let files: string[];
    try {
      files = await readdir(path.join(root, rel));
    } catch {
      continue; // an md device node without the md directory: nothing to read
    }
    const attrs: Partial<Record<Attr, string | null>> = {};
    await Promise.all(
      ATTRS.map(async (a) => (attrs[a] = files.includes(a) ? await readUnderRoot(root, `${rel}/${a}`) : null)),
    );
    const members: Record<string, string> = {};
    await Promise.all(
      files
        .filter((f) => f.startsWith('dev-'))
        .map(async (f) => {
          const state = await readUnderRoot(root, `${rel}/${f}/state`);
          if (state !== null) members[f.slice(4)] = state;
        }),
    );
    out.push(parseMdSysfs(name, attrs, members));
  }
  return out;
}
