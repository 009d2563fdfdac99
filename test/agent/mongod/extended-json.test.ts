import { execFile } from 'node:child_process';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type Document,
} from 'bson';
import { describe, expect, it } from 'vitest';
import { ExtendedJsonError, parseRecordedReply } from '../../../agent/mongod/ejson.js';
import { startFakeMongod } from '../../helpers/fake-mongod.js';
import { CLI, REPO, tempDir } from '../../helpers/process.js';

/** Parses `{"v": <json>}` and returns v. */
const v = (json: string): unknown => parseRecordedReply(`{"v": ${json}}`).v;

describe('Extended JSON: each wrapper shape is read as its type', () => {
  it('v2 canonical and relaxed wrappers', () => {
    expect(v('{"$numberLong": "9223372036854775807"}')).toEqual(Long.fromString('9223372036854775807'));
    expect(v('{"$numberInt": "-2147483648"}')).toEqual(new Int32(-2147483648));
    expect(v('{"$numberDouble": "-1.5E+3"}')).toEqual(new Double(-1500));
    expect((v('{"$numberDouble": "-Infinity"}') as Double).value).toBe(-Infinity);
    expect(Number.isNaN((v('{"$numberDouble": "NaN"}') as Double).value)).toBe(true);
    expect(String(v('{"$numberDecimal": "1234.5"}'))).toBe('1234.5');
    expect(v('{"$numberDecimal": "1234.5"}')).toBeInstanceOf(Decimal128);
    expect((v('{"$oid": "57E193D7A9CC81B4027498B5"}') as ObjectId).toHexString()).toBe('57e193d7a9cc81b4027498b5');
    expect(v('{"$symbol": "sym"}')).toEqual(new BSONSymbol('sym'));
    // base64 "AQID" is the bytes 1 2 3; subtype "80" is user-defined 128
    const bin = v('{"$binary": {"base64": "AQID", "subType": "80"}}') as Binary;
    expect([bin.sub_type, [...bin.buffer]]).toEqual([0x80, [1, 2, 3]]);
    const uuid = v('{"$uuid": "c8edabc3-f738-4ca3-b68d-ab92a91478a3"}') as Binary;
    expect([uuid.sub_type, Buffer.from(uuid.buffer).toString('hex')]).toEqual([4, 'c8edabc3f7384ca3b68dab92a91478a3']);
    expect(v('{"$code": "function(){}"}')).toEqual(new Code('function(){}'));
    const scoped = v('{"$scope": {"x": {"$numberLong": "1"}}, "$code": "f"}') as Code;
    expect([scoped.code, scoped.scope]).toEqual(['f', { x: Long.fromNumber(1) }]);
    const ts = v('{"$timestamp": {"t": 4294967295, "i": 7}}') as Timestamp;
    expect([ts.t, ts.i]).toEqual([4294967295, 7]);
    expect(v('{"$regularExpression": {"pattern": "^a.*", "options": "mi"}}')).toEqual(new BSONRegExp('^a.*', 'im'));
    const ptr = v('{"$dbPointer": {"$ref": "db.coll", "$id": {"$oid": "57e193d7a9cc81b4027498b5"}}}') as DBRef;
    expect(ptr).toBeInstanceOf(DBRef);
    expect([ptr.db, ptr.collection, ptr.oid.toString()]).toEqual(['db', 'coll', '57e193d7a9cc81b4027498b5']);
    // canonical date (ms as Int64), relaxed date (RFC 3339); 1714989600000 ms = 2024-05-06T10:00:00Z
    expect((v('{"$date": {"$numberLong": "1714989600000"}}') as Date).toISOString()).toBe('2024-05-06T10:00:00.000Z');
    expect((v('{"$date": "2024-05-06T10:00:00.123Z"}') as Date).getTime()).toBe(1714989600123);
    expect((v('{"$date": {"$numberLong": "-1"}}') as Date).toISOString()).toBe('1969-12-31T23:59:59.999Z');
    expect(v('{"$minKey": 1}')).toEqual(new MinKey());
    expect(v('{"$maxKey": 1}')).toEqual(new MaxKey());
    expect(v('{"$undefined": true}')).toBe(null);
  });

  it('legacy shapes: pymongo and mongoexport v1', () => {
    expect((v('{"$date": 1601626042162}') as Date).getTime()).toBe(1601626042162);
    expect((v('{"$date": "2015-07-24T17:17:48.000+0000"}') as Date).toISOString()).toBe('2015-07-24T17:17:48.000Z');
    const bin = v('{"$binary": "AQID", "$type": "0"}') as Binary;
    expect([bin.sub_type, [...bin.buffer]]).toEqual([0, [1, 2, 3]]);
    expect(v('{"$regex": "^x", "$options": "i"}')).toEqual(new BSONRegExp('^x', 'i'));
  });

  it('plain JSON numbers: safe integers as numbers, larger as exact Int64, past Int64 as a double', () => {
    expect(v('42')).toBe(42);
    expect(v('1.5')).toBe(1.5);
    expect(String(v('9007199254740993'))).toBe('9007199254740993');
    expect(v('9007199254740993')).toBeInstanceOf(Long);
    expect(v('18446744073709551616')).toBe(2 ** 64);
  });
});

describe('Extended JSON: look-alikes stay documents', () => {
  it('operator-named counters (serverStatus 5.0+) and query operators are not wrappers', () => {
    // each of these has a wrapper key, but not exactly a wrapper's keys or value types
    const lookAlikes: [string, Document][] = [
      ['{"$regex": 3}', { $regex: 3 }],
      [
        '{"$regex": {"$numberLong": "3"}, "$type": {"$numberLong": "1"}}',
        { $regex: Long.fromNumber(3), $type: Long.fromNumber(1) },
      ],
      ['{"$type": 2}', { $type: 2 }],
      ['{"$type": "string"}', { $type: 'string' }],
      [
        '{"$regex": {"$regularExpression": {"pattern": "foo*", "options": ""}}, "$options": "ix"}',
        { $regex: new BSONRegExp('foo*', ''), $options: 'ix' },
      ],
      ['{"$date": 5, "x": 1}', { $date: 5, x: 1 }],
      ['{"$numberLong": "5", "x": 1}', { $numberLong: '5', x: 1 }],
      ['{"$numberLong": 5}', { $numberLong: 5 }],
      ['{"$oid": 12}', { $oid: 12 }],
      ['{"$binary": "AQID"}', { $binary: 'AQID' }],
      ['{"$binary": {"base64": "AQID"}}', { $binary: { base64: 'AQID' } }],
      ['{"$timestamp": {"t": 1}}', { $timestamp: { t: 1 } }],
      ['{"$timestamp": 5}', { $timestamp: 5 }],
      ['{"$minKey": 2}', { $minKey: 2 }],
      ['{"$maxKey": true}', { $maxKey: true }],
      ['{"$undefined": false}', { $undefined: false }],
      ['{"$code": 1}', { $code: 1 }],
      ['{"$symbol": null}', { $symbol: null }],
      ['{"$date": true}', { $date: true }],
      ['{"$uuid": 4}', { $uuid: 4 }],
      ['{"$and": 1, "$or": 2, "$date": {"$numberLong": "3"}}', { $and: 1, $or: 2, $date: Long.fromNumber(3) }],
      [
        '{"$ref": "c", "$id": {"$oid": "57e193d7a9cc81b4027498b5"}}',
        { $ref: 'c', $id: ObjectId.createFromHexString('57e193d7a9cc81b4027498b5') },
      ],
    ];
    for (const [json, expected] of lookAlikes) expect(v(json), json).toEqual(expected);
  });

  it('the top level is always a document', () => {
    expect(parseRecordedReply('{"$numberLong": "5"}')).toEqual({ $numberLong: '5' });
  });
});

describe('Extended JSON: a wrapper of the right shape with bad content is an error naming where', () => {
  it.each([
    ['{"$numberLong": "12x"}', 'is not a 64-bit integer'],
    ['{"$numberLong": "9223372036854775808"}', 'is not a 64-bit integer'],
    ['{"$numberInt": "2147483648"}', 'is not a 32-bit integer'],
    ['{"$numberDouble": "fast"}', 'is not a double'],
    ['{"$numberDecimal": "1.2.3"}', 'is not a decimal'],
    ['{"$oid": "123"}', 'is not 24 hex digits'],
    ['{"$binary": {"base64": "A", "subType": "00"}}', 'is not base64'],
    ['{"$binary": {"base64": "AQID", "subType": "100"}}', 'subtype'],
    ['{"$uuid": "not-a-uuid"}', 'is not a UUID'],
    ['{"$timestamp": {"t": -1, "i": 0}}', 'unsigned 32-bit'],
    ['{"$date": "yesterday"}', 'is not a date'],
    ['{"$regularExpression": {"pattern": "a", "options": "q"}}', 'regular expression'],
  ])('%s', (json, why) => {
    expect(() => parseRecordedReply(`{"a": {"b": [0, ${json}]}}`)).toThrow(ExtendedJsonError);
    expect(() => parseRecordedReply(`{"a": {"b": [0, ${json}]}}`)).toThrow(`at a.b.1: `);
    expect(() => parseRecordedReply(`{"a": {"b": [0, ${json}]}}`)).toThrow(why);
  });
});

const DIR = path.join(REPO, 'test/fixtures-local/mongo/6.0-operator-counters');
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('tidemark check mongod --server-status: a 6.0 serverStatus with metrics.operatorCounters (constructed, see PROVENANCE.md)', () => {
  it.each(['canonical', 'relaxed'])('%s Extended JSON from EJSON.stringify', async (mode) => {
    const files = ['prev', 'cur'].flatMap((w) => ['--server-status', path.join(DIR, `serverStatus-${w}.${mode}.json`)]);
    const json = await run(['check', 'mongod', ...files, '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { interval: unknown; gauges: unknown; missing: unknown };
    // Δ uptimeMillis 2000; Δ Global.timeAcquiringMicros.w 500000 µs → 100 · 500000 / (2000 · 1000) = 25 %
    // Global contended: Δ acquireWaitCount 5 of Δ acquireCount 500 (w) + 1500 (r) = 0.25 %; avg wait 500000 / 5 µs.
    // All types: 5 waits of 2000 (Global) + 2000 (ParallelBatchWriterMode r) + 2000 (ReplicationStateTransition w)
    expect(report.interval).toEqual({
      ok: true,
      figures: {
        lockKind: 'wait',
        lockPercent: 25,
        lockPercentUncapped: 25,
        contendedPercent: (100 * 5) / 6000,
        intervalMs: 2000,
        // Δ insert 20, query 200, command 400, others 0, over 2 s
        opcounterRates: { insert: 10, query: 100, update: 0, delete: 0, getmore: 0, command: 200 },
        lockTypes: {
          ParallelBatchWriterMode: { contendedPercent: 0, avgContendedWaitUs: null, waitUs: 0 },
          ReplicationStateTransition: { contendedPercent: 0, avgContendedWaitUs: null, waitUs: 0 },
          Global: { contendedPercent: 0.25, avgContendedWaitUs: 100_000, waitUs: 500_000 },
          Database: { contendedPercent: null, avgContendedWaitUs: null, waitUs: 0 },
          Collection: { contendedPercent: null, avgContendedWaitUs: null, waitUs: 0 },
          Mutex: { contendedPercent: null, avgContendedWaitUs: null, waitUs: 0 },
        },
      },
    });
    // read tickets 2/128 = 1.5625 %; ticket queue writers = max(0, 3 queued + 4 active − 1 out) = 6, readers 0 + 2 − 2 = 0
    expect(report.gauges).toMatchObject({
      version: '6.0.16',
      pid: 4242,
      uptimeMs: 1_002_000,
      tickets: { source: 'wiredTiger.concurrentTransactions', read: { out: 2, total: 128, utilPercent: 1.5625 } },
      ticketQueue: { readers: 0, writers: 6 },
      connections: { current: 42, available: 51158 },
    });
    expect(report.missing).toEqual([]);
    const human = await run(['check', 'mongod', ...files]);
    expect(human.stdout).toContain('lock wait % (time waiting to acquire locks): 25 % over 2000 ms');
  });

  it('the same replies served over the wire protocol and read by the driver (check mongod --uri)', async () => {
    const replies = ['prev', 'cur'].map((w) =>
      parseRecordedReply(readFileSync(path.join(DIR, `serverStatus-${w}.canonical.json`), 'utf8')),
    );
    const fake = await startFakeMongod({ serverStatus: () => replies.shift()! });
    try {
      const r = await run(['check', 'mongod', '--uri', fake.uri, '--interval-ms', '100', '--json']);
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout) as { interval: { ok: boolean; figures: { lockPercent: number } } };
      // the interval is the replies' uptimeMillis difference, not the 100 ms between the calls: 25 % as above
      expect(report.interval).toMatchObject({ ok: true, figures: { lockPercent: 25, intervalMs: 2000 } });
    } finally {
      await fake.stop();
    }
  });

  it('the operator counters themselves survive, as counters', () => {
    const doc = parseRecordedReply(readFileSync(path.join(DIR, 'serverStatus-cur.canonical.json'), 'utf8'));
    const match = ((doc.metrics as Document).operatorCounters as Document).match as Document;
    // constructed: $regex is the 30th match operator (index 29): 29 · 3 + 17 + 3 = 107
    expect(String(match.$regex)).toBe('107');
    expect(match.$type).toBeInstanceOf(Long);
    expect(String(((doc.$clusterTime as Document).signature as Document).keyId)).toBe('7365931540853968897');
  });

  it('a malformed wrapper is refused with the path, and the exit code for "cannot check"', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"uptimeMillis": {"$numberLong": "1e3"}}');
    const r = await run(['check', 'mongod', '--server-status', bad, '--server-status', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('at uptimeMillis: {"$numberLong":"1e3"} is not a 64-bit integer');
  });
});
