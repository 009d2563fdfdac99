import type { CollectResult, Collector } from './collector.js';

/**
 * One instance's collector among several: every sample gets the `instance`
 * label and every state key the instance name, so two mongods on one host are
 * two sets of series, checks and panels instead of one overwriting the other.
 */
export function forInstance(inner: Collector, instance: string): Collector {
  const name = collectorName(inner.name, instance);
  const label = (r: CollectResult): CollectResult => ({
    ...r,
    samples: r.samples.map((s) => ({ ...s, l: { ...s.l, instance } })),
    ...(r.states ? { states: r.states.map((st) => ({ ...st, key: `${instance} ${st.key}` })) } : {}),
    status: { ...r.status, name },
  });
  return {
    name,
    ...(inner.stage ? { stage: inner.stage } : {}),
    collect: async (ctx) => label(await inner.collect(ctx)),
    snapshot: () => inner.snapshot(),
    close: async () => inner.close?.(),
  };
}

/** Collector names on the wire are letters, digits and _: `mongod_127_0_0_1_27017`. */
export function collectorName(base: string, instance: string | null): string {
  return instance ? `${base}_${instance.replace(/\W+/g, '_')}` : base;
}
