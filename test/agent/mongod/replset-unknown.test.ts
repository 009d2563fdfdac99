import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { WireState } from '../../../shared/protocol.js';
import type { MetricSample } from '../../../shared/catalogue.js';
import { stateShapeProblem } from '../../../shared/state-shapes.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { MongodCollector } from '../../../agent/collectors/mongod.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';

/**
 * The replica-set view's unknown stretch (UnknownReplsetState.since) through the real driver against the
 * in-test wire server replaying the 4.2.8 recording (set rs1): it starts at the first failed read, holds
 * through mongod flapping, and ends only when a known view is read.
 */
const diag = parseRecordedReply(
  readFileSync(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
);
const ss = diag.serverStatus as Document;
const goodStatus = () => ({ ...(diag.replSetGetStatus as Document), ok: 1 });
/** What a member in STARTUP2 or ROLLBACK answers: it runs, but has no view of the set to give. */
const notReady = () => ({ ok: 0, errmsg: 'node is not in primary or recovering state', code: 13436 });

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function fakeMongod(): Promise<FakeMongod> {
  let uptime = Number(ss.uptimeMillis);
  const fake = await startFakeMongod({
    serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
    replSetGetStatus: goodStatus,
  });
  cleanup.push(() => fake.stop());
  return fake;
}

function collector(fake: FakeMongod): MongodCollector {
  const c = new MongodCollector({ uri: fake.uri, timeoutMs: 1000 });
  cleanup.push(() => c.close());
  return c;
}

type Replset = { state?: string; set: string | null; since?: number; error?: string; primary: string | null };
interface Reading {
  up: boolean;
  replset: Replset | undefined;
  /** replset_has_primary by its set label (null: unknown). */
  hasPrimary: Map<string, number | null>;
  /** When the reading started and ended (ms since the epoch). */
  from: number;
  to: number;
}

async function read(c: MongodCollector): Promise<Reading> {
  const from = Date.now();
  const r = await c.collect();
  const to = Date.now();
  const states = r.states ?? [];
  for (const s of states) expect(stateShapeProblem(s.kind, s.value as never), s.kind).toBeNull();
  const of = (kind: string): WireState[] => states.filter((s) => s.kind === kind);
  const hasPrimary = new Map(
    r.samples.filter((s: MetricSample) => s.m === 'replset_has_primary').map((s) => [s.l!.set!, s.v] as const),
  );
  const status = of('mongod')[0]!.value as { up: boolean };
  return { up: status.up, replset: of('replset')[0]?.value as Replset | undefined, hasPrimary, from, to };
}

/** Reads until mongod answers again (the driver reconnects by itself within a few tries). */
async function readUntilUp(c: MongodCollector): Promise<Reading> {
  for (let i = 0; i < 40; i++) {
    const r = await read(c);
    if (r.up) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('mongod did not come back');
}

const tick = () => new Promise((res) => setTimeout(res, 20));

describe('a mongod down when the agent starts', () => {
  it('reads mongod again once it comes back, though its first connection failed', async () => {
    const fake = await fakeMongod();
    await fake.stop();
    const c = collector(fake);
    expect((await read(c)).up).toBe(false);
    await fake.start();
    // the driver's client keeps the closed topology of its failed first connection: a new one is made
    expect((await readUntilUp(c)).replset).toMatchObject({ set: 'rs1', voters: 3 });
  }, 30_000);
});

describe('the unknown replica-set view keeps its since while it stays unknown', () => {
  it('through mongod down, back with no view, down again; a known view ends it and a new loss starts anew', async () => {
    const fake = await fakeMongod();
    const c = collector(fake);
    expect((await read(c)).replset).toMatchObject({ set: 'rs1', voters: 3 });
    expect((await read(c)).replset?.state).toBeUndefined(); // known

    await fake.stop();
    const down = await read(c);
    expect(down.replset).toMatchObject({ state: 'unknown', set: 'rs1', error: expect.stringMatching(/^mongod down/) });
    const lost = down.replset!.since!;
    expect(lost).toBeGreaterThanOrEqual(down.from);
    expect(lost).toBeLessThanOrEqual(down.to);

    // mongod comes back for a moment, still without a view of the set (STARTUP2): unknown since the same moment
    await tick();
    fake.handlers.set('replSetGetStatus', notReady);
    await fake.start();
    const back = await readUntilUp(c);
    expect(back.replset).toMatchObject({
      state: 'unknown',
      set: 'rs1',
      error: expect.stringMatching(/^replSetGetStatus/),
    });
    expect(back.replset!.since).toBe(lost);
    // serverStatus still names the primary: has_primary is known, 1
    expect(back.hasPrimary.get('rs1')).toBe(1);

    await tick();
    await fake.stop();
    const again = await read(c);
    expect(again.replset).toMatchObject({ state: 'unknown', since: lost });
    expect(again.hasPrimary.get('rs1')).toBeNull();

    // a known view ends the stretch; the next loss is a new one, since its own first failed read
    fake.handlers.set('replSetGetStatus', goodStatus);
    await fake.start();
    expect((await readUntilUp(c)).replset).toMatchObject({ set: 'rs1', voters: 3 });
    await tick();
    await fake.stop();
    const next = await read(c);
    expect(next.replset).toMatchObject({ state: 'unknown', set: 'rs1' });
    expect(next.replset!.since).toBeGreaterThanOrEqual(next.from);
    expect(next.replset!.since).toBeLessThanOrEqual(next.to);
  }, 30_000);

  it('replSetGetStatus failing first, then mongod down: since the first failure, not since the outage', async () => {
    const fake = await fakeMongod();
    fake.handlers.set('replSetGetStatus', notReady);
    const c = collector(fake);
    const first = await read(c);
    expect(first.replset).toMatchObject({ state: 'unknown', set: 'rs1' });
    const lost = first.replset!.since!;
    expect(lost).toBeGreaterThanOrEqual(first.from);
    expect(lost).toBeLessThanOrEqual(first.to);
    await tick();
    await fake.stop();
    const down = await read(c);
    expect(down.replset).toMatchObject({ state: 'unknown', set: 'rs1', since: lost });
    expect(down.replset!.error).toMatch(/^mongod down/);
    // has_primary unknown, not absent, though no known view was ever read in this run
    expect(down.hasPrimary.get('rs1')).toBeNull();
  }, 30_000);
});
