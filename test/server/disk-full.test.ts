import { afterEach, describe, expect, it } from 'vitest';
import { TestAgent } from '../helpers/agent-client.js';
import { serverProcess, until, type Running } from '../helpers/process.js';
import { fillUp, free, smallTmpfs } from '../helpers/tmpfs.js';

const running: Running[] = [];
const agents: TestAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

interface Health {
  status: string;
  storeFailure: string | null;
  alertStateFailure: string | null;
}
async function health(base: string): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${base}/healthz`);
  return { code: res.status, body: (await res.json()) as Health };
}
async function storedPoints(base: string, from: number): Promise<[number, number][]> {
  const res = await fetch(`${base}/api/series?host=h1&metric=disk_util_percent&from=${from}&to=now`);
  const body = (await res.json()) as { series: { points: [number, number][] }[] };
  return body.series[0]?.points ?? [];
}

describe('a full data disk', () => {
  it('keeps the server up, degraded, acknowledging nothing it cannot keep, and recovers when space returns', async () => {
    const dataDir = smallTmpfs(16 * 1024 * 1024);
    const srv = await serverProcess({ dataDir, token: 't' });
    const server = await srv.start();
    running.push(server);
    const agent = new TestAgent(`ws://127.0.0.1:${srv.port}/ws/agent`, 't');
    agents.push(agent);
    await agent.connect();

    // A batch every 50 ms, value = its seq, each at its own millisecond.
    const t0 = Date.now();
    const sentAt = new Map<number, number>();
    let ts = t0;
    const sendOne = () => {
      ts = Math.max(ts + 1, Date.now());
      sentAt.set(agent.send(ts, agent.lastSent + 1), ts);
    };
    const pump = setInterval(sendOne, 50);
    try {
      await until(() => agent.acked >= 20, 15_000, '20 acknowledged batches');

      const filler = fillUp(dataDir);
      expect(filler.bytes).toBeGreaterThan(0);
      // A change to the alert state is saved ~100 ms later: onto a full disk.
      const silence = await fetch(`${srv.base}/api/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ matchers: [{ label: 'alertname', value: 'DiskSaturated' }], duration: '1h' }),
      });
      expect(silence.status).toBeLessThan(300);
      const degraded = await until(
        async () => {
          const h = await health(srv.base);
          return h.code === 503 ? h : null;
        },
        15_000,
        '/healthz degraded',
      );
      expect(degraded.body.status).toBe('degraded');
      expect(degraded.body.alertStateFailure ?? degraded.body.storeFailure).toMatch(/ENOSPC|full/i);

      // Full for a while (the old server died 10-20 s in): it keeps serving, and acknowledges only what it stored.
      const ackedWhenFull = agent.acked;
      await new Promise((r) => setTimeout(r, 12_000));
      expect(server.proc.exitCode).toBeNull();
      expect((await health(srv.base)).code).toBe(503);
      const ackedWhileFull = agent.acked;
      const stored = new Set((await storedPoints(srv.base, t0 - 1)).map(([t]) => t));
      for (let seq = 1; seq <= ackedWhileFull; seq++) expect(stored.has(sentAt.get(seq)!), `seq ${seq}`).toBe(true);

      free(filler.file);
      await until(async () => (await health(srv.base)).code === 200, 20_000, '/healthz ok again');
      const lastSentAfterFree = agent.lastSent;
      await until(() => agent.acked >= lastSentAfterFree, 20_000, 'every batch sent so far acknowledged');
      expect(agent.acked).toBeGreaterThan(ackedWhenFull);
    } finally {
      clearInterval(pump);
    }

    // Acknowledged means on disk: a kill -9 and restart still has every batch.
    const lastAcked = agent.acked;
    agent.close();
    await server.stop('SIGKILL');
    running.splice(running.indexOf(server), 1);
    const again = await srv.start();
    running.push(again);
    const points = await storedPoints(srv.base, t0 - 1);
    const byTs = new Map(points);
    for (let seq = 1; seq <= lastAcked; seq++) expect(byTs.get(sentAt.get(seq)!), `seq ${seq}`).toBe(seq);
    expect((await health(srv.base)).body).toMatchObject({ status: 'ok', storeFailure: null, alertStateFailure: null });
  }, 120_000);
});
