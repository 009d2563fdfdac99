import type { DeviceReading } from '../collectors/disks.js';
import type { ArrayReport } from './arrays.js';
import type { MdQueue } from '../../shared/states.js';

/** Queue depth of an array and of its working members over the last interval: the shape the dashboard reads. */
export type ArrayQueue = MdQueue;

/**
 * md is a bio-based driver: many kernels count its I/Os but never its time
 * (ms fields, in-flight and io_ticks stay 0). Then the array's own depth says
 * nothing, and the members' sum is the honest figure.
 */
export function mdAccountsTime(r: DeviceReading): boolean {
  const s = r.stats;
  const ios = s.reads + s.writes;
  const time = (s.readMs ?? 0) + (s.writeMs ?? 0) + (s.ioMs ?? 0) + (s.weightedIoMs ?? 0);
  return ios === 0 || time > 0;
}

export function arrayQueue(report: ArrayReport, readings: ReadonlyMap<string, DeviceReading>): ArrayQueue {
  // Every member that takes the array's I/O: data disks, one being rebuilt or replaced, and the write journal.
  const working = report.members.filter(
    (m) => m.state === 'in_sync' || m.state === 'rebuilding' || m.state === 'replacement' || m.state === 'journal',
  );
  const counted: string[] = [];
  const m = { aquSzSum: 0, aquSzMax: 0, inFlightSum: 0, inFlightMax: 0, utilSum: 0, utilMax: 0 };
  let busiest: string | null = null;
  let busiestDepth = -1;
  const saturatedMembers: string[] = [];
  for (const member of working) {
    const r = readings.get(member.name);
    if (!r) continue;
    counted.push(member.name);
    const aqu = r.rates.aquSz ?? 0;
    const inFlight = r.rates.inFlight ?? 0;
    const util = r.rates.utilPercent ?? 0;
    m.aquSzSum += aqu;
    m.aquSzMax = Math.max(m.aquSzMax, aqu);
    m.inFlightSum += inFlight;
    m.inFlightMax = Math.max(m.inFlightMax, inFlight);
    m.utilSum += util;
    m.utilMax = Math.max(m.utilMax, util);
    if (aqu > busiestDepth) {
      busiestDepth = aqu;
      busiest = member.name;
    }
    if (r.saturation.saturated) saturatedMembers.push(member.name);
  }
  const own = readings.get(report.name);
  let source: ArrayQueue['source'];
  let aquSz: number | null;
  let inFlight: number | null;
  const fallbackReason = !own ? 'md device not in /proc/diskstats' : mdAccountsTime(own) ? null : 'md accounts no time';
  if (own && mdAccountsTime(own)) {
    source = 'array';
    aquSz = own.rates.aquSz;
    inFlight = own.rates.inFlight;
  } else if (counted.length > 0) {
    source = 'members';
    aquSz = m.aquSzSum;
    inFlight = m.inFlightSum;
  } else {
    source = 'none';
    aquSz = null;
    inFlight = null;
  }
  const ownSaturated = source === 'array' && own ? own.saturation.saturated : false;
  return {
    source,
    fallbackReason: source === 'array' ? null : fallbackReason,
    aquSz,
    inFlight,
    members: { counted, ...m, busiest },
    saturated: ownSaturated || saturatedMembers.length > 0,
    saturatedMembers,
  };
}
