import { describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../../shared/protocol.js';
import { SessionSeries, decodeAgentFrame } from '../../../server/agent-frames.js';

/**
 * The series-table version the alert engine's plan cache keys on (server/alerts/plan.ts): the same while a
 * session only adds definitions, another for another session or a hello's new table.
 */
const b64 = (values: number[]) => Buffer.from(new Float64Array(values).buffer).toString('base64');
const decode = (frame: object, table: SessionSeries) => {
  const d = decodeAgentFrame(JSON.stringify(frame), table);
  if (!d.ok) throw new Error(d.message);
  return d.value as DecodedBatch;
};

describe('the series-table version of decoded batches', () => {
  it('stays while definitions are added and changes with the session or a new table', () => {
    const table = new SessionSeries();
    const first = decode({ type: 'batch', seq: 1, ts: 1, defs: [[0, 'mongod_up']], v: b64([1]) }, table);
    expect(first.tableVersion).toBe(table.version);
    const second = decode(
      { type: 'batch', seq: 2, ts: 2, defs: [[1, 'disk_util_percent', { device: 'sda' }]], i: [0, 1], v: b64([1, 5]) },
      table,
    );
    expect(second.tableVersion).toBe(first.tableVersion); // index 0 still names mongod_up
    expect(second.slots).toEqual([0, 1]);

    const other = new SessionSeries();
    expect(other.version).not.toBe(table.version);
    const before = table.version;
    table.reset([['disk_util_percent', { device: 'sdb' }]]); // a hello: index 0 now names another series
    expect(table.version).not.toBe(before);
    expect(decode({ type: 'batch', seq: 3, ts: 3, v: b64([9]) }, table).tableVersion).toBe(table.version);
  });

  it('protocol 1 batches carry none', () => {
    const batch = decode({ type: 'batch', seq: 1, ts: 1, samples: [{ m: 'mongod_up', v: 1 }] }, new SessionSeries());
    expect(batch.tableVersion).toBeUndefined();
  });
});
