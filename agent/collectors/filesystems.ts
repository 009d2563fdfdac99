import { statfs } from 'node:fs/promises';
import type { WireState } from '../../shared/protocol.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { readUnderRoot } from '../procfs/read.js';
import { parseMountTable, type MountEntry } from '../fs/mounts.js';
import { deviceChain } from '../filesystems/chain.js';
import { History, NOT_FILLING_SECONDS, timeToFullSeconds } from '../filesystems/forecast.js';
import { absent, failed, type CollectContext, type CollectResult, type Collector } from './collector.js';
import { registerCollector } from './registry.js';
import { loadMongodConfig } from '../mongod/config-check.js';

import { FILESYSTEM_STATE_KIND } from '../../shared/states.js';
import { errorMessage } from '../../shared/errors.js';

/** Pseudo and read-only image file systems, as node_exporter leaves them out by default. */
const IGNORED_TYPES = new Set(
  'autofs binfmt_misc bpf cgroup cgroup2 configfs debugfs devpts devtmpfs fusectl hugetlbfs iso9660 mqueue nsfs overlay proc procfs pstore rpc_pipefs securityfs selinuxfs squashfs sysfs tracefs ramfs efivarfs'.split(
    ' ',
  ),
);
const IGNORED_MOUNTS =
  /^\/(dev|proc|sys|run\/credentials\/.+|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** A path whose file system matters more than others: mongod's dbPath and log directory. */
export interface WatchedPath {
  role: string;
  path: string;
}

export interface FilesystemsOptions {
  /** Paths to tie to their mount (mongod's dbPath and log directory). */
  watched?: () => WatchedPath[];
  /** History the time-to-full fit uses (Prometheus users write predict_linear(…[6h], …)). */
  windowMs?: number;
  /** Fewer points than this and there is no forecast yet. */
  minPoints?: number;
}

function under(p: string, mountPoint: string): boolean {
  return mountPoint === '/' || p === mountPoint || p.startsWith(mountPoint + '/');
}

/** The mount a path lives on: the deepest mount point above it (the last mounted wins for the same point). */
export function mountOf(p: string, mounts: readonly MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of mounts)
    if (under(p, m.mountPoint) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  return best;
}

/**
 * Free bytes and inodes of every real file system (statfs), a time-to-full
 * forecast from a linear fit over the last hours, and the chain path → mount →
 * device → md array for the paths mongod depends on.
 */
export class FilesystemsCollector implements Collector {
  readonly name = 'filesystems';
  private readonly histories = new Map<string, History>();
  /** The mount table as last read and parsed: it rarely changes, so an unchanged text is not parsed again. */
  private mountsText: string | null = null;
  private mountsParsed: MountEntry[] = [];

  constructor(
    private readonly root: string,
    private readonly opts: FilesystemsOptions = {},
  ) {}

  private async mounts(): Promise<MountEntry[] | null> {
    const text = await readUnderRoot(this.root, 'proc/mounts');
    if (text === null) return null;
    if (text !== this.mountsText) {
      this.mountsParsed = parseMountTable(text);
      this.mountsText = text;
    }
    return this.mountsParsed;
  }

  async snapshot(): Promise<unknown> {
    return this.mounts();
  }

  async collect(ctx: CollectContext): Promise<CollectResult> {
    let mounts: MountEntry[] | null;
    try {
      mounts = await this.mounts();
    } catch (err) {
      return failed(this.name, err);
    }
    if (!mounts) return absent(this.name, 'no proc/mounts under the root');
    const watched = this.opts.watched?.() ?? [];
    const holds = new Map<string, string[]>();
    for (const w of watched) {
      const m = mountOf(w.path, mounts);
      if (m) holds.set(m.mountPoint, [...(holds.get(m.mountPoint) ?? []), `${w.role} ${w.path}`]);
    }
    const seen = new Set<string>();
    const chosen = mounts.filter((m) => {
      const real = !IGNORED_TYPES.has(m.fsType) && !IGNORED_MOUNTS.test(m.mountPoint);
      if ((!real && !holds.has(m.mountPoint)) || seen.has(m.mountPoint)) return false;
      seen.add(m.mountPoint);
      return true;
    });
    const samples: MetricSample[] = [];
    const states: WireState[] = [];
    const errors: string[] = [];
    await Promise.all(
      chosen.map(async (m) => {
        try {
          const r = this.measure(m, await statfs(m.mountPoint), ctx.nowMs, holds.get(m.mountPoint) ?? []);
          samples.push(...r.samples);
          states.push(r.state);
        } catch (err) {
          errors.push(`${m.mountPoint}: ${errorMessage(err)}`);
        }
      }),
    );
    for (const k of this.histories.keys()) if (!seen.has(k)) this.histories.delete(k);
    return {
      samples,
      states,
      stateKinds: [FILESYSTEM_STATE_KIND],
      status: errors.length
        ? { name: this.name, state: 'ok', message: `cannot statfs ${errors.join('; ')}` }
        : { name: this.name, state: 'ok' },
    };
  }

  private measure(
    m: MountEntry,
    st: { bsize: number; blocks: number; bavail: number; files: number; ffree: number },
    now: number,
    holds: string[],
  ): { samples: MetricSample[]; state: WireState } {
    const size = st.blocks * st.bsize;
    const avail = st.bavail * st.bsize;
    let h = this.histories.get(m.mountPoint);
    if (!h) this.histories.set(m.mountPoint, (h = new History(this.opts.windowMs ?? 6 * 3600_000)));
    h.add(now, avail);
    const ttf = size > 0 && !h.flat ? timeToFullSeconds(h.points, now, this.opts.minPoints ?? 10) : NOT_FILLING_SECONDS;
    const availPercent = size > 0 ? (100 * st.bavail) / st.blocks : null;
    const inodesFreePercent = st.files > 0 ? (100 * st.ffree) / st.files : null;
    const l = { mountpoint: m.mountPoint, device: m.device, fstype: m.fsType };
    const samples: MetricSample[] = [
      { m: 'fs_size_bytes', l, v: size },
      { m: 'fs_avail_bytes', l, v: avail },
      { m: 'fs_avail_percent', l, v: availPercent },
      { m: 'fs_time_to_full_seconds', l, v: ttf },
    ];
    if (inodesFreePercent !== null) samples.push({ m: 'fs_inodes_free_percent', l, v: inodesFreePercent });
    const chain = deviceChain(this.root, m.device);
    return {
      samples,
      state: {
        kind: FILESYSTEM_STATE_KIND,
        key: m.mountPoint,
        value: {
          mountPoint: m.mountPoint,
          fsType: m.fsType,
          sizeBytes: size,
          availBytes: avail,
          availPercent,
          inodesFreePercent,
          timeToFullSeconds: ttf < NOT_FILLING_SECONDS ? ttf : null,
          holds,
          ...chain,
        },
      },
    };
  }
}

/** mongod's dbPath and log directory from its config files, to tie them to their mounts. */
function mongodPaths(configs: readonly string[]): WatchedPath[] {
  const out: WatchedPath[] = [];
  for (const file of configs) {
    try {
      const c = loadMongodConfig(file);
      if (c.dbPath) out.push({ role: 'mongod dbPath', path: c.dbPath.value });
      if (c.logPath) out.push({ role: 'mongod log', path: c.logPath.value });
    } catch {
      // an unreadable config is the log-path check's finding, not this one's
    }
  }
  return out;
}

registerCollector({
  name: 'filesystems',
  help: "free space and inodes per file system, time to full, and the mounts under mongod's paths",
  defaultEnabled: true,
  create: (host) => {
    const configs = [host.logPathOptions.mongodConfig, ...host.instances.map((i) => i.configFile)];
    const files = [...new Set(configs.filter((f) => f !== null))];
    return [new FilesystemsCollector(host.root, { watched: () => mongodPaths(files) })];
  },
});
