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
 * statfs each file system every this many ticks, spread over them (one mount
 * on one tick, the next on the next, …): free space moves slowly, and a statfs
 * per mount per second (40 and more on a host with many tmpfs mounts) was the
 * largest share of the agent's CPU. Its figures go out every tick all the
 * same, the last measured ones, so their series stay fresh.
 */
export const STATFS_EVERY_TICKS = 10;
/**
 * The file-system states go out when one changed, and in full at least this
 * often (ticks): a server that restarted has them again well within the
 * shortest `for` of the file-system rules (1 min), so a page carries its facts.
 */
export const STATES_EVERY_TICKS = 30;

/** The last statfs of a mount point, and what the ticks in between repeat. */
interface Measured {
  /** The tick of the statfs (spread on first sight, see collect). */
  tick: number;
  /** Wall-clock ms of the statfs. */
  at: number;
  /** The figures but time to full, which counts down between statfs. */
  steady: MetricSample[];
  labels: Record<string, string>;
  /** Time to full at `at`; NOT_FILLING_SECONDS when not filling. */
  ttf: number;
  inodes: MetricSample | null;
  state: WireState;
  /** The state as JSON, to tell a change. */
  stateJson: string;
  /** What decides whether a new statfs is due at once (device, type, mongod paths on it). */
  identity: string;
}

/**
 * Free bytes and inodes of every real file system (statfs), a time-to-full
 * forecast from a linear fit over the last hours, and the chain path → mount →
 * device → md array for the paths mongod depends on. Each mount is measured
 * every STATFS_EVERY_TICKS ticks (see there); states go out when they change.
 */
export class FilesystemsCollector implements Collector {
  readonly name = 'filesystems';
  private readonly histories = new Map<string, History>();
  private readonly measured = new Map<string, Measured>();
  /** The mount table as last read and parsed: it rarely changes, so an unchanged text is not parsed again. */
  private mountsText: string | null = null;
  private mountsParsed: MountEntry[] = [];
  private ticks = 0;
  private statesTick = -Infinity;
  /** The mount points reported last tick, to tell one that went. */
  private reported = '';
  private watched: WatchedPath[] = [];

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
    const tick = ++this.ticks;
    // mongod's paths come from its config files: read with the statfs schedule, not every tick
    if (tick % STATFS_EVERY_TICKS === 1) this.watched = this.opts.watched?.() ?? [];
    const holds = new Map<string, string[]>();
    for (const w of this.watched) {
      const m = mountOf(w.path, mounts);
      if (m) holds.set(m.mountPoint, [...(holds.get(m.mountPoint) ?? []), `${w.role} ${w.path}`]);
    }
    const chosen = chooseMounts(mounts, holds);
    const errors: string[] = [];
    let changed = false;
    await Promise.all(
      chosen.map(async (m, i) => {
        const hold = holds.get(m.mountPoint) ?? [];
        const identity = `${m.device}\u0000${m.fsType}\u0000${hold.join('\u0000')}`;
        const last = this.measured.get(m.mountPoint);
        if (last && last.identity === identity && tick - last.tick < STATFS_EVERY_TICKS) return;
        try {
          const st = await statfs(m.mountPoint);
          const next = this.measure(m, st, ctx.nowMs, hold, identity);
          // first sight: counted as if measured up to STATFS_EVERY_TICKS - 1 ticks ago, so the next statfs of the mounts spread out
          next.tick = last ? tick : tick - (i % STATFS_EVERY_TICKS);
          if (next.stateJson !== last?.stateJson) changed = true;
          this.measured.set(m.mountPoint, next);
        } catch (err) {
          this.measured.delete(m.mountPoint);
          errors.push(`${m.mountPoint}: ${errorMessage(err)}`);
        }
      }),
    );
    const reported = chosen.filter((m) => this.measured.has(m.mountPoint));
    for (const k of this.histories.keys()) if (!chosen.some((m) => m.mountPoint === k)) this.histories.delete(k);
    for (const k of this.measured.keys()) if (!chosen.some((m) => m.mountPoint === k)) this.measured.delete(k);
    const reportedKey = reported.map((m) => m.mountPoint).join('\u0000');
    const sendStates = changed || reportedKey !== this.reported || tick - this.statesTick >= STATES_EVERY_TICKS;
    this.reported = reportedKey;
    if (sendStates) this.statesTick = tick;
    const samples: MetricSample[] = [];
    for (const m of reported) samples.push(...currentSamples(this.measured.get(m.mountPoint)!, ctx.nowMs));
    return {
      samples,
      ...(sendStates
        ? { states: reported.map((m) => this.measured.get(m.mountPoint)!.state), stateKinds: [FILESYSTEM_STATE_KIND] }
        : {}),
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
    identity: string,
  ): Measured {
    const size = st.blocks * st.bsize;
    const avail = st.bavail * st.bsize;
    let h = this.histories.get(m.mountPoint);
    if (!h) this.histories.set(m.mountPoint, (h = new History(this.opts.windowMs ?? 6 * 3600_000)));
    h.add(now, avail);
    const ttf = size > 0 && !h.flat ? timeToFullSeconds(h.points, now, this.opts.minPoints ?? 10) : NOT_FILLING_SECONDS;
    const availPercent = size > 0 ? (100 * st.bavail) / st.blocks : null;
    const inodesFreePercent = st.files > 0 ? (100 * st.ffree) / st.files : null;
    const l = { mountpoint: m.mountPoint, device: m.device, fstype: m.fsType };
    const value = {
      mountPoint: m.mountPoint,
      fsType: m.fsType,
      sizeBytes: size,
      availBytes: avail,
      availPercent,
      inodesFreePercent,
      timeToFullSeconds: ttf < NOT_FILLING_SECONDS ? ttf : null,
      holds,
      ...deviceChain(this.root, m.device),
    };
    return {
      tick: 0,
      at: now,
      steady: [
        { m: 'fs_size_bytes', l, v: size },
        { m: 'fs_avail_bytes', l, v: avail },
        { m: 'fs_avail_percent', l, v: availPercent },
      ],
      labels: l,
      ttf,
      inodes: inodesFreePercent !== null ? { m: 'fs_inodes_free_percent', l, v: inodesFreePercent } : null,
      state: { kind: FILESYSTEM_STATE_KIND, key: m.mountPoint, value },
      stateJson: JSON.stringify(value),
      identity,
    };
  }
}

/** Real file systems, and others that hold a watched path, each mount point once. */
function chooseMounts(mounts: readonly MountEntry[], holds: ReadonlyMap<string, string[]>): MountEntry[] {
  const seen = new Set<string>();
  return mounts.filter((m) => {
    const real = !IGNORED_TYPES.has(m.fsType) && !IGNORED_MOUNTS.test(m.mountPoint);
    if ((!real && !holds.has(m.mountPoint)) || seen.has(m.mountPoint)) return false;
    seen.add(m.mountPoint);
    return true;
  });
}

/**
 * A mount's samples at `now` from its last statfs: the same figures, and the
 * time to full counted down by the time since (the fitted line reaches zero
 * at the same instant, so from `now` it is that much nearer).
 */
function currentSamples(r: Measured, now: number): MetricSample[] {
  const ttf = r.ttf < NOT_FILLING_SECONDS ? Math.max(0, r.ttf - (now - r.at) / 1000) : r.ttf;
  const out: MetricSample[] = [...r.steady, { m: 'fs_time_to_full_seconds', l: r.labels, v: ttf }];
  if (r.inodes) out.push(r.inodes);
  return out;
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
