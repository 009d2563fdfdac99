import type { CollectorStatus, WireState } from '../shared/protocol.js';
import type { MetricSample } from '../shared/catalogue.js';
import type { CollectResult, Collector, Readings } from './collectors/collector.js';
import { errorMessage } from '../shared/errors.js';
import { monoNowMs } from './mono-clock.js';

export interface Sample {
  ts: number;
  samples: MetricSample[];
  collectors: CollectorStatus[];
  states: WireState[];
  stateKinds: string[];
  durationMs: number;
}

/**
 * Runs every collector once per tick and merges their output into one
 * sample. Primary collectors run concurrently, then the derived ones (which
 * read the primaries' readings); one that fails reports its error in its
 * status and the others' samples still go out. Output keeps collector order.
 * `readings` carries what collectors provide from one tick to the next (see
 * Sampler); a fresh object means the primaries see none.
 */
export async function sampleOnce(collectors: readonly Collector[], readings: Readings = {}): Promise<Sample> {
  const started = monoNowMs();
  const now = { nowMs: Date.now(), monoMs: started };
  const run = (c: Collector): Promise<CollectResult> =>
    // a copy: what one collector of a stage provides is not visible to the others of that stage
    c.collect({ ...now, readings: { ...readings } }).catch((err: unknown) => ({
      samples: [],
      status: { name: c.name, state: 'error' as const, message: errorMessage(err) },
    }));
  const results = new Map<Collector, CollectResult>();
  for (const stage of ['primary', 'derived'] as const) {
    const group = collectors.filter((c) => (c.stage ?? 'primary') === stage);
    const done = await Promise.all(group.map(run));
    group.forEach((c, i) => results.set(c, done[i]!));
    for (const r of done) Object.assign(readings, r.provides);
  }
  const ordered = collectors.map((c) => results.get(c)!);
  return {
    ts: now.nowMs,
    samples: ordered.flatMap((r) => r.samples),
    collectors: ordered.map((r) => r.status),
    states: ordered.flatMap((r) => r.states ?? []),
    // several instances of one collector report the same kinds
    stateKinds: [...new Set(ordered.flatMap((r) => r.stateKinds ?? []))],
    durationMs: monoNowMs() - started,
  };
}

/** Samples the same collectors tick after tick, keeping what they provide each other between ticks. */
export class Sampler {
  private readonly readings: Readings = {};

  constructor(readonly collectors: readonly Collector[]) {}

  sample(): Promise<Sample> {
    return sampleOnce(this.collectors, this.readings);
  }
}

/**
 * Calls `tick` every `intervalMs`, aligned to the interval's wall-clock
 * boundaries so that agents' samples line up. A tick that overruns the next
 * boundary skips it rather than piling up.
 */
export function startTicker(intervalMs: number, tick: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const delay = intervalMs - (Date.now() % intervalMs);
    timer = setTimeout(run, delay);
  };
  const run = () => {
    void tick().finally(schedule);
  };
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
