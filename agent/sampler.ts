import type { CollectorStatus, WireSample } from '../shared/protocol.js';
import type { Collector } from './collectors/collector.js';

export interface Sample {
  ts: number;
  samples: WireSample[];
  collectors: CollectorStatus[];
  durationMs: number;
}

/**
 * Runs every collector once per tick and merges their output into one
 * sample. Collectors run concurrently; one that fails reports its error in its
 * status and the others' samples still go out.
 */
export async function sampleOnce(collectors: readonly Collector[]): Promise<Sample> {
  const started = performance.now();
  const ctx = { nowMs: Date.now(), monoMs: started };
  const results = await Promise.all(
    collectors.map((c) =>
      c.collect(ctx).catch((err: unknown) => ({
        samples: [],
        status: { name: c.name, state: 'error' as const, message: err instanceof Error ? err.message : String(err) },
      })),
    ),
  );
  return {
    ts: ctx.nowMs,
    samples: results.flatMap((r) => r.samples),
    collectors: results.map((r) => r.status),
    durationMs: performance.now() - started,
  };
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
    tick().finally(schedule);
  };
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
