import { afterAll, describe, expect, it } from 'vitest';
import { startVictoriaMetrics } from '../helpers/tsdb.js';
import { freePort, getJson, runCli, serverProcess, tempDir, until, type Running } from '../helpers/process.js';

const TOKEN = 'failover-token';
const INTERVAL_MS = 500;
type Series = { series: { labels: Record<string, string>; points: [number, number | null][] }[] };

/** Timestamps of the batches a server stored for the host (agent_buffer_batches is in every batch). */
async function stamps(base: string, from: number): Promise<number[]> {
  const ans = await getJson<Series>(
    `${base}/api/series?host=db-failover&metric=agent_buffer_batches&from=${from}&to=${Date.now()}`,
    TOKEN,
  );
  return ans.series.flatMap((s) => s.points.filter((p) => p[1] !== null).map((p) => p[0]));
}

/** Timestamps of every stored sample of the host's agent_buffer_batches in VictoriaMetrics, duplicates included. */
async function vmStamps(base: string): Promise<number[]> {
  const url = new URL('/api/v1/export', base);
  url.searchParams.set('match[]', 'tidemark_agent_buffer_batches{host="db-failover"}');
  const lines = (await (await fetch(url)).text()).split('\n').filter(Boolean);
  return lines.flatMap((l) => (JSON.parse(l) as { timestamps: number[] }).timestamps).sort((x, y) => x - y);
}

/** Waits until a server's remote write has nothing pending. */
async function drained(base: string): Promise<void> {
  await until(
    async () => {
      const h = await getJson<{ remoteWrite: { targets: { pending: number; sent: number }[] } | null }>(
        `${base}/healthz`,
      );
      return h.remoteWrite?.targets.every((t) => t.pending === 0 && t.sent > 0);
    },
    30_000,
    'remote write drained',
  );
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('agent failover across two real servers (--server A,B)', () => {
  const running: Running[] = [];
  let stopVm: () => Promise<void> = async () => {};
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
    await stopVm();
  });

  it('moves to B while A is down, returns to A, and the two together (and their shared store) hold every batch once', async () => {
    // Both servers remote-write to one VictoriaMetrics, as a shard with a standby would.
    const vm = await startVictoriaMetrics();
    stopVm = () => vm.stop();
    const rw = ['--remote-write', `${vm.base}/api/v1/write`];
    const a = await serverProcess({ token: TOKEN, args: rw });
    const b = await serverProcess({ token: TOKEN, args: rw });
    let serverA = await a.start();
    running.push(serverA, await b.start());
    const t0 = Date.now();
    const agent = runCli(
      [
        'agent',
        '--server',
        `ws://127.0.0.1:${a.port},ws://127.0.0.1:${b.port}`,
        '--agent-id',
        'db-failover',
        '--interval-ms',
        String(INTERVAL_MS),
        '--failback-after',
        '1',
        '--spool-dir',
        tempDir(),
      ],
      { TIDEMARK_TOKEN: TOKEN },
    );
    running.push(agent);
    const onA = new RegExp(`connected to server.*127\\.0\\.0\\.1:${a.port}`);
    const onB = new RegExp(`connected to server.*127\\.0\\.0\\.1:${b.port}`);
    await agent.waitFor(onA);
    await until(async () => (await stamps(a.base, t0)).length >= 6, 15_000, 'A stores batches');

    await serverA.stop();
    const aDown = Date.now();
    await agent.waitFor(onB, 20_000);
    await until(async () => (await stamps(b.base, t0)).length >= 8, 15_000, 'B stores batches');

    const aUp = Date.now();
    serverA = await a.start();
    running.push(serverA);
    await until(() => count(agent.output(), onA) >= 2, 20_000, 'the agent back on A');
    const back = Date.now();
    await until(
      async () => (await stamps(a.base, t0)).filter((t) => t > back).length >= 6,
      15_000,
      'A stores batches again',
    );
    await agent.stop();

    const fromA = await stamps(a.base, t0);
    const fromB = await stamps(b.base, t0);
    // B holds what came while A was down (and while A came back), nothing from before A stopped or after the return.
    expect(fromB.length).toBeGreaterThanOrEqual(8);
    expect(Math.min(...fromB)).toBeGreaterThan(t0);
    expect(Math.max(...fromB)).toBeLessThan(back + INTERVAL_MS);
    expect(fromB.some((t) => t > aDown && t < aUp)).toBe(true);
    // A has both sides of its outage.
    expect(fromA.some((t) => t < aDown)).toBe(true);
    expect(fromA.some((t) => t > back)).toBe(true);
    // No batch is in both.
    const inA = new Set(fromA);
    expect(fromB.filter((t) => inA.has(t))).toEqual([]);
    // No gap: the agent samples on the interval's wall-clock boundaries, so the union is one run of consecutive ticks.
    const ticks = [...fromA, ...fromB].map((t) => Math.round(t / INTERVAL_MS)).sort((x, y) => x - y);
    const missing: number[] = [];
    for (let i = 1; i < ticks.length; i++)
      for (let k = ticks[i - 1]! + 1; k < ticks[i]!; k++) missing.push(k * INTERVAL_MS);
    expect(missing).toEqual([]);
    expect(new Set(ticks).size).toBe(ticks.length);

    // The shared store holds the same batches, each once (its export lists duplicates too).
    for (const s of [a, b]) await drained(s.base);
    const union = [...fromA, ...fromB].sort((x, y) => x - y);
    await until(
      async () => (await vmStamps(vm.base)).length >= union.length,
      30_000,
      'VictoriaMetrics shows every batch',
    );
    expect(await vmStamps(vm.base)).toEqual(union);
  }, 120_000);

  it('moves on from a server that refuses its token, and from one where nothing listens', async () => {
    const refusing = await serverProcess({ token: 'another-token' });
    running.push(await refusing.start());
    const b = await serverProcess({ token: TOKEN });
    running.push(await b.start());
    const nothing = await freePort();
    const agent = runCli(
      [
        'agent',
        '--server',
        `ws://127.0.0.1:${nothing},ws://127.0.0.1:${refusing.port},ws://127.0.0.1:${b.port}`,
        '--agent-id',
        'db-refused',
        '--interval-ms',
        String(INTERVAL_MS),
        '--spool-dir',
        'none',
      ],
      { TIDEMARK_TOKEN: TOKEN },
    );
    running.push(agent);
    await agent.waitFor(new RegExp(`connected to server.*127\\.0\\.0\\.1:${b.port}`), 20_000);
    expect(agent.output()).toMatch(/server refused the agent token \(HTTP 401\)/);
    expect(agent.output()).toMatch(new RegExp(`trying the next server failed=ws://127\\.0\\.0\\.1:${nothing}`));
    const hosts = await getJson<{ id: string }[]>(`${b.base}/api/hosts`, TOKEN);
    expect(hosts.map((h) => h.id)).toEqual(['db-refused']);
  }, 60_000);

  it('refuses a server list with a bad entry, naming it', async () => {
    const agent = runCli(['agent', '--server', 'ws://127.0.0.1:1,http://127.0.0.1:2', '--spool-dir', 'none'], {
      TIDEMARK_TOKEN: TOKEN,
    });
    const code = await new Promise((r) => agent.proc.once('exit', r));
    expect(code).toBe(2);
    expect(agent.output()).toMatch(/entry 2 \(http:\/\/127\.0\.0\.1:2\) must start with ws:\/\/ or wss:\/\//);
  });
});
