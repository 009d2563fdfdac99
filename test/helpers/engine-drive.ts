import type { SeriesRef } from '../../shared/protocol.js';
import { silentLogger } from '../../shared/log.js';
import type { AlertEngine, EngineOptions } from '../../server/alerts/engine.js';
import type { Notifier } from '../../server/alerts/notify.js';
import type { Rule } from '../../server/alerts/rules.js';

/** What an engine told its receivers, in order, as text (kind and the whole snapshot). */
export interface Told {
  notifier: Notifier;
  said: string[];
}

/** A notifier that only writes down what it is given (no delivery, no re-posts due). */
export function recordingNotifier(): Told {
  const said: string[] = [];
  const notifier = {
    enqueue: (kind: string, alert: unknown) => said.push(JSON.stringify([kind, alert])),
    resendDue: () => false,
    resend() {},
    restore() {},
    pending: [],
    stop() {},
    subscribe: () => () => {},
  } as unknown as Notifier;
  return { notifier, said };
}

export type EngineClass = new (opts: EngineOptions) => AlertEngine;

/** An engine of class `Engine` on the rules `rules()` says, the clock `clock` says, recording what it sends. */
export function drivenEngine(
  Engine: EngineClass,
  rules: () => readonly Rule[],
  clock: () => number,
  agentsLastSeen: Map<string, number>,
  extra: Partial<EngineOptions> = {},
) {
  const told = recordingNotifier();
  const engine = new Engine({
    rules,
    notifier: told.notifier,
    log: silentLogger,
    stateFile: null,
    agentsLastSeen: () => agentsLastSeen,
    clock,
    repeatIntervalMs: 20_000,
    ...extra,
  });
  return { engine, said: told.said };
}

/** Seeded pseudo-random numbers in [0, 1) (mulberry32), so a failing seed can be run again. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The series a host may send: three metrics of the catalogue over three devices. */
export const DRIVE_SERIES: SeriesRef[] = ['disk_util_percent', 'disk_queue_fill_percent', 'disk_saturated'].flatMap(
  (m) => ['sda', 'sdb', 'sdc'].map((device) => ({ m, l: { device } })),
);
