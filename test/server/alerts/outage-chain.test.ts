import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { HostSummary } from '../../../shared/protocol.js';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES, PROCFS } from '../../helpers/fixtures.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

/**
 * The seed's outage chain through a real agent and server and a real HTTP
 * receiver (the generic webhook format): alerts resolve when what they
 * describe ends, even when the data that described it stops (issue 13, must
 * show a–c).
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const events = (r: Receiver) => hookEvents(r);
const saw = (r: Receiver, kind: string, rule: string) =>
  events(r).some((e) => e.kind === kind && e.alert.rule === rule);

/** Shipped rules with `for`s and windows short enough for a test; the same conditions otherwise. */
const FAST_RULES = `rules:
  - name: MongodLockWaitHigh
    severity: critical
    when: { metric: mongod_lock_percent, fn: avg, over: 5s, op: '>', value: 50 }
    clear: { metric: mongod_lock_percent, fn: avg, over: 5s, op: '<', value: 30 }
    for: 2s
  - name: MongodOperationsQueued
    severity: warning
    when: { metric: mongod_queued, match: { op: total }, op: '>', value: 20 }
    clear: { metric: mongod_queued, match: { op: total }, op: '<', value: 5 }
    for: 2s
  - name: MongodTicketsExhausted
    severity: critical
    when: { metric: mongod_tickets_util_percent, op: '>=', value: 100 }
    for: 2s
  - name: MongodDown
    severity: critical
    when: { metric: mongod_up, op: '<', value: 1 }
    for: 2s
  - name: ReplsetNoPrimary
    severity: critical
    when: { metric: replset_has_primary, op: '<', value: 1 }
    for: 2s
`;

async function stack(opts: { root: string; mongodUri?: string }) {
  const receiver = await startReceiver();
  cleanup.push(() => receiver.close());
  const d = tempDir();
  writeFileSync(path.join(d, 'fast.yaml'), FAST_RULES);
  writeFileSync(
    path.join(d, 'tidemark.yaml'),
    // grouped, with the waits shortened like the rules' `for`s
    `alerts:\n  groupWait: 1s\n  groupInterval: 5s\n  rules: [${path.join(d, 'fast.yaml')}]\n  receivers:\n    - { type: webhook, url: ${receiver.url}/hook }\n`,
  );
  const srv = await serverProcess({ dataDir: path.join(d, 'data'), args: ['--config', path.join(d, 'tidemark.yaml')] });
  const server = await srv.start();
  cleanup.push(() => server.stop());
  const agent: Running = runCli(
    [
      'agent',
      ...['--server', `ws://127.0.0.1:${srv.port}`, '--agent-id', 'db1', '--interval-ms', '500', '--root', opts.root],
      // Its own spool: a stopped agent's unacknowledged batches (same id) must not replay into the next test's server.
      ...['--spool-dir', path.join(d, 'spool')],
      ...(opts.mongodUri ? ['--mongod-uri', opts.mongodUri] : []),
    ],
    { TIDEMARK_TOKEN: 't' },
  );
  cleanup.push(() => agent.stop());
  await agent.waitFor(/connected to server/);
  return { receiver, base: srv.base, agent };
}

describe('(a) a rebuild that ends', () => {
  it('RaidRebuilding resolves within 30 s once the recovering array is clean', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'proc'));
    const mdstat = path.join(root, 'proc/mdstat');
    // md0 raid1 recovering onto sda1 (3.6 %), then the same array clean [2/2] [UU]: two recordings, copied whole
    copyFileSync(path.join(PROCFS, 'checkraid-pr28_1/proc/mdstat'), mdstat);
    const { receiver } = await stack({ root });
    await until(() => saw(receiver, 'trigger', 'RaidRebuilding'), 15_000, 'RaidRebuilding firing');
    copyFileSync(path.join(PROCFS, 'checkraid-pr24/proc/mdstat'), mdstat);
    const cleanAt = Date.now();
    await until(() => saw(receiver, 'resolve', 'RaidRebuilding'), 30_000, 'RaidRebuilding resolved');
    expect(Date.now() - cleanAt).toBeLessThan(30_000);
    const resolve = events(receiver).find((e) => e.kind === 'resolve' && e.alert.rule === 'RaidRebuilding')!;
    // the agent said 0 for the ended recovery, so the condition cleared (not the staleness backstop)
    expect(resolve.alert.resolvedBy).toBe('condition');
    expect(resolve.alert.labels).toMatchObject({ array: 'md0', action: 'recovery' });
  }, 60_000);
});

const recorded = (rel: string) => parseRecordedReply(readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8'));
const base = () => recorded('4.2.8-wiredtiger/getDiagnosticData.json').serverStatus as Document;

/**
 * A lock pile-up, constructed from the 4.2.8 recording: each reply is 1 s of
 * uptime later, Global W lock waits grow 0.8 s per second (lock wait 80 %),
 * 40 operations are queued and all 128 write tickets are out.
 */
function pileUp(): () => Document {
  const ss = base();
  let uptime = Number(ss.uptimeMillis);
  let waited = 41_557;
  return () => {
    uptime += 1000;
    waited += 800_000;
    const locks = ss.locks as Document;
    return {
      ...ss,
      uptimeMillis: uptime,
      uptime: uptime / 1000,
      globalLock: {
        ...(ss.globalLock as Document),
        currentQueue: { readers: 10, writers: 30, total: 40 },
        totalTime: uptime * 1000,
      },
      locks: { ...locks, Global: { ...(locks.Global as Document), timeAcquiringMicros: { W: 804, w: waited } } },
      wiredTiger: {
        ...(ss.wiredTiger as Document),
        concurrentTransactions: {
          read: { available: 100, out: 28, totalTickets: 128 },
          write: { available: 0, out: 128, totalTickets: 128 },
        },
      },
      ok: 1,
    };
  };
}

describe('(b) mongod stops answering mid-pile-up', () => {
  let fake: FakeMongod;
  it('lock, queue and ticket alerts resolve and MongodDown fires', async () => {
    fake = await startFakeMongod({ serverStatus: pileUp() });
    cleanup.push(() => fake.stop());
    const { receiver } = await stack({ root: tempDir(), mongodUri: fake.uri });
    const pile = ['MongodLockWaitHigh', 'MongodOperationsQueued', 'MongodTicketsExhausted'];
    await until(() => pile.every((r) => saw(receiver, 'trigger', r)), 30_000, 'the pile-up alerts');
    await fake.stop();
    await until(() => saw(receiver, 'trigger', 'MongodDown'), 20_000, 'MongodDown');
    await until(() => pile.every((r) => saw(receiver, 'resolve', r)), 20_000, 'the pile-up alerts resolved');
    for (const r of pile) {
      const e = events(receiver).find((x) => x.kind === 'resolve' && x.alert.rule === r)!;
      expect(e.alert.resolvedBy, r).toBe('condition'); // the agent reported 0, not silence
    }
  }, 90_000);
});

describe('(c) replSetGetStatus times out', () => {
  let fake: FakeMongod;
  it('the replica-set state shows unknown and ReplsetNoPrimary fires', async () => {
    const ss = base();
    let uptime = Number(ss.uptimeMillis);
    const repl = ss.repl as Document;
    // this member knows of no primary (an election that cannot complete), and replSetGetStatus hangs
    const noPrimary: Document = { ...repl, ismaster: false, secondary: true };
    delete noPrimary.primary;
    fake = await startFakeMongod({
      serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), repl: noPrimary, ok: 1 }),
      replSetGetStatus: () => new Promise<Document>(() => {}),
    });
    cleanup.push(() => fake.stop());
    const { receiver, base: url } = await stack({ root: tempDir(), mongodUri: fake.uri });
    const replset = async () => {
      const hosts = await getJson<HostSummary[]>(`${url}/api/hosts`);
      return Object.values(hosts.find((h) => h.id === 'db1')?.states.replset ?? {})[0] as
        { state?: string; error?: string; set?: string; primary?: string | null } | undefined;
    };
    const seen = await until(async () => (await replset())?.state === 'unknown' && replset(), 20_000, 'unknown');
    expect(seen).toMatchObject({ state: 'unknown', set: 'rs1', primary: null });
    expect(seen.error).toMatch(/replSetGetStatus/);
    await until(() => saw(receiver, 'trigger', 'ReplsetNoPrimary'), 20_000, 'ReplsetNoPrimary');
  }, 60_000);
});
