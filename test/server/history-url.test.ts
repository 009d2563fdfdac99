import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { freePort, getJson, runCli, serverProcess, until, type Running } from '../helpers/process.js';
import { rawSamples, startVictoriaMetrics, type PeerProcess } from '../helpers/tsdb.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * `--history-url`: server A streams two real agents and remote-writes to a
 * real VictoriaMetrics; server B has no agents and reads history from it.
 */
type Point = [number, number | null];
interface SeriesAnswer {
  resolutionMs: number | null;
  source: { kind: string; name: string };
  series: { labels: Record<string, string>; points: Point[] }[];
}
const HOSTS = ['hist-1', 'hist-2'];
const METRIC = 'cpu_user_percent';
const key = (l: Record<string, string>) => JSON.stringify(Object.entries(l).sort());

describe('history from the shared store (--history-url)', () => {
  let vm: PeerProcess;
  let a: { base: string };
  let b: { base: string; port: number };
  let from: number;
  let to: number;
  const running: Running[] = [];

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    const sa = await serverProcess({ args: ['--remote-write', `${vm.base}/api/v1/write`] });
    running.push(await sa.start());
    a = sa;
    from = Date.now();
    const agents = HOSTS.map((id) =>
      runCli(
        [
          'agent',
          '--server',
          `ws://127.0.0.1:${sa.port}`,
          '--agent-id',
          id,
          '--interval-ms',
          '500',
          '--spool-dir',
          'none',
        ],
        { TIDEMARK_TOKEN: 't' },
      ),
    );
    for (const ag of agents) await ag.waitFor(/connected to server/);
    await new Promise((r) => setTimeout(r, 15_000)); // the agents stream; how long is the scenario, not a wait for a condition
    for (const ag of agents) await ag.stop();
    to = Date.now();
    // Everything A stored is in VictoriaMetrics: its raw samples of each host number as many as A's.
    for (const host of HOSTS) {
      const local = await getJson<SeriesAnswer>(
        `${a.base}/api/series?host=${host}&metric=${METRIC}&from=${from}&to=${to}&source=local`,
      );
      const want = local.series.reduce((n, s) => n + s.points.filter((p) => p[1] !== null).length, 0);
      await until(
        async () =>
          (await rawSamples(vm.base, `tidemark_${METRIC}{host="${host}"}`, 600)).reduce(
            (n, s) => n + s.values.length,
            0,
          ) === want,
        30_000,
        `VictoriaMetrics holds every sample of ${host}`,
      );
    }
    const sb = await serverProcess({ args: ['--history-url', vm.base] });
    running.push(await sb.start());
    b = sb;
  }, 120_000);

  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
    await vm?.stop();
  });

  it("B answers /api/series for A's hosts from the store, value for value as A stored them", async () => {
    for (const host of HOSTS) {
      const mine = await getJson<SeriesAnswer>(
        `${a.base}/api/series?host=${host}&metric=${METRIC}&from=${from}&to=${to}`,
      );
      const theirs = await getJson<SeriesAnswer>(
        `${b.base}/api/series?host=${host}&metric=${METRIC}&from=${from}&to=${to}`,
      );
      expect(mine.source).toEqual({ kind: 'local', name: 'this server' });
      expect(theirs.source).toEqual({ kind: 'remote', name: `shared store ${new URL(vm.base).host}` });
      // ~2000 points per range in whole seconds, at least one: a range under 2000 s is read at 1 s.
      expect(theirs.resolutionMs).toBe(1000);
      expect(theirs.series.map((s) => key(s.labels)).sort()).toEqual(mine.series.map((s) => key(s.labels)).sort());
      let compared = 0;
      for (const s of theirs.series) {
        const raw = mine.series.find((m) => key(m.labels) === key(s.labels))!.points.filter((p) => p[1] !== null);
        for (const [t, v] of s.points) {
          // A query_range point is the newest raw sample at or before its time (Prometheus' instant-vector rule).
          const before = raw.filter((p) => p[0] <= t);
          if (!before.length || v === null) continue;
          expect(v).toBeCloseTo(before.at(-1)![1]!, 9);
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(10);
    }
  });

  it('reads an hour at a 2 s step, keeps the live view local, and says what is wrong when the store is away', async () => {
    const now = Date.now();
    const hour = await getJson<SeriesAnswer>(
      `${b.base}/api/series?host=hist-1&metric=${METRIC}&from=${now - 3_600_000}&to=${now}`,
    );
    // 3600 s / 2000 points = 1.8 s, rounded up to whole seconds.
    expect(hour.resolutionMs).toBe(2000);
    expect(hour.series.length).toBeGreaterThan(0);
    for (const s of hour.series) expect(s.points.length).toBeLessThanOrEqual(1801);
    // The host exists for B through the store; its live data does not (B has no agent of its own).
    expect((await getJson<{ connected: boolean }>(`${b.base}/api/hosts/hist-1`)).connected).toBe(false);
    expect((await fetch(`${b.base}/api/hosts/no-such-host`)).status).toBe(404);
    expect((await fetch(`${b.base}/api/series?host=hist-1&metric=${METRIC}&source=local`)).status).toBe(404);
    expect((await fetch(`${b.base}/api/series?host=hist-1&metric=${METRIC}&source=elsewhere`)).status).toBe(400);
    expect((await fetch(`${b.base}/api/series?host=hist-1&metric=${METRIC}&bad-label=x`)).status).toBe(400);

    const dead = await freePort();
    const sc = await serverProcess({ args: ['--history-url', `http://127.0.0.1:${dead}`] });
    const c = await sc.start();
    running.push(c);
    const res = await fetch(`${sc.base}/api/series?host=hist-1&metric=${METRIC}`);
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(new RegExp(`shared store 127\\.0\\.0\\.1:${dead} cannot be reached`));
    expect((await getJson<{ status: string }>(`${sc.base}/healthz`)).status).toBe('ok'); // and keeps serving
  });

  it("B's dashboard shows A's host's last hour from the shared store, and says so", async () => {
    let browser: Browser | null = null;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const now = Date.now();
      await page.goto(`${b.base}/?host=hist-1&from=${now - 3_600_000}&to=${now}`);
      await page.waitForSelector('#host-view[data-loaded]');
      const figures = page.locator('figure.chart[data-source="remote"]');
      await until(async () => (await figures.count()) > 0, 15_000, 'charts from the shared store');
      const cpu = page.locator('figure.chart[data-metric="cpu"]');
      expect(await cpu.getAttribute('data-source')).toBe('remote');
      expect(Number(await cpu.getAttribute('data-points'))).toBeGreaterThan(10);
      const note = cpu.locator('.chart-source');
      expect(await note.textContent()).toBe('history: shared store');
      expect(await note.getAttribute('title')).toBe(`history from shared store ${new URL(vm.base).host}`);
      expect(await note.isVisible()).toBe(true);
      expect(await page.locator('figure.chart[data-source="local"]').count()).toBe(0);
    } finally {
      await browser?.close();
    }
  }, 60_000);
});
