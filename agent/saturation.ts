/**
 * When is a disk saturated? %util alone cannot say: it counts time with at
 * least one request in flight, so a RAID array or an SSD that serves dozens of
 * requests in parallel shows 100 % long before it is full (iostat(1): "for
 * devices serving requests in parallel, such as RAID arrays and modern SSDs,
 * this number does not reflect their performance limits"). Tidemark calls a
 * device saturated when any of these holds over the interval:
 *
 * 1. Queue: aqu-sz is at least half of the device's request queue
 *    (queue/nr_requests). Requests then wait for a queue slot, not just for the
 *    disk, and latency grows with every new one.
 * 2. Latency: await is at least 4× the device's own baseline (the median of its
 *    await over its recent busy, unsaturated intervals) while aqu-sz ≥ 1, i.e.
 *    requests are queueing, not one slow request. Each device is compared with
 *    itself, so a 10 ms spinning disk and a 0.1 ms NVMe are both judged fairly.
 *    Baselines below 1 ms count as 1 ms, so microsecond jitter on fast devices
 *    is not a 4× jump.
 * 3. Pressure: the host's I/O pressure "full" avg10 is ≥ 10 % (every runnable
 *    task was stalled on I/O for a tenth of the time), this device is busy
 *    (%util ≥ 90 with aqu-sz ≥ 1), and the device itself shows evidence of
 *    queueing or latency: its queue a quarter full, or await at least twice its
 *    baseline. PSI is host-wide and says nothing about which device stalls or
 *    why (a writeback-throttled task, a cgroup limit, memory reclaim all count);
 *    a device streaming at queue depth 1 is 100 % busy without anything
 *    waiting, so busy + pressure alone flagged healthy sequential writes.
 *
 * An array is saturated when the array itself (if md accounts time) or any of
 * its working members is.
 */

/** The rule's thresholds, read together as one table. */
export const SATURATION_THRESHOLDS = {
  queueFillPercent: 50,
  awaitRatio: 4,
  minQueueForLatency: 1,
  baselineFloorMs: 1,
  pressureFullPercent: 10,
  utilBusyPercent: 90,
  /** What counts as the device's own evidence beside pressure: half of each saturation threshold. */
  evidenceQueueFillPercent: 25,
  evidenceAwaitRatio: 2,
} as const;
/** The baseline is the median of the last 600 busy intervals (10 busy minutes at 1 s) and needs 30 before it is trusted. */
export const BASELINE_WINDOW = 600;
export const BASELINE_MIN_SAMPLES = 30;

export interface SaturationInput {
  aquSz: number | null;
  awaitMs: number | null;
  utilPercent: number | null;
  nrRequests: number | null;
  baselineAwaitMs: number | null;
  pressureFullAvg10: number | null;
}

export interface Saturation {
  queueFillPercent: number | null;
  awaitRatio: number | null;
  saturated: boolean;
  reasons: ('queue' | 'latency' | 'pressure')[];
}

export function assessSaturation(i: SaturationInput): Saturation {
  const T = SATURATION_THRESHOLDS;
  const queueFillPercent = i.aquSz !== null && i.nrRequests ? (100 * i.aquSz) / i.nrRequests : null;
  const awaitRatio =
    i.awaitMs !== null && i.baselineAwaitMs !== null
      ? i.awaitMs / Math.max(i.baselineAwaitMs, T.baselineFloorMs)
      : null;
  const queued = (i.aquSz ?? 0) >= T.minQueueForLatency;
  const reasons: Saturation['reasons'] = [];
  if (queueFillPercent !== null && queueFillPercent >= T.queueFillPercent) reasons.push('queue');
  if (awaitRatio !== null && awaitRatio >= T.awaitRatio && queued) reasons.push('latency');
  const busy = (i.utilPercent ?? 0) >= T.utilBusyPercent && queued;
  const evidence = (queueFillPercent ?? 0) >= T.evidenceQueueFillPercent || (awaitRatio ?? 0) >= T.evidenceAwaitRatio;
  if ((i.pressureFullAvg10 ?? 0) >= T.pressureFullPercent && busy && evidence) reasons.push('pressure');
  return { queueFillPercent, awaitRatio, saturated: reasons.length > 0, reasons };
}

/**
 * A device's own usual await: the median over its last BASELINE_WINDOW
 * intervals that had I/O and were not saturated. A median of a sliding window
 * forgets the agent's first seconds once the window has moved on (a moving
 * average seeded by the first busy second carried that second for tens of
 * minutes), and one slow flush or one idle-then-burst second moves it by at
 * most one rank.
 */
export class AwaitBaseline {
  /** Awaits in arrival order (the window) and the same values sorted (for the median). */
  private readonly window: number[] = [];
  private readonly sorted: number[] = [];

  get samples(): number {
    return this.window.length;
  }

  get current(): number | null {
    const n = this.sorted.length;
    if (n < BASELINE_MIN_SAMPLES) return null;
    return n % 2 === 1 ? this.sorted[(n - 1) / 2]! : (this.sorted[n / 2 - 1]! + this.sorted[n / 2]!) / 2;
  }

  update(awaitMs: number | null, ios: number, saturated: boolean): void {
    if (awaitMs === null || !Number.isFinite(awaitMs) || ios <= 0 || saturated) return;
    this.window.push(awaitMs);
    this.sorted.splice(lowerBound(this.sorted, awaitMs), 0, awaitMs);
    if (this.window.length > BASELINE_WINDOW) {
      const oldest = this.window.shift()!;
      this.sorted.splice(lowerBound(this.sorted, oldest), 1);
    }
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
