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
