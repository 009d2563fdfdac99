import { gaugesOf, type MetricDef } from './types.js';

const raid = gaugesOf('raid', ['array']);

const MEMBERS_COUNTED = 'Working members only: spares and failed members are left out.';

/** md arrays: members from mdstat and sysfs, queue depth, sync progress. */
export const RAID_METRICS = [
  raid(
    'raid_disks_expected',
    'disks',
    'Disks expected',
    'Member slots the array is built with (raid_disks, mdstat [n/m] n).',
  ),
  raid('raid_disks_active', 'disks', 'Disks working', 'Members in sync and working (mdstat [n/m] m).'),
  raid('raid_disks_failed', 'disks', 'Disks failed', 'Members marked faulty, (F) in /proc/mdstat.'),
  raid('raid_disks_spare', 'disks', 'Spare disks', 'Spare members, (S) in /proc/mdstat.'),
  raid(
    'raid_disks_missing',
    'disks',
    'Disks missing',
    'Slots without a working member (expected - working, sysfs degraded). Above 0 the array is degraded.',
  ),
  raid(
    'raid_sync_running',
    'boolean',
    'Sync running',
    '1 while a resync, recovery, check, repair or reshape runs; the action label says which.',
    ['array', 'action'],
  ),
  raid(
    'raid_sync_progress_percent',
    'percent',
    'Sync progress',
    'Progress of the running sync (mdstat percent, or sysfs sync_completed).',
    ['array', 'action'],
  ),
  raid('raid_sync_speed_kbps', 'kB/s', 'Sync speed', 'Speed of the running sync (mdstat speed=, sysfs sync_speed).', [
    'array',
    'action',
  ]),
  raid(
    'raid_sync_eta_seconds',
    'seconds',
    'Sync ETA',
    'Time the running sync still needs at its current speed (mdstat finish=).',
    ['array', 'action'],
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
  raid('raid_members_aqu_sz_sum', 'requests', 'Members aqu-sz (sum)', `Sum of the members' aqu-sz. ${MEMBERS_COUNTED}`),
  raid(
    'raid_members_aqu_sz_max',
    'requests',
    'Members aqu-sz (max)',
    `Largest member aqu-sz: the disk that queues most. ${MEMBERS_COUNTED}`,
  ),
  raid(
    'raid_members_in_flight_sum',
    'requests',
    'Members in flight (sum)',
    `Sum of the members' in-flight requests. ${MEMBERS_COUNTED}`,
  ),
  raid(
    'raid_members_in_flight_max',
    'requests',
    'Members in flight (max)',
    `Largest member in-flight count. ${MEMBERS_COUNTED}`,
  ),
  raid(
    'raid_members_util_sum_percent',
    'percent',
    'Members %util (sum)',
    `Sum of the members' %util. ${MEMBERS_COUNTED}`,
  ),
  raid('raid_members_util_max_percent', 'percent', 'Members %util (max)', `Busiest member's %util. ${MEMBERS_COUNTED}`),
  raid(
    'raid_saturated',
    'boolean',
    'Array saturated',
    '1 when the array or any working member is saturated (see disk_saturated).',
  ),
] as const satisfies readonly MetricDef[];
