import { RAID_STATE_KIND, type MdArrayState } from '../../shared/states.js';
import { readUnderRoot } from '../procfs/read.js';
import { parseMdstat, type MdStat } from '../procfs/mdstat.js';
import { readMdSysfs, type MdSysfs } from '../sysfs/md.js';
import { buildArrayReports, type ArrayReport } from '../raid/arrays.js';
import { arrayQueue, type ArrayQueue } from '../raid/queue.js';
import type { WireState } from '../../shared/protocol.js';
import type { MetricSample } from '../../shared/catalogue.js';
import { absent, type CollectContext, type CollectResult, type Collector } from './collector.js';
import { registerCollector } from './registry.js';

export interface RaidReading {
  /** null when /proc/mdstat is absent (kernel without md). */
  mdstat: MdStat | null;
  sysfs: MdSysfs[];
  arrays: ArrayReport[];
  /** Problems with the file as a whole (empty, lines outside any array). */
  fileErrors: string[];
}

/** Reads /proc/mdstat and /sys/block/md*; pure merging happens in raid/arrays.ts. */
export async function readRaid(root: string): Promise<RaidReading | null> {
  const [text, sysfs] = await Promise.all([readUnderRoot(root, 'proc/mdstat'), readMdSysfs(root)]);
  if (text === null && sysfs.length === 0) return null;
  const fileErrors: string[] = [];
  let mdstat: MdStat | null = null;
  if (text !== null) {
    if (text.trim() === '')
      fileErrors.push('/proc/mdstat is empty (a kernel with md always writes a Personalities line)');
    else {
      mdstat = parseMdstat(text);
      for (const e of mdstat.errors) if (!e.array) fileErrors.push(`/proc/mdstat line ${e.line}: ${e.message}`);
    }
  }
  return { mdstat, sysfs, arrays: buildArrayReports(mdstat, sysfs), fileErrors };
}

/**
 * md RAID arrays: health, members, sync progress, mismatches, and queue depth
 * of the array and its members. Runs after the disks collector, whose
 * per-device readings (handed over by the sampler) give the queue figures.
 */
export class RaidCollector implements Collector {
  readonly name = 'raid';
  readonly stage = 'derived' as const;

  /** Per array, the sync actions seen running: once one ends, raid_sync_running says 0 for it, not nothing. */
  private readonly syncsSeen = new Map<string, Set<string>>();

  constructor(private readonly root: string) {}

  async snapshot(): Promise<unknown> {
    const r = await readRaid(this.root);
    if (!r) return { state: 'absent' };
    return { arrays: r.arrays, ...(r.fileErrors.length ? { errors: r.fileErrors } : {}) };
  }

  async collect(ctx?: CollectContext): Promise<CollectResult> {
    const devices = ctx?.readings?.disks ?? new Map();
    const r = await readRaid(this.root);
    if (!r) return absent(this.name, 'no /proc/mdstat and no md arrays in sysfs: this kernel has no md RAID');
    const samples: MetricSample[] = [];
    const states: WireState[] = [];
    const problems = [...r.fileErrors];
    for (const a of r.arrays) {
      if (a.error) problems.push(`${a.name}: ${a.error}`);
      const queue = arrayQueue(a, devices);
      // A container holds metadata, not data: no disk counts to alert on, only its state.
      if (a.kind === 'array') samples.push(...arraySamples(a, queue));
      samples.push(...endedSyncs(a, this.syncsSeen));
      states.push({ kind: RAID_STATE_KIND, key: a.name, value: { ...a, queue } satisfies MdArrayState });
    }
    const status = problems.length
      ? { name: this.name, state: 'error' as const, message: problems.join('; ') }
      : { name: this.name, state: 'ok' as const };
    return { samples, status, states, stateKinds: [RAID_STATE_KIND] };
  }
}

registerCollector({
  name: 'raid',
  help: 'md RAID arrays from /proc/mdstat and /sys/block/md*: health, sync, queue depth',
  defaultEnabled: true,
  create: (host) => [new RaidCollector(host.root)],
});

export function arraySamples(a: ArrayReport, q: ArrayQueue): MetricSample[] {
  const l = { array: a.name };
  const out: MetricSample[] = [
    { m: 'raid_disks_expected', l, v: a.disks.expected },
    { m: 'raid_disks_active', l, v: a.disks.active },
    { m: 'raid_disks_failed', l, v: a.disks.failed },
    { m: 'raid_disks_spare', l, v: a.disks.spare },
    { m: 'raid_disks_missing', l, v: a.disks.missing },
    { m: 'raid_saturated', l, v: q.saturated ? 1 : 0 },
  ];
  if (a.mismatchCnt !== null)
    out.push({ m: 'raid_mismatch_cnt', l: { array: a.name, level: a.level ?? 'unknown' }, v: a.mismatchCnt });
  if (a.sync?.status === 'running') {
    const sl = { array: a.name, action: a.sync.action };
    out.push({ m: 'raid_sync_running', l: sl, v: 1 });
    if (a.sync.percent !== null) out.push({ m: 'raid_sync_progress_percent', l: sl, v: a.sync.percent });
    if (a.sync.speedKBps !== null) out.push({ m: 'raid_sync_speed_kbps', l: sl, v: a.sync.speedKBps });
    if (a.sync.etaSeconds !== null) out.push({ m: 'raid_sync_eta_seconds', l: sl, v: a.sync.etaSeconds });
  }
  if (q.source !== 'none') {
    out.push({ m: 'raid_array_aqu_sz', l, v: q.aquSz }, { m: 'raid_array_in_flight', l, v: q.inFlight });
  }
  if (q.members.counted.length > 0) {
    out.push(
      { m: 'raid_members_aqu_sz_sum', l, v: q.members.aquSzSum },
      { m: 'raid_members_aqu_sz_max', l, v: q.members.aquSzMax },
      { m: 'raid_members_in_flight_sum', l, v: q.members.inFlightSum },
      { m: 'raid_members_in_flight_max', l, v: q.members.inFlightMax },
      { m: 'raid_members_util_sum_percent', l, v: q.members.utilSum },
      { m: 'raid_members_util_max_percent', l, v: q.members.utilMax },
    );
  }
  return out;
}

/**
 * raid_sync_running 0 for each sync action that ran on the array and has
 * ended (a rebuild that finished, a check that completed): a gauge of a
 * finished activity goes to 0, so an alert on it resolves.
 */
function endedSyncs(a: ArrayReport, seen: Map<string, Set<string>>): MetricSample[] {
  let actions = seen.get(a.name);
  const running = a.sync?.status === 'running' ? a.sync.action : null;
  if (running) (actions ??= new Set()).add(running);
  if (actions) seen.set(a.name, actions);
  return [...(actions ?? [])]
    .filter((x) => x !== running)
    .map((action) => ({ m: 'raid_sync_running', l: { array: a.name, action }, v: 0 }));
}
