/**
 * Mount tables: /proc/mounts (what is mounted now) and /etc/fstab (what should
 * be). A log path under an fstab mount point that is not mounted now lands on
 * the filesystem below, in the empty mount-point directory: writes go to the
 * wrong disk, and when the directory is removed, rotation fails.
 */
export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** fstab and /proc/mounts escape spaces and tabs as \040 and \011. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountTable(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [device, mountPoint, fsType, options] = line.split(/\s+/);
    if (!device || !mountPoint || !fsType) continue;
    out.push({
      device,
      mountPoint: unescape(mountPoint).replace(/(.)\/+$/, '$1'),
      fsType,
      options: (options ?? '').split(','),
    });
  }
  return out;
}

function under(p: string, mountPoint: string): boolean {
  return mountPoint === '/' || p === mountPoint || p.startsWith(mountPoint + '/');
}

function deepest(p: string, entries: readonly MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const e of entries)
    if (under(p, e.mountPoint) && (!best || e.mountPoint.length > best.mountPoint.length)) best = e;
  return best;
}

export interface MountVerdict {
  /** The mounted filesystem the path is on now. */
  mountedOn: MountEntry | null;
  /** An fstab mount point above the path that is not mounted: the path lies on `mountedOn` instead. */
  missingMount: MountEntry | null;
}

/** Which mount holds `p`, and whether an fstab mount that should hold it is missing. */
export function mountVerdict(p: string, mounted: readonly MountEntry[], fstab: readonly MountEntry[]): MountVerdict {
  const mountedOn = deepest(p, mounted);
  const expected = deepest(
    p,
    fstab.filter((e) => e.mountPoint.startsWith('/') && e.fsType !== 'swap' && !e.options.includes('noauto')),
  );
  const missing = expected && !mounted.some((m) => m.mountPoint === expected.mountPoint) ? expected : null;
  return { mountedOn, missingMount: missing };
}
