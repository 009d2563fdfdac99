import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { WireState } from '../../../shared/protocol.js';
import type { MetricSample } from '../../../shared/catalogue.js';
import { stateShapeProblem } from '../../../shared/state-shapes.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { MongodCollector } from '../../../agent/collectors/mongod.js';
import { ReplsetMemoryFile, replsetMemoryFile } from '../../../agent/mongod/replset-memory.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { tempDir } from '../../helpers/process.js';

/**
 * The replica-set view's unknown stretch (UnknownReplsetState.since) through the real driver against the
 * in-test wire server replaying the 4.2.8 recording (set rs1): it starts at the first failed read, holds
 * through mongod flapping and across an agent restart, and ends only when a known view is read.
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

function collector(fake: FakeMongod, memoryDir: string | null = null): MongodCollector {
  const memory = memoryDir ? new ReplsetMemoryFile(replsetMemoryFile(memoryDir, null)) : null;
  const c = new MongodCollector({ uri: fake.uri, timeoutMs: 1000, memory });
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

describe('an agent restarted while its mongod is down', () => {
  it('reports the remembered set as unknown since its first failed read, has_primary null', async () => {
    const fake = await fakeMongod();
    const dir = tempDir();
    expect((await read(collector(fake, dir))).replset).toMatchObject({ set: 'rs1', voters: 3 });
    await fake.stop();
    const restarted = collector(fake, dir);
    const r = await read(restarted);
    expect(r.up).toBe(false);
    expect(r.replset).toMatchObject({ state: 'unknown', set: 'rs1', primary: null, members: [], voters: null });
    expect(r.replset!.error).toMatch(/^mongod down/);
    expect(r.replset!.since).toBeGreaterThanOrEqual(r.from);
    expect(r.replset!.since).toBeLessThanOrEqual(r.to);
    expect([...r.hasPrimary]).toEqual([['rs1', null]]);
  }, 30_000);

  it('keeps the since of a view that was already unknown when the agent stopped', async () => {
    const fake = await fakeMongod();
    const dir = tempDir();
    const before = collector(fake, dir);
    await read(before);
    await fake.stop();
    const lost = (await read(before)).replset!.since!;
    await before.close();
    await tick();
    const r = await read(collector(fake, dir));
    expect(r.replset).toMatchObject({ state: 'unknown', set: 'rs1', since: lost });
  }, 30_000);

  it('forgets the set once mongod comes back as no replica-set member', async () => {
    const fake = await fakeMongod();
    const dir = tempDir();
    await read(collector(fake, dir));
    await fake.stop();
    const c = collector(fake, dir);
    expect((await read(c)).replset?.state).toBe('unknown');
    // restarted without --replSet: NoReplicationEnabled
    fake.handlers.set('replSetGetStatus', () => ({ ok: 0, errmsg: 'not running with --replSet', code: 76 }));
    await fake.start();
    expect((await readUntilUp(c)).replset).toBeUndefined();
    expect(existsSync(replsetMemoryFile(dir, null))).toBe(false);
    await fake.stop();
    expect((await read(c)).replset).toBeUndefined();
    expect((await read(collector(fake, dir))).replset).toBeUndefined();
  }, 30_000);

  it('takes a memory file that is not one for nothing remembered, and says when it cannot write one', async () => {
    const fake = await fakeMongod();
    const dir = tempDir();
    for (const text of ['{"set":', '[]', '{"set":""}', '{"set":3}', 'null']) {
      writeFileSync(replsetMemoryFile(dir, null), text);
      expect(new ReplsetMemoryFile(replsetMemoryFile(dir, null)).read(), text).toBeNull();
    }
    // the memory's directory is a file: the readings go on, the status says why nothing is remembered
    const blocked = path.join(dir, 'blocked');
    writeFileSync(blocked, '');
    const r = await collector(fake, blocked).collect();
    expect(r.status.message).toMatch(/replica-set memory .*blocked/);
    expect(r.states?.find((s) => s.kind === 'replset')?.value).toMatchObject({ set: 'rs1', voters: 3 });
  }, 30_000);

  it('names the file after the instance, in characters any file system takes', () => {
    expect(path.basename(replsetMemoryFile('/d', null))).toBe('replset-mongod.json');
    expect(path.basename(replsetMemoryFile('/d', '127.0.0.1:27018'))).toBe('replset-127.0.0.1_27018.json');
  });
});
