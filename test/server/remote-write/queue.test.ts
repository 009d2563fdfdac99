import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecodedBatch, SeriesRef } from '../../../shared/protocol.js';
import { silentLogger } from '../../../shared/log.js';
import { RemoteWrite, type RemoteTargetConfig } from '../../../server/remote-write/index.js';
import { tempDir, until } from '../../helpers/process.js';
import { startRemoteWriteReceiver, type RemoteWriteReceiver } from '../../helpers/remote-write-receiver.js';

const T0 = Date.UTC(2026, 0, 1);
const SERIES: SeriesRef[] = Array.from({ length: 10 }, (_, i) => ({ m: 'disk_util_percent', l: { device: `sd${i}` } }));

/** Batch k of host db1: series i has the value k * 100 + i at T0 + k seconds. */
function batch(k: number): DecodedBatch {
  return {
    type: 'batch',
    seq: k + 1,
    ts: T0 + k * 1000,
    series: SERIES,
    values: Float64Array.from(SERIES, (_, i) => k * 100 + i),
  };
}

/** What the receiver got, as "device@k=value" strings in arrival order. */
const got = (r: RemoteWriteReceiver) =>
  r.samples.map((s) => `${Object.fromEntries(s.labels).device}@${(s.ts - T0) / 1000}=${s.value}`);
const expected = (ks: number[]) => ks.flatMap((k) => SERIES.map((_, i) => `sd${i}@${k}=${k * 100 + i}`));

const open: RemoteWrite[] = [];
const receivers: RemoteWriteReceiver[] = [];
afterEach(async () => {
  for (const rw of open.splice(0)) await rw.close(0);
  for (const r of receivers.splice(0)) await r.close();
});

function remoteWrite(
  dir: string,
  target: Partial<RemoteTargetConfig> & { url: string },
  queue: { maxAgeMs?: number; maxBytes?: number; segmentBytes?: number } = {},
) {
  const rw = new RemoteWrite({
    dir,
    targets: [{ shards: 1, batchDeadlineMs: 20, minBackoffMs: 10, maxBackoffMs: 50, ...target }],
    log: silentLogger,
    ...queue,
  });
  open.push(rw);
  return rw;
}

async function receiver() {
  const r = await startRemoteWriteReceiver();
  receivers.push(r);
  return r;
}

describe('remote write: encoding and sending', () => {
  it('sends each sample with __name__, host and its labels sorted, float64 value and ms timestamp; NaN is left out', async () => {
    const r = await receiver();
    const rw = remoteWrite(tempDir(), { url: r.url });
    rw.ingest('db1', {
      type: 'batch',
      seq: 1,
      ts: T0,
      series: [
        { m: 'disk_util_percent', l: { device: 'sda' } },
        { m: 'raid_degraded', l: { array: 'md0' } },
      ],
      values: Float64Array.of(12.345678901234567, NaN),
    });
    await until(() => r.samples.length === 1, 5000, 'one sample');
    expect(r.samples).toEqual([
      {
        labels: [
          ['__name__', 'tidemark_disk_util_percent'],
          ['device', 'sda'],
          ['host', 'db1'],
        ],
        ts: T0,
        value: 12.345678901234567,
      },
    ]);
    const h = r.requests[0]!.headers;
    expect([h['content-encoding'], h['content-type'], h['x-prometheus-remote-write-version']]).toEqual([
      'snappy',
      'application/x-protobuf',
      '0.1.0',
    ]);
  });

  it('keeps hosts apart when their batches share series objects (sessions share one per series shape)', async () => {
    const r = await receiver();
    const rw = remoteWrite(tempDir(), { url: r.url });
    const shared: SeriesRef[] = [{ m: 'disk_util_percent', l: { device: 'sda' } }];
    rw.ingest('db1', { type: 'batch', seq: 1, ts: T0, series: shared, values: Float64Array.of(1) });
    rw.ingest('db2', { type: 'batch', seq: 1, ts: T0, series: shared, values: Float64Array.of(2) });
    await until(() => r.samples.length === 2, 5000, 'two samples');
    const byHost = r.samples.map((s) => `${Object.fromEntries(s.labels).host}=${s.value}`).sort();
    expect(byHost).toEqual(['db1=1', 'db2=2']);
  });

  it('retries 5xx and 429 (waiting as Retry-After says), gives up on other 4xx, and counts each', async () => {
    const r = await receiver();
    const script = [503, 429, 204, 400, 204];
    r.answer = (n) => ({ status: script[n] ?? 204, headers: script[n] === 429 ? { 'Retry-After': '1' } : undefined });
    const rw = remoteWrite(tempDir(), { url: r.url, maxSamplesPerSend: 10 });
    for (const k of [0, 1, 2]) {
      rw.ingest('db1', batch(k));
      // one request per batch: the next batch is queued only once this one is settled
      await until(() => {
        const t = rw.stats().targets[0]!;
        return t.sent + t.failed === 10 * (k + 1);
      }, 10_000);
    }
    expect(r.requests.map((q) => q.status)).toEqual([503, 429, 204, 400, 204]);
    expect(r.requests[2]!.at - r.requests[1]!.at).toBeGreaterThanOrEqual(1000);
    expect(got(r)).toEqual(expected([0, 2]));
    const t = rw.stats().targets[0]!;
    expect([t.sent, t.failed, t.retries, t.pending, t.dropped]).toEqual([20, 10, 2, 0, 0]);
    expect(t.lastError).toMatch(/HTTP 400/);
  });

  it('spreads series over parallel shards and keeps each series in time order', async () => {
    const r = await receiver();
    const rw = remoteWrite(tempDir(), { url: r.url, shards: 4, maxSamplesPerSend: 7 });
    for (let k = 0; k < 50; k++) rw.ingest('db1', batch(k));
    await until(() => r.samples.length === 500, 10_000, 'every sample');
    const ks = Array.from({ length: 50 }, (_, k) => k);
    expect(got(r).sort()).toEqual(expected(ks).sort());
    for (let i = 0; i < 10; i++) {
      const mine = got(r).filter((s) => s.startsWith(`sd${i}@`));
      expect(mine).toEqual(ks.map((k) => `sd${i}@${k}=${k * 100 + i}`));
    }
  });
});

describe('remote write: the disk queue', () => {
  it('keeps samples across an outage and a restart, and sends each once when the remote is back', async () => {
    const r = await receiver();
    let up = true;
    r.answer = () => ({ status: up ? 204 : 503 });
    const dir = tempDir();
    let rw = remoteWrite(dir, { url: r.url, shards: 3, maxSamplesPerSend: 8 });
    for (let k = 0; k < 20; k++) rw.ingest('db1', batch(k));
    await until(() => r.samples.length === 200, 10_000, 'the first 20 batches');
    up = false;
    for (let k = 20; k < 40; k++) rw.ingest('db1', batch(k));
    await until(() => rw.stats().targets[0]!.retries > 0, 5000, 'a failed attempt');
    expect(rw.stats().targets[0]!.pending).toBe(200);
    await rw.close(0);
    open.splice(open.indexOf(rw), 1);
    rw = remoteWrite(dir, { url: r.url, shards: 3, maxSamplesPerSend: 8 });
    expect(rw.stats().targets[0]!.pending).toBe(200);
    for (let k = 40; k < 60; k++) rw.ingest('db1', batch(k));
    up = true;
    await until(() => rw.stats().targets[0]!.pending === 0, 10_000, 'the queue drained');
    expect(got(r).sort()).toEqual(expected(Array.from({ length: 60 }, (_, k) => k)).sort());
  });

  it('past its size bound drops the oldest segments, counts them, and sends the newest', async () => {
    const r = await receiver();
    let up = false;
    r.answer = () => ({ status: up ? 204 : 503 });
    // A batch is one data record of 5 + 28 + 12 × 10 = 153 bytes; a segment's first batch also defines its 10 series
    // (~600 bytes), and a segment grows to 8 times that before the next starts.
    // In memory the target holds 2 × maxSamplesPerSend samples: batches 0 and 1 (batch 0 in flight, failing).
    const rw = remoteWrite(tempDir(), { url: r.url, maxSamplesPerSend: 10 }, { segmentBytes: 2000, maxBytes: 6000 });
    for (let k = 0; k < 100; k++) rw.ingest('db1', batch(k));
    rw.queue.flush();
    rw.maintain();
    const t = rw.stats().targets[0]!;
    expect(rw.queue.totalBytes).toBeLessThanOrEqual(6000);
    expect(t.dropped).toBeGreaterThan(0);
    expect(t.dropped % 10).toBe(0);
    expect(t.pending + t.dropped).toBe(1000);
    const onDisk = (1000 - 20 - t.dropped) / 10;
    up = true;
    await until(() => rw.stats().targets[0]!.pending === 0, 10_000, 'the rest sent');
    const newest = Array.from({ length: onDisk }, (_, i) => 100 - onDisk + i);
    expect(got(r)).toEqual(expected([0, 1, ...newest]));
    expect(rw.stats().targets[0]!.sent).toBe(1000 - t.dropped);
  });

  it('drops segments older than its age bound (by write time), counted', async () => {
    const r = await receiver();
    r.answer = () => ({ status: 503 });
    const dir = tempDir();
    const rw = remoteWrite(dir, { url: r.url, maxSamplesPerSend: 10 }, { segmentBytes: 2000, maxAgeMs: 3_600_000 });
    for (let k = 0; k < 100; k++) rw.ingest('db1', batch(k));
    rw.queue.flush();
    const segments = rw.queue.segments.length;
    const inCurrent = rw.queue.current.samples;
    expect(segments).toBeGreaterThan(2);
    rw.maintain(Date.now() + 3_600_000 - 60_000);
    expect(rw.stats().targets[0]!.dropped).toBe(0);
    rw.maintain(Date.now() + 3_600_000 + 1000);
    // All but the current segment, less batches 0 and 1, which the target already holds in memory.
    expect(rw.stats().targets[0]!.dropped).toBe(1000 - inCurrent - 20);
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg'))).toHaveLength(1);
  });

  it('after a crash mid-write, cuts the torn record off and sends everything before it', async () => {
    const r = await receiver();
    let up = false;
    r.answer = () => ({ status: up ? 204 : 503 });
    const dir = tempDir();
    let rw = remoteWrite(dir, { url: r.url });
    for (let k = 0; k < 5; k++) rw.ingest('db1', batch(k));
    await rw.close(0);
    open.splice(open.indexOf(rw), 1);
    // Half a data record, as a crash in the middle of a write leaves it: a header announcing 153 bytes, 20 of them.
    const last = readdirSync(dir)
      .filter((f) => f.endsWith('.seg'))
      .sort()
      .at(-1)!;
    const torn = Buffer.alloc(25);
    torn[0] = 2;
    torn.writeUInt32LE(148, 1);
    appendFileSync(path.join(dir, last), torn);
    rw = remoteWrite(dir, { url: r.url });
    for (let k = 5; k < 8; k++) rw.ingest('db1', batch(k));
    up = true;
    await until(() => rw.stats().targets[0]!.pending === 0, 10_000, 'the queue drained');
    expect(got(r).sort()).toEqual(expected([0, 1, 2, 3, 4, 5, 6, 7]).sort());
    expect(rw.stats().targets[0]!.dropped).toBe(0);
  });

  it('starts from new samples when the queue was removed but a target kept its position', async () => {
    const r = await receiver();
    const dir = tempDir();
    let rw = remoteWrite(dir, { url: r.url });
    for (let k = 0; k < 5; k++) rw.ingest('db1', batch(k));
    await until(() => r.samples.length === 50, 5000, 'the first batches');
    await rw.close(0);
    open.splice(open.indexOf(rw), 1);
    for (const f of readdirSync(dir)) if (!f.startsWith('target-')) rmSync(path.join(dir, f));
    rw = remoteWrite(dir, { url: r.url });
    for (let k = 5; k < 8; k++) rw.ingest('db1', batch(k));
    await until(() => r.samples.length === 80, 5000, 'the new batches');
    expect(got(r).sort()).toEqual(expected([0, 1, 2, 3, 4, 5, 6, 7]).sort());
  });
});
