import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { frameText } from '../../shared/frame-text.js';
import { BatchEncoder } from '../../agent/batch-encoder.js';
import { SqliteStore } from '../../server/store/sqlite.js';
import { silentLogger } from '../../shared/log.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';

const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;
type Reply = { type: string; seq?: number; lastSeq?: number };

async function connect(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  onTestFinished(() => ws.terminate());
  const received: Reply[] = [];
  ws.on('message', (d) => received.push(JSON.parse(frameText(d)) as Reply));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocol: 3,
      agentId: 'a',
      session: 's',
      hostname: 'a',
      agentVersion: 't',
      inventory: null,
    }),
  );
  await until(() => received.some((m) => m.type === 'welcome'), 5000, 'welcome');
  return { ws, received };
}

describe('the welcome names only batches on disk', () => {
  it('while commits do not land (a full disk), a reconnecting agent is not told a batch is stored', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'welcome-durable-'));
    const store = new SqliteStore({ file: path.join(dir, 'h.db'), log: silentLogger, writer: 'inline' });
    // Commits that do not land: as with a full disk, where each one fails and is retried.
    const pipeline = (store as unknown as { pipeline: { flush: () => void } }).pipeline;
    const flush = pipeline.flush.bind(pipeline);
    pipeline.flush = () => {};
    const { port } = await startLoopbackServer({ store });
    // Restored before the server closes (finish hooks run last first): its close waits for the disk.
    onTestFinished(() => void (pipeline.flush = flush));
    const a = await connect(port);
    a.ws.send(new BatchEncoder().encodeBinary({ type: 'batch', seq: 1, ts: T0, samples: [{ m: 'mongod_up', v: 1 }] }));
    await until(() => store.lastSeq('a', 's') === 1, 5000, 'batch 1 appended');
    await new Promise((r) => setTimeout(r, 200));
    expect(a.received.filter((m) => m.type === 'ack')).toEqual([]); // not acked: not on disk
    a.ws.terminate();
    const b = await connect(port);
    // The agent drops from its buffer everything up to the welcome's lastSeq (agent/transport.ts, case 'welcome').
    expect(b.received.find((m) => m.type === 'welcome')!.lastSeq).toBe(0);
    // The agent sends batch 1 again: already stored, it is a duplicate, acked once its commit lands.
    b.ws.send(new BatchEncoder().encodeBinary({ type: 'batch', seq: 1, ts: T0, samples: [{ m: 'mongod_up', v: 1 }] }));
    await new Promise((r) => setTimeout(r, 200));
    expect(b.received.filter((m) => m.type === 'ack')).toEqual([]);
    pipeline.flush = flush;
    pipeline.flush();
    await until(() => b.received.some((m) => m.type === 'ack'), 5000, 'the ack once on disk');
    expect(b.received.filter((m) => m.type === 'ack').map((m) => m.seq)).toEqual([1]);
    expect(store.durableSeq('a', 's')).toBe(1);
  });
});
