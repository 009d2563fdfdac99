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
 * 2. Latency: await is at least 4× the device's own baseline (a slow moving
 *    average of its await while not saturated) while aqu-sz ≥ 1, i.e. requests
 *    are queueing, not one slow request. Each device is compared with itself, so
 *    a 10 ms spinning disk and a 0.1 ms NVMe are both judged fairly. Baselines
 *    below 1 ms count as 1 ms, so microsecond jitter on fast devices is not a
 *    4× jump.
 * 3. Pressure: the host's I/O pressure "full" avg10 is ≥ 10 % (every runnable
 *    task was stalled on I/O for a tenth of the time) and this device is busy
 *    (%util ≥ 90 with aqu-sz ≥ 1): the stall is real and this disk is where it is.
 *
 * An array is saturated when the array itself (if md accounts time) or any of
 * its working members is.
 */

export const QUEUE_FILL_SATURATED_PERCENT = 50;
export const AWAIT_RATIO_SATURATED = 4;
export const MIN_QUEUE_FOR_LATENCY = 1;
export const BASELINE_FLOOR_MS = 1;
export const PRESSURE_FULL_SATURATED_PERCENT = 10;
export const UTIL_BUSY_PERCENT = 90;
/** The baseline forgets with a 10-minute time constant and needs 30 busy intervals before it is trusted. */
export const BASELINE_TAU_MS = 10 * 60_000;
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
  const queueFillPercent = i.aquSz !== null && i.nrRequests ? (100 * i.aquSz) / i.nrRequests : null;
  const awaitRatio =
    i.awaitMs !== null && i.baselineAwaitMs !== null
      ? i.awaitMs / Math.max(i.baselineAwaitMs, BASELINE_FLOOR_MS)
      : null;
  const queued = (i.aquSz ?? 0) >= MIN_QUEUE_FOR_LATENCY;
  const reasons: Saturation['reasons'] = [];
  if (queueFillPercent !== null && queueFillPercent >= QUEUE_FILL_SATURATED_PERCENT) reasons.push('queue');
  if (awaitRatio !== null && awaitRatio >= AWAIT_RATIO_SATURATED && queued) reasons.push('latency');
  if (
    (i.pressureFullAvg10 ?? 0) >= PRESSURE_FULL_SATURATED_PERCENT &&
    (i.utilPercent ?? 0) >= UTIL_BUSY_PERCENT &&
    queued
  )
    reasons.push('pressure');
  return { queueFillPercent, awaitRatio, saturated: reasons.length > 0, reasons };
}

/** A device's own recent await: an exponentially weighted average over intervals that had I/O and were not saturated. */
export class AwaitBaseline {
  private value: number | null = null;
  private samples = 0;

  get current(): number | null {
    return this.samples >= BASELINE_MIN_SAMPLES ? this.value : null;
  }

  update(awaitMs: number | null, ios: number, elapsedMs: number, saturated: boolean): void {
    if (awaitMs === null || ios <= 0 || saturated || !(elapsedMs > 0)) return;
    const alpha = 1 - Math.exp(-elapsedMs / BASELINE_TAU_MS);
    this.value = this.value === null ? awaitMs : this.value + alpha * (awaitMs - this.value);
    this.samples++;
  }
}
