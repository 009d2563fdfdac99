import { describe, expect, it } from 'vitest';
import type { CollectContext, Collector, Readings } from '../../agent/collectors/collector.js';
import { Sampler, sampleOnce } from '../../agent/sampler.js';

/** A collector that provides a pressure reading counting its ticks, and records what it was given. */
function provider(seen: (Readings | undefined)[]): Collector {
  let tick = 0;
  return {
    name: 'provider',
    collect: async (ctx: CollectContext) => {
      seen.push(ctx.readings);
      tick += 1;
      const line = { avg10: tick, avg60: 0, avg300: 0, totalUs: 0 };
      return {
        samples: [],
        status: { name: 'provider', state: 'ok' },
        provides: { pressure: { some: line, full: null } },
      };
    },
    snapshot: async () => null,
  };
}

function reader(name: string, stage: 'primary' | 'derived', seen: (number | null)[]): Collector {
  return {
    name,
    stage,
    collect: async (ctx: CollectContext) => {
      seen.push(ctx.readings?.pressure?.some.avg10 ?? null);
      return { samples: [], status: { name, state: 'ok' } };
    },
    snapshot: async () => null,
  };
}

describe('readings handed between collectors by the sampler', () => {
  it('a derived collector reads this tick, a primary the previous tick, across ticks of one Sampler', async () => {
    const derived: (number | null)[] = [];
    const primary: (number | null)[] = [];
    const sampler = new Sampler([reader('d', 'derived', derived), provider([]), reader('p', 'primary', primary)]);
    await sampler.sample();
    await sampler.sample();
    await sampler.sample();
    expect(derived).toEqual([1, 2, 3]);
    expect(primary).toEqual([null, 1, 2]);
  });

  it('sampleOnce without a readings object starts from none', async () => {
    const primary: (number | null)[] = [];
    const collectors = [provider([]), reader('p', 'primary', primary)];
    await sampleOnce(collectors);
    await sampleOnce(collectors);
    expect(primary).toEqual([null, null]);
  });

  it('a collector that throws provides nothing and the previous reading stays', async () => {
    const derived: (number | null)[] = [];
    let fail = false;
    const p = provider([]);
    const flaky: Collector = {
      ...p,
      collect: async (ctx) => (fail ? Promise.reject(new Error('boom')) : p.collect(ctx)),
    };
    const sampler = new Sampler([flaky, reader('d', 'derived', derived)]);
    await sampler.sample();
    fail = true;
    const s = await sampler.sample();
    expect(s.collectors[0]).toEqual({ name: 'provider', state: 'error', message: 'boom' });
    expect(derived).toEqual([1, 1]);
  });
});
