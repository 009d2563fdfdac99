import { gaugesOf, type MetricDef, type Unit } from './types.js';

const raid = gaugesOf('raid', ['array']);

/** A count of an array's members. */
const disks = <N extends string>(name: N, title: string, help: string) => raid(name, 'disks', title, help);
/** A figure of the running sync; the action label says which kind of sync it is. */
const sync = <N extends string>(name: N, unit: Unit, title: string, help: string) =>
  raid(name, unit, title, help, ['array', 'action']);
/** A figure summed or maximised over the working members. */
const members = <N extends string>(name: N, unit: Unit, title: string, help: string) =>
  raid(name, unit, title, `${help} Working members only: spares and failed members are left out.`);

/** md arrays: members from mdstat and sysfs, queue depth, sync progress. */
export const RAID_METRICS = [
  disks('raid_disks_expected', 'Disks expected', 'Member slots the array is built with (raid_disks, mdstat [n/m] n).'),
  disks('raid_disks_active', 'Disks working', 'Members in sync and working (mdstat [n/m] m).'),
  disks('raid_disks_failed', 'Disks failed', 'Members marked faulty, (F) in /proc/mdstat.'),
  disks('raid_disks_spare', 'Spare disks', 'Spare members, (S) in /proc/mdstat.'),
  disks(
    'raid_disks_missing',
    'Disks missing',
    'Slots without a working member (expected - working, sysfs degraded). Above 0 the array is degraded.',
  ),
  sync(
    'raid_sync_running',
    'boolean',
    'Sync running',
    '1 while a resync, recovery, check, repair or reshape runs; the action label says which.',
  ),
  sync(
    'raid_sync_progress_percent',
    'percent',
    'Sync progress',
    'Progress of the running sync (mdstat percent, or sysfs sync_completed).',
  ),
  sync('raid_sync_speed_kbps', 'kB/s', 'Sync speed', 'Speed of the running sync (mdstat speed=, sysfs sync_speed).'),
  sync(
    'raid_sync_eta_seconds',
    'seconds',
    'Sync ETA',
    'Time the running sync still needs at its current speed (mdstat finish=).',
  ),
  raid(
    'raid_mismatch_cnt',
    'count',
    'Mismatch count',
    'Sectors found inconsistent by the last check or repair (sysfs mismatch_cnt). Growth matters on parity RAID; raid1/10 report harmless mismatches from swap and O_DIRECT, hence the level label.',
    ['array', 'level'],
  ),
  raid(
    'raid_array_aqu_sz',
    'requests',
    'Array queue size',
    "Array queue depth: the md device's own aqu-sz, or, when md accounts no time (all zeros, as on many kernels), the sum of its members' aqu-sz.",
  ),
  raid(
    'raid_array_in_flight',
    'requests',
    'Array in flight',
    'Requests in flight on the md device, or the sum over its members when md accounts none.',
  ),
  members('raid_members_aqu_sz_sum', 'requests', 'Members aqu-sz (sum)', "Sum of the members' aqu-sz."),
  members(
    'raid_members_aqu_sz_max',
    'requests',
    'Members aqu-sz (max)',
    'Largest member aqu-sz: the disk that queues most.',
  ),
  members(
    'raid_members_in_flight_sum',
    'requests',
    'Members in flight (sum)',
    "Sum of the members' in-flight requests.",
  ),
  members('raid_members_in_flight_max', 'requests', 'Members in flight (max)', 'Largest member in-flight count.'),
  members('raid_members_util_sum_percent', 'percent', 'Members %util (sum)', "Sum of the members' %util."),
  members('raid_members_util_max_percent', 'percent', 'Members %util (max)', "Busiest member's %util."),
  raid(
    'raid_saturated',
    'boolean',
    'Array saturated',
    '1 when the array or any working member is saturated (see disk_saturated).',
  ),
] as const satisfies readonly MetricDef[];
