import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, serverProcess, tempDir, until, type Running } from '../helpers/process.js';
import { setReadOnly, smallTmpfs } from '../helpers/tmpfs.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

const INTERVAL = 200;

async function cpuPoints(base: string, from: number): Promise<number[]> {
  const res = await fetch(`${base}/api/series?host=spooled&metric=cpu_iowait_percent&cpu=all&from=${from}&to=now`);
  const body = (await res.json()) as { series: { points: [number, number][] }[] };
  return (body.series[0]?.points ?? []).map(([t]) => t);
}

function agent(port: number, spoolDir: string): Running {
  const a = runCli(
    ['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'spooled', '--interval-ms', String(INTERVAL)],
    { TIDEMARK_TOKEN: 't', TIDEMARK_SPOOL_DIR: spoolDir },
  );
  running.push(a);
  return a;
}

describe('the agent spool', () => {
  it('replays, after a SIGKILL during a server outage and a restart, every batch sampled before the kill', async () => {
    const spoolDir = tempDir();
    const srv = await serverProcess();
    let server = await srv.start();
    running.push(server);
    const t0 = Date.now();
    const first = agent(srv.port, spoolDir);
    await first.waitFor(/connected to server/);
    await until(async () => (await cpuPoints(srv.base, t0)).length >= 5, 15_000, 'samples before the outage');

    // The server goes away; the agent samples into its buffer (and spool) for 3 s, then is killed.
    await server.stop('SIGKILL');
    running.splice(running.indexOf(server), 1);
    const outageAt = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await first.stop('SIGKILL');
    const killedAt = Date.now();
    expect(readdirSync(spoolDir).some((f) => f.endsWith('.jsonl'))).toBe(true);

    // Agent back first, then the server: the agent replays what it had not had acknowledged.
    const second = agent(srv.port, spoolDir);
    await second.waitFor(/replaying batches a previous run left unacknowledged/);
    server = await srv.start();
    running.push(server);
    await until(
      async () => (await cpuPoints(srv.base, killedAt)).length >= 5,
      20_000,
      'samples from the restarted agent',
    );

    const ts = await cpuPoints(srv.base, t0);
    const beforeKill = ts.filter((t) => t < killedAt);
    // Continuous up to the kill: no step longer than 2.5 intervals (the kill-to-restart pause is the only gap)…
    for (let i = 1; i < beforeKill.length; i++)
      expect(beforeKill[i]! - beforeKill[i - 1]!, `step before ${beforeKill[i]}`).toBeLessThan(2.5 * INTERVAL);
    // …covering the outage, whose batches existed only in the killed agent's spool, to the last tick before the kill.
    expect(beforeKill.filter((t) => t > outageAt).length).toBeGreaterThanOrEqual(10);
    expect(killedAt - beforeKill.at(-1)!).toBeLessThan(2.5 * INTERVAL);
    // No sample twice.
    expect(new Set(ts).size).toBe(ts.length);
  }, 90_000);

  it('falls back to memory with a warning when the spool directory is read-only', async () => {
    const dir = smallTmpfs(1024 * 1024);
    setReadOnly(dir, true);
    try {
      const srv = await serverProcess();
      const server = await srv.start();
      running.push(server);
      const a = agent(srv.port, `${dir}/spool`);
      await a.waitFor(/spool directory cannot be written; unacknowledged batches are kept in memory only/);
      await a.waitFor(/connected to server/);
      const t0 = Date.now();
      await until(async () => (await cpuPoints(srv.base, t0)).length >= 3, 15_000, 'samples without a spool');
    } finally {
      setReadOnly(dir, false);
    }
  }, 60_000);
});
