import Database from 'better-sqlite3';
import { existsSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite.js';
import { appendSamples } from '../../server/store/store.js';
import { silentLogger } from '../../shared/log.js';
import { TestAgent } from '../helpers/agent-client.js';
import { serverProcess, tempDir, until, type Running } from '../helpers/process.js';

const running: Running[] = [];
const agents: TestAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

interface Health {
  status: string;
  storageErrors: { message: string }[];
}

/** A server with some acknowledged history, stopped with `signal`. */
async function serverWithHistory(signal: NodeJS.Signals) {
  const srv = await serverProcess();
  const first = await srv.start();
  running.push(first);
  const agent = new TestAgent(`ws://127.0.0.1:${srv.port}/ws/agent`, 't');
  agents.push(agent);
  await agent.connect();
  const t0 = Date.now() - 60_000;
  for (let i = 1; i <= 30; i++) agent.send(t0 + i * 1000, i);
  await until(() => agent.acked === 30, 10_000, '30 acknowledged batches');
  agent.close();
  await first.stop(signal);
  running.splice(running.indexOf(first), 1);
  return { srv, db: path.join(srv.dataDir, 'tidemark.db') };
}

async function restart(srv: Awaited<ReturnType<typeof serverProcess>>) {
  const again = await srv.start();
  running.push(again);
  const res = await fetch(`${srv.base}/healthz`);
  return { again, code: res.status, health: (await res.json()) as Health };
}

describe('storage faults at start', () => {
  it('a truncated database is named, kept aside, and a fresh one started (no crash loop)', async () => {
    const { srv, db } = await serverWithHistory('SIGTERM');
    const size = statSync(db).size;
    truncateSync(db, Math.floor(size / 2));
    const { again, code, health } = await restart(srv);
    expect(code).toBe(503);
    expect(health.status).toBe('degraded');
    const message = health.storageErrors[0]!.message;
    expect(message).toMatch(
      /tidemark\.db is truncated: \d+ bytes where its header says \d+; kept as .*tidemark\.db\.truncated-/,
    );
    expect(again.output()).toContain('is truncated');
    const kept = readdirSync(srv.dataDir).find((f) => f.startsWith('tidemark.db.truncated-'))!;
    expect(statSync(path.join(srv.dataDir, kept)).size).toBe(Math.floor(size / 2));
    // The fresh database takes data again.
    const agent = new TestAgent(`ws://127.0.0.1:${srv.port}/ws/agent`, 't', 'h2', 's2');
    agents.push(agent);
    await agent.connect();
    agent.send(Date.now() - 1000, 1);
    await until(() => agent.acked === 1, 10_000, 'an ack from the fresh database');
  }, 60_000);

  it('an empty (zero-byte) database is named and kept aside, not silently started empty', async () => {
    const { srv, db } = await serverWithHistory('SIGTERM');
    writeFileSync(db, '');
    rmSync(`${db}-wal`, { force: true });
    const { health } = await restart(srv);
    expect(health.storageErrors[0]!.message).toMatch(
      /tidemark\.db is empty \(0 bytes\); kept as .*tidemark\.db\.empty-/,
    );
  }, 60_000);

  it('a write-ahead file deleted after a kill -9 is named at start', async () => {
    const { srv, db } = await serverWithHistory('SIGKILL');
    expect(existsSync(`${db}-shm`)).toBe(true);
    rmSync(`${db}-wal`);
    const { code, health } = await restart(srv);
    expect(code).toBe(503);
    expect(health.storageErrors[0]!.message).toMatch(/tidemark\.db-wal is missing after an unclean stop/);
  }, 60_000);
});

describe('a corrupt row', () => {
  it('is skipped and reported by name; every other row is read', async () => {
    const file = path.join(tempDir(), 'tidemark.db');
    const write = new SqliteStore({ file, log: silentLogger, writer: 'inline' });
    const t0 = Date.now() - 600_000;
    for (let i = 0; i < 5; i++)
      appendSamples(write, 'db1', t0 + i * 1000, [
        { m: 'disk_util_percent', l: { device: 'sda' }, v: i },
        { m: 'disk_util_percent', l: { device: 'sdb' }, v: 10 + i },
        { m: 'disk_util_percent', l: { device: 'sdc' }, v: 20 + i },
      ]);
    await write.close();
    const raw = new Database(file);
    const id = (device: string) =>
      (raw.prepare('SELECT id FROM series WHERE labels = ?').get(JSON.stringify({ device })) as { id: number }).id;
    raw.prepare('UPDATE series SET labels = ? WHERE id = ?').run('{"device": ', id('sda'));
    raw.prepare('UPDATE chunks SET data = ? WHERE series_id = ?').run(Buffer.from([0xff, 0xff]), id('sdb'));
    const sdb = id('sdb');
    raw.close();

    const store = new SqliteStore({ file, log: silentLogger, writer: 'inline' });
    try {
      const q = (device: string) =>
        store.query({ host: 'db1', metric: 'disk_util_percent', labels: { device }, from: t0, to: Date.now() });
      expect(q('sda')).toEqual([]);
      expect(q('sdb')[0]!.points).toEqual([]);
      expect(q('sdc')[0]!.points.map(([, v]) => v)).toEqual([20, 21, 22, 23, 24]);
      const messages = store.storageErrors().map((e) => e.message);
      expect(messages.some((m) => /^series row \d+ \(db1 disk_util_percent/.test(m) && m.includes('skipped'))).toBe(
        true,
      );
      expect(messages.some((m) => m.startsWith(`chunk of series ${sdb} from ${t0}`))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
