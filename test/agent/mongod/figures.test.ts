import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import { parseRecordedReply, num } from '../../../agent/mongod/ejson.js';
import { gauges, intervalFigures, missingFigures } from '../../../agent/mongod/server-status.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';
import { CLI } from '../../helpers/process.js';

const text = (rel: string) => readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8');
/** A fresh copy of a recorded serverStatus (top level, or inside getDiagnosticData). */
const serverStatus = (rel: string): Document => {
  const d = parseRecordedReply(text(rel));
  return (d.serverStatus as Document | undefined) ?? d;
};
function set(doc: Document, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = doc as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts.at(-1)!] = value;
}
const plus = (doc: Document, dotted: string, d: number) => {
  const cur = dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
  set(doc, dotted, typeof cur === 'string' ? String(Number(cur) + d) : (num(cur) ?? 0) + d);
};

/** Runs `tidemark check mongod --uri` against a fake mongod that replays the two replies, through the real driver. */
const fakes: FakeMongod[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
});
async function viaDriver(
  prev: Document,
  cur: Document,
): Promise<{
  code: number | null;
  report: { gauges: ReturnType<typeof gauges>; interval: ReturnType<typeof intervalFigures>; missing: string[] };
  text: string;
}> {
  const replies = [prev, cur];
  const fake = await startFakeMongod({ serverStatus: () => ({ ...replies.shift()!, ok: 1 }) });
  fakes.push(fake);
  // Asynchronously: the fake server answers from this same process.
  const json = await run([CLI, 'check', 'mongod', '--uri', fake.uri, '--interval-ms', '100', '--json']);
  replies.push(prev, cur);
  const human = await run([CLI, 'check', 'mongod', '--uri', fake.uri, '--interval-ms', '100']);
  if (!json.stdout) throw new Error(json.stderr);
  return { code: json.code, report: JSON.parse(json.stdout), text: human.stdout };
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('mongod figures from recorded replies, through the driver and a wire-protocol server', () => {
  it('2.6.7 (MMAPv1): lock % is the global write lock held, from globalLock.lockTime / totalTime', async () => {
    const prev = serverStatus('2.6.7-mmapv1/serverStatus.json');
    const cur = serverStatus('2.6.7-mmapv1/serverStatus.json');
    // recorded: totalTime "127859430000" µs (a string), lockTime 7097013 µs, uptimeMillis 127859430
    plus(cur, 'uptimeMillis', 1000);
    plus(cur, 'globalLock.totalTime', 1_000_000);
    plus(cur, 'globalLock.lockTime', 250_000);
    plus(cur, 'opcounters.query', 50);
    const { code, report, text } = await viaDriver(prev, cur);
    expect(code).toBe(0);
    if (!report.interval.ok) throw new Error(report.interval.reason);
    // 100 · 250000 / 1000000
    expect(report.interval.figures).toMatchObject({
      lockKind: 'locked',
      lockPercent: 25,
      lockPercentUncapped: 25,
      contendedPercent: null,
      intervalMs: 1000,
    });
    expect(report.interval.figures.opcounterRates).toMatchObject({ query: 50, insert: 0 });
    // gauges straight from the reply: connections current 1, available 818; queues 0
    expect(report.gauges).toMatchObject({
      version: '2.6.7',
      pid: 2593,
      connections: { current: 1, available: 818 },
      queued: { readers: 0, writers: 0, total: 0 },
    });
    expect(report.missing).toEqual([
      'contended acquisitions % (lock wait counters exist from 3.0)',
      'ticket utilisation (no queues.execution or wiredTiger.concurrentTransactions: not WiredTiger, or older than 3.0)',
      'ticket queue (mongostat qr|qw needs WiredTiger tickets)',
    ]);
    expect(text).toContain('global lock held (≤ 2.6 globalLock.lockTime): 25 %');
  });

  it('3.0.2 (MMAPv1): no lockTime any more, so lock wait % from locks.*.timeAcquiringMicros', async () => {
    const prev = serverStatus('3.0.2-mmapv1/serverStatus.json');
    const cur = serverStatus('3.0.2-mmapv1/serverStatus.json');
    // recorded: uptimeMillis 618021690; MMAPV1Journal.timeAcquiringMicros.R 7163519, acquireWaitCount.R 4, acquireCount.R 354821;
    // Global.acquireCount.r 366257, and no Global wait counters (absent until non-zero)
    plus(cur, 'uptimeMillis', 2000);
    plus(cur, 'locks.MMAPV1Journal.timeAcquiringMicros.R', 500_000);
    plus(cur, 'locks.MMAPV1Journal.acquireWaitCount.R', 4);
    plus(cur, 'locks.MMAPV1Journal.acquireCount.R', 200);
    set(cur, 'locks.Global.timeAcquiringMicros.w', 100_000);
    set(cur, 'locks.Global.acquireWaitCount.w', 10);
    plus(cur, 'locks.Global.acquireCount.r', 1000);
    const { code, report, text } = await viaDriver(prev, cur);
    expect(code).toBe(0);
    if (!report.interval.ok) throw new Error(report.interval.reason);
    const f = report.interval.figures;
    // 100 · (500000 + 100000) µs / (2000 ms · 1000)
    expect(f.lockKind).toBe('wait');
    expect(f.lockPercent).toBeCloseTo(30, 10);
    // Global: 10 waits of 1000 acquisitions, 100000 µs over 10 waits; MMAPV1Journal: 4 of 200, 500000 µs over 4
    expect(f.lockTypes.Global).toEqual({ contendedPercent: 1, avgContendedWaitUs: 10_000, waitUs: 100_000 });
    expect(f.lockTypes.MMAPV1Journal).toEqual({ contendedPercent: 2, avgContendedWaitUs: 125_000, waitUs: 500_000 });
    expect(f.contendedPercent).toBeCloseTo((100 * 14) / 1200, 10);
    expect(report.gauges).toMatchObject({
      version: '3.0.2',
      pid: 286,
      active: { total: 10 },
      connections: { current: 2, available: 202 },
    });
    expect(report.missing).toContain(
      'ticket utilisation (no queues.execution or wiredTiger.concurrentTransactions: not WiredTiger, or older than 3.0)',
    );
    expect(text).toContain('lock wait % (time waiting to acquire locks): 30 %');
  });

  it('3.6.20 (WiredTiger): tickets, the mongostat ticket queue, and a lock wait % past 100 capped for the headline', async () => {
    const prev = serverStatus('3.6.20-wiredtiger/getDiagnosticData.json');
    const cur = serverStatus('3.6.20-wiredtiger/getDiagnosticData.json');
    // recorded: concurrentTransactions read/write out 0, available 128, totalTickets 128; activeClients total 50; connections 20/838840
    expect(gauges(prev)).toMatchObject({
      tickets: {
        source: 'wiredTiger.concurrentTransactions',
        read: { out: 0, available: 128, total: 128, utilPercent: 0 },
      },
      ticketQueue: { readers: 0, writers: 0 },
      connections: { current: 20, available: 838840 },
      active: { total: 50, readers: 0, writers: 0 },
    });
    plus(cur, 'uptimeMillis', 1000);
    plus(cur, 'locks.Global.timeAcquiringMicros.r', 1_500_000);
    set(cur, 'wiredTiger.concurrentTransactions.write', { out: 128, available: 0, totalTickets: 128 });
    set(cur, 'globalLock.activeClients.writers', 140);
    const { code, report, text } = await viaDriver(prev, cur);
    if (!report.interval.ok) throw new Error(report.interval.reason);
    // over the shipped rules' lines (rules/mongod.yaml: lock % > 50, tickets in use >= 100 %): exit 1, and each named
    expect(code).toBe(1);
    expect(text).toContain('over the shipped threshold of MongodLockWaitHigh: wait lock % 100 (> 50)');
    expect(text).toContain('over the shipped threshold of MongodTicketsExhausted: write tickets in use % 100 (>= 100)');
    expect(text).not.toContain('MongodOperationsQueued');
    // 100 · 1500000 / 1000000 = 150 → headline 100
    expect(report.interval.figures.lockPercent).toBe(100);
    expect(report.interval.figures.lockPercentUncapped).toBeCloseTo(150, 10);
    // write tickets 128/128 = 100 %; ticket queue writers = max(0, 0 + 140 − 128) = 12
    expect(report.gauges.tickets.write).toMatchObject({ utilPercent: 100, available: 0 });
    expect(report.gauges.ticketQueue).toEqual({ readers: 0, writers: 12 });
    expect(report.missing).toEqual([]);
  });

  it('4.2.8 (WiredTiger): a restart or a counter going backwards discards the interval and says why', async () => {
    const prev = serverStatus('4.2.8-wiredtiger/getDiagnosticData.json');
    const restarted = serverStatus('4.2.8-wiredtiger/getDiagnosticData.json');
    set(restarted, 'uptimeMillis', 1200);
    const a = await viaDriver(prev, restarted);
    expect(a.code).toBe(1);
    expect(a.report.interval).toEqual({
      ok: false,
      reason: 'uptime did not rise (9137726 → 1200 ms): mongod restarted',
    });
    const newPid = serverStatus('4.2.8-wiredtiger/getDiagnosticData.json');
    plus(newPid, 'uptimeMillis', 1000);
    set(newPid, 'pid', 77);
    expect((await viaDriver(prev, newPid)).report.interval).toEqual({
      ok: false,
      reason: 'pid changed from 1 to 77: mongod restarted',
    });
    const backwards = serverStatus('4.2.8-wiredtiger/getDiagnosticData.json');
    plus(backwards, 'uptimeMillis', 1000);
    plus(backwards, 'locks.Database.timeAcquiringMicros.W', -1);
    expect((await viaDriver(prev, backwards)).report.interval).toEqual({
      ok: false,
      reason: 'counter locks.Database.timeAcquiringMicros.W went backwards',
    });
    // an unchanged reply 1 s later: 4.2 reports ReplicationStateTransition and ParallelBatchWriterMode too; nothing waited
    const quiet = serverStatus('4.2.8-wiredtiger/getDiagnosticData.json');
    plus(quiet, 'uptimeMillis', 1000);
    const q = await viaDriver(prev, quiet);
    if (!q.report.interval.ok) throw new Error(q.report.interval.reason);
    expect(q.report.interval.figures.lockPercent).toBe(0);
    expect(Object.keys(q.report.interval.figures.lockTypes).sort()).toEqual([
      'Collection',
      'Database',
      'Global',
      'Mutex',
      'ParallelBatchWriterMode',
      'ReplicationStateTransition',
      'oplog',
    ]);
  });

  it('8.0 layout: tickets from queues.execution with its queue length (a 4.2 reply moved into the 8.0 shape)', () => {
    const doc = serverStatus('4.2.8-wiredtiger/getDiagnosticData.json');
    delete (doc.wiredTiger as Document).concurrentTransactions;
    set(doc, 'queues.execution', {
      read: { out: 3, available: 5, totalTickets: 8, normalPriority: { queueLength: 0 } },
      write: { out: 8, available: 0, totalTickets: 8, normalPriority: { queueLength: 6 } },
    });
    expect(gauges(doc).tickets).toEqual({
      source: 'queues.execution',
      read: { out: 3, available: 5, total: 8, utilPercent: 37.5, queueLength: 0 },
      write: { out: 8, available: 0, total: 8, utilPercent: 100, queueLength: 6 },
    });
    expect(missingFigures(doc)).toEqual([]);
  });

  it('reads every JSON encoding without losing 64-bit precision', () => {
    // pymongo legacy extended JSON: $clusterTime.signature.keyId 6857852638906548233 > 2^53
    const status = parseRecordedReply(text('4.2-replset-arbiter-primary-view/replSetGetStatus.json'));
    expect(String((status.$clusterTime as Document).signature.keyId)).toBe('6857852638906548233');
    expect((status.date as Date).toISOString()).toBe(new Date(1601626042162).toISOString());
    // Extended JSON v2 $numberLong, and a plain JSON string counter (2.6 totalTime)
    expect(String(serverStatus('3.0.2-mmapv1/serverStatus.json').uptimeMillis)).toBe('618021690');
    expect(num(at26('globalLock.totalTime'))).toBe(127859430000);
    // a bare integer past 2^53 in plain JSON stays exact
    expect(String(parseRecordedReply('{"n": 9007199254740993}').n)).toBe('9007199254740993');
  });
});

function at26(p: string): unknown {
  return p
    .split('.')
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], serverStatus('2.6.7-mmapv1/serverStatus.json'));
}
