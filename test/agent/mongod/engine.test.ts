import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Timestamp, type Document } from 'bson';
import { parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { engineGauges, engineRates, engineSamples, oplogWindowSeconds } from '../../../agent/mongod/engine.js';
import { MongodSource } from '../../../agent/mongod/client.js';
import { startFakeMongod, type FakeMongod } from '../../helpers/fake-mongod.js';
import { FIXTURES } from '../../helpers/fixtures.js';

const recorded = (rel: string) => parseRecordedReply(readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8'));
const ss42 = recorded('4.2.8-wiredtiger/getDiagnosticData.json').serverStatus as Document;

describe('engine figures from recorded serverStatus', () => {
  it('WiredTiger cache used and dirty % and the connection limit (4.2.8)', () => {
    // from the reply: cache 4148341 bytes, dirty 2839808, maximum 16241393664; connections 22 current, 838838 available
    const g = engineGauges(ss42);
    expect(g.cacheUsedPercent).toBeCloseTo((100 * 4148341) / 16241393664, 12);
    expect(g.cacheDirtyPercent).toBeCloseTo((100 * 2839808) / 16241393664, 12);
    expect(g.cacheMaxBytes).toBe(16241393664);
    expect(g.connectionsLimit).toBe(838860);
    expect(g.connectionsUsedPercent).toBeCloseTo((100 * 22) / 838860, 12);
  });
  it('has no cache figures on MMAPv1 (3.0.2)', () => {
    const g = engineGauges(recorded('3.0.2-mmapv1/serverStatus.json'));
    expect(g.cacheUsedPercent).toBeNull();
    expect(g.cacheDirtyPercent).toBeNull();
    expect(engineSamples(g, null, null).map((s) => s.m)).not.toContain('mongod_wt_cache_used_percent');
  });
  it('rates of app-thread evictions and asserts over uptime', () => {
    const cache = (ss42.wiredTiger as Document).cache as Document;
    const asserts = ss42.asserts as Document;
    const later: Document = {
      ...ss42,
      uptimeMillis: Number(ss42.uptimeMillis) + 2000,
      asserts: { ...asserts, user: Number(asserts.user) + 10 },
      wiredTiger: {
        ...(ss42.wiredTiger as Document),
        cache: {
          ...cache,
          'pages evicted by application threads': Number(cache['pages evicted by application threads']) + 50,
        },
      },
    };
    const r = engineRates(ss42, later)!;
    expect(r.appEvictionsPerS).toBe(25); // 50 pages in 2 s
    expect(r.assertsPerS).toEqual({ regular: 0, warning: 0, msg: 0, user: 5, rollovers: 0 });
    expect(engineRates(later, ss42)).toBeNull(); // uptime going back: another process
  });
});

describe('oplog window', () => {
  let fake: FakeMongod | undefined;
  let source: MongodSource | undefined;
  afterAll(async () => {
    await source?.close();
    await fake?.stop();
  });
  it("is the last entry's ts minus the first's, read through the driver", async () => {
    // first entry at 1 600 000 000 s, last one 36 h later
    const first = new Timestamp({ t: 1_600_000_000, i: 1 });
    const last = new Timestamp({ t: 1_600_000_000 + 36 * 3600, i: 7 });
    expect(oplogWindowSeconds({ ts: first }, { ts: last })).toBe(129_600);
    expect(oplogWindowSeconds(null, { ts: last })).toBeNull();
    fake = await startFakeMongod({
      find: (cmd) => {
        const forward = (cmd.sort as Document).$natural === 1;
        return {
          cursor: { id: 0n, ns: 'local.oplog.rs', firstBatch: [{ ts: forward ? first : last }] },
          ok: 1,
        };
      },
    });
    source = new MongodSource(fake.uri);
    const ends = (await source.oplogEnds(2000))!;
    expect(oplogWindowSeconds(ends.first, ends.last)).toBe(129_600);
    expect(fake.received.filter((c) => c === 'find')).toHaveLength(2);
  });
});
