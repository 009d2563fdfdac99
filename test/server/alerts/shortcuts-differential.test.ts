import { describe, expect, it } from 'vitest';
import type { SeriesRef } from '../../../shared/protocol.js';
import { AlertEngine } from '../../../server/alerts/engine.js';
import { compare, compareCode, OP_CODES, parseRules, type Rule } from '../../../server/alerts/rules.js';
import { DRIVE_SERIES, drivenEngine, seeded, type EngineClass } from '../../helpers/engine-drive.js';

/**
 * The engine's shortcuts (a `last` threshold read from the batch's values, no
 * absent-data step for a host heard from with nothing open) against its general
 * path (`shortcuts: false`), on the same random inputs: every notification and
 * every listed alert must be the same after every second. Set
 * TIDEMARK_REFERENCE_ENGINE to a built engine.js of another commit (e.g. a
 * worktree of the commit before the shortcuts) to compare with that instead, and
 * TIDEMARK_DIFF_SEEDS to run more seeds than the default four.
 */
const REFERENCE = process.env.TIDEMARK_REFERENCE_ENGINE;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function condition(r: () => number): string {
  const metric = pick(r, ['disk_util_percent', 'disk_queue_fill_percent', 'disk_saturated']);
  const match = pick(r, [
    '',
    ', match: { device: sda }',
    ", match: { device: '~sd[ab]' }",
    ", match: { device: '!sdc' }",
  ]);
  const fn = r() < 0.55 ? 'last' : pick(r, ['avg', 'min', 'max', 'rate']);
  const over = fn === 'last' ? '' : `, over: ${pick(r, ['2s', '4s', '8s'])}`;
  const op = pick(r, ['>', '>=', '<', '<=', '==', '!=']);
  const value = metric === 'disk_saturated' ? pick(r, [0, 1]) : Math.round(r() * 100);
  return `{ metric: ${metric}${match}, fn: ${fn}${over}, op: '${op}', value: ${value} }`;
}

/** A random rule file of 3–8 rules: thresholds, any/all joins, clear, for, keep_firing_for, stale_after, absent. */
function ruleFile(r: () => number, generation: number): Rule[] {
  const lines = ['rules:'];
  const n = 3 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    // Names repeat across reloads, so a reloaded rule may keep (or change under) its open alerts.
    lines.push(`  - name: R${Math.floor(r() * 10)}x${i}`);
    const kind = r();
    if (kind < 0.08) lines.push(`    absent: { agent: true }`);
    else if (kind < 0.16)
      lines.push(`    absent: { metric: ${pick(r, ['disk_util_percent', 'disk_saturated'])}, match: { device: sda } }`);
    else if (kind < 0.3) lines.push(`    when: { ${pick(r, ['any', 'all'])}: [${condition(r)}, ${condition(r)}] }`);
    else lines.push(`    when: ${condition(r)}`);
    if (kind >= 0.16 && r() < 0.3) lines.push(`    clear: ${condition(r)}`);
    lines.push(`    for: ${kind < 0.16 ? pick(r, ['3s', '6s']) : pick(r, ['0s', '0s', '2s', '5s'])}`);
    if (r() < 0.2) lines.push(`    keep_firing_for: 2s`);
    if (kind >= 0.16 && r() < 0.2) lines.push(`    stale_after: ${pick(r, ['4s', '10s'])}`);
  }
  const { rules, errors } = parseRules(lines.join('\n'), `gen${generation}.yaml`);
  expect(errors).toEqual([]);
  return rules;
}

/** One host's sending: its series now (a session's table), and its last value per series (a random walk). */
interface Sender {
  series: SeriesRef[];
  slots: number[];
  version: number;
  walk: number[];
  quietUntil: number;
  lastTs: number;
}

function reshape(r: () => number, s: Sender): void {
  const chosen = DRIVE_SERIES.map((_, i) => i).filter(() => r() < 0.75);
  s.series = chosen.map((i) => DRIVE_SERIES[i]!);
  s.slots = chosen;
  s.version++;
}

function values(r: () => number, s: Sender): (number | null)[] {
  return s.slots.map((i) => {
    const saturated = DRIVE_SERIES[i]!.m === 'disk_saturated';
    s.walk[i] = saturated ? (r() < 0.1 ? 1 - s.walk[i]! : s.walk[i]!) : Math.max(0, s.walk[i]! + (r() - 0.5) * 30);
    return r() < 0.08 ? null : s.walk[i];
  });
}

/** Drives two engines with the same `steps` seconds of random input; the first difference fails the test. */
function sameOnBoth(seed: number, steps: number, Reference: EngineClass): number {
  const r = seeded(seed);
  let now = 1_800_000_000_000;
  let rules = ruleFile(r, 0);
  const seen = new Map<string, number>();
  const fast = drivenEngine(
    AlertEngine,
    () => rules,
    () => now,
    seen,
  );
  const slow = drivenEngine(
    Reference,
    () => rules,
    () => now,
    seen,
    { shortcuts: false },
  );
  const engines = [fast.engine, slow.engine];
  const hosts = ['db0', 'db1', 'db2'];
  const senders = hosts.map(() => ({
    series: [],
    slots: [],
    version: 0,
    walk: DRIVE_SERIES.map(() => 50),
    quietUntil: 0,
    lastTs: now,
  }));
  for (const s of senders) reshape(r, s);
  for (let step = 1; step <= steps; step++) {
    now += 1000;
    if (r() < 0.01) rules = ruleFile(r, step);
    hosts.forEach((host, h) => {
      const s = senders[h]!;
      if (now < s.quietUntil) return;
      if (r() < 0.01) s.quietUntil = now + (3 + Math.floor(r() * 15)) * 1000; // stale, then back
      if (r() < 0.03) reshape(r, s);
      // Mostly the next second; some batches late or repeated (replays), some a little early.
      const u = r();
      const ts = u < 0.05 ? s.lastTs - Math.floor(r() * 3000) : u < 0.08 ? s.lastTs : now + Math.floor(r() * 200);
      s.lastTs = Math.max(s.lastTs, ts);
      const vals = values(r, s);
      const asFloats = r() < 0.5;
      const shape = r() < 0.9 ? { version: s.version, slots: s.slots } : undefined;
      seen.set(host, now);
      for (const e of engines) {
        const v = asFloats ? Float64Array.from(vals, (x) => x ?? NaN) : vals;
        e.ingestValues(host, ts, s.series, v, shape);
      }
    });
    if (r() < 0.004) {
      const host = pick(r, hosts);
      for (const e of engines) e.retire(host);
    }
    const firing = fast.engine.list().filter((a) => a.state === 'firing');
    if (firing.length > 0 && r() < 0.05) {
      const id = pick(r, firing).id;
      for (const e of engines) e.ack(id);
    }
    for (const e of engines) e.tick(now);
    const [a, b] = engines.map((e) => JSON.stringify([e.list(now), hosts.map((h) => e.keptSeries(h))]));
    if (a !== b || fast.said.length !== slow.said.length) {
      expect({ step, said: fast.said }).toEqual({ step, said: slow.said });
      expect({ step, listed: a }).toEqual({ step, listed: b });
    }
  }
  expect(fast.said).toEqual(slow.said);
  for (const e of engines) e.stop();
  return fast.said.length;
}

describe('the engine with its shortcuts and without', () => {
  it('sends the same notifications and lists the same alerts, second by second, on random input', async () => {
    const Reference: EngineClass = REFERENCE
      ? ((await import(REFERENCE)) as { AlertEngine: EngineClass }).AlertEngine
      : AlertEngine;
    let notifications = 0;
    const seeds = Number(process.env.TIDEMARK_DIFF_SEEDS ?? 4);
    for (let seed = 1; seed <= seeds; seed++) notifications += sameOnBoth(seed, 1200, Reference);
    // The inputs are meant to make alerts fire and resolve: a run that sends nothing compares nothing.
    expect(notifications).toBeGreaterThan(100);
  }, 120_000);
});

describe('a last threshold read from the batch', () => {
  const { rules } = parseRules(
    `rules:
  - name: UtilHigh
    when: { metric: disk_util_percent, match: { device: sda }, op: '>', value: 50 }
`,
    'util.yaml',
  );
  const series: SeriesRef[] = [
    { m: 'disk_util_percent', l: { device: 'sda' } },
    { m: 'disk_util_percent', l: { device: 'sdb' } },
  ];
  const shape = { version: 1, slots: [0, 1] };

  it.each([true, false])('fires, resolves and fires again as the newest value says (shortcuts %s)', (shortcuts) => {
    let now = 1_800_000_000_000;
    const t0 = now;
    const { engine, said } = drivenEngine(
      AlertEngine,
      () => rules,
      () => now,
      new Map(),
      { shortcuts },
    );
    const feed = (second: number, sda: number) => {
      now = Math.max(now, t0 + second * 1000);
      engine.ingestValues('db1', t0 + second * 1000, series, Float64Array.from([sda, 0]), shape);
    };
    const told = () => said.map((x) => JSON.parse(x) as [string, { value: number }]).map(([k, a]) => `${k} ${a.value}`);
    feed(1, 10);
    feed(2, 60); // over 50, no for: fires at once
    feed(3, 40);
    feed(4, 70); // the same alert fires again after its resolve
    feed(5, 20);
    // Late batches (a replay): the ring keeps its first sample of a second, and the rule reads that, not the batch.
    feed(3, 99); // second 3 held 40: nothing
    feed(4, 10); // second 4 held 70: the rule reads 70 and fires again
    feed(6, NaN); // no value: unknown, not "under 50", so the alert keeps firing (ARCHITECTURE.md)
    feed(7, 30); // known and under 50: it resolves
    feed(8, 55);
    expect(told()).toEqual([
      'trigger 60',
      'resolve 40',
      'trigger 70',
      'resolve 20',
      'trigger 70',
      'resolve 30',
      'trigger 55',
    ]);
    expect(engine.list().map((a) => `${a.rule} ${a.state} ${a.value}`)).toEqual(['UtilHigh firing 55']);
    engine.stop();
  });
});

describe('comparisons by code', () => {
  it('says what compare says for every comparison, including nulls kept as NaN, zeros and infinities', () => {
    const xs = [NaN, -Infinity, -1, -0, 0, 0.5, 1, Infinity];
    for (const op of ['>', '>=', '<', '<=', '==', '!='] as const)
      for (const a of xs) for (const b of xs) expect(compareCode(a, OP_CODES.indexOf(op), b)).toBe(compare(a, op, b));
    expect([compareCode(1, OP_CODES.indexOf('>'), 0), compareCode(NaN, OP_CODES.indexOf('!='), 0)]).toEqual([
      true,
      true,
    ]);
  });
});
