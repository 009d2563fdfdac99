import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../shared/protocol.js';
import { getJson, runCli, serverProcess, until } from '../../helpers/process.js';
import { rawSamples, startPrometheus, startVictoriaMetrics } from '../../helpers/tsdb.js';

interface Health {
  remoteWrite: { targets: { name: string; pending: number; sent: number; failed: number; dropped: number }[] } | null;
}
interface SeriesAnswer {
  series: { metric: string; labels: Record<string, string>; points: [number, number | null][] }[];
}

/** A series' identity as a remote store names it: `__name__`, host and the series' labels, sorted. */
const key = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Every series of every host as /api/series returns it: key → [ms, value] of the points that have a value. */
async function fromTidemark(base: string, from: number): Promise<Map<string, [number, number][]>> {
  const hosts = await getJson<HostSummary[]>(`${base}/api/hosts`);
  const catalogue = await getJson<{ name: string }[]>(`${base}/api/catalogue`);
  const out = new Map<string, [number, number][]>();
  for (const h of hosts) {
    for (const m of catalogue) {
      const ans = await getJson<SeriesAnswer>(
        `${base}/api/series?host=${h.id}&metric=${m.name}&from=${from}&to=${Date.now()}`,
      );
      for (const s of ans.series) {
        const points = s.points.filter((p): p is [number, number] => p[1] !== null);
        if (points.length) out.set(key({ __name__: `tidemark_${s.metric}`, host: h.id, ...s.labels }), points);
      }
    }
  }
  return out;
}

/** Every tidemark_* series in a remote store through PromQL (range selector: raw samples). */
async function fromPromQL(base: string, rangeSeconds: number): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  for (const s of await rawSamples(base, '{__name__=~"tidemark_.+"}', rangeSeconds)) {
    out.set(
      key(s.metric),
      s.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]),
    );
  }
  return out;
}

/** Every tidemark_* series in VictoriaMetrics as stored, duplicates included (its export API). */
async function fromVmExport(base: string): Promise<Map<string, [number, number][]>> {
  const url = new URL('/api/v1/export', base);
  url.searchParams.set('match[]', '{__name__=~"tidemark_.+"}');
  const text = await (await fetch(url)).text();
  const out = new Map<string, [number, number][]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const s = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const pairs = s.timestamps.map((t, i): [number, number] => [t, s.values[i]!]).sort((a, b) => a[0] - b[0]);
    const k = key(s.metric);
    out.set(
      k,
      [...(out.get(k) ?? []), ...pairs].sort((a, b) => a[0] - b[0]),
    );
  }
  return out;
}

/** Waits until every target has sent everything queued. */
async function drained(base: string, targets: number, timeoutMs = 30_000): Promise<Health> {
  return until(
    async () => {
      const h = await getJson<Health>(`${base}/healthz`);
      const t = h.remoteWrite?.targets ?? [];
      return t.length === targets && t.every((x) => x.pending === 0 && x.sent > 0) ? h : null;
    },
    timeoutMs,
    'remote write drained',
  );
}

/**
 * What a remote store answers once it has made everything it acknowledged searchable: VictoriaMetrics and
 * Prometheus buffer the newest samples for a second or two after answering the write. Waits (up to a deadline)
 * until every local series has as many points there, then returns the answer; on timeout the last answer, so the
 * comparison below shows what is missing.
 */
async function settled(
  read: () => Promise<Map<string, [number, number][]>>,
  local: Map<string, [number, number][]>,
): Promise<Map<string, [number, number][]>> {
  let last = new Map<string, [number, number][]>();
  const complete = async () => {
    last = await read();
    return [...local].every(([k, points]) => (last.get(k)?.length ?? 0) >= points.length);
  };
  await until(complete, 15_000, 'the remote store to show every sample').catch(() => undefined);
  return last;
}

/**
 * Same series, same timestamps, same values: exactly for Prometheus (float64
 * throughout); VictoriaMetrics keeps 12 significant decimal digits (its
 * documented storage precision), so its values are compared to that.
 */
function expectSame(
  remote: Map<string, [number, number][]>,
  local: Map<string, [number, number][]>,
  digits: number | null = null,
) {
  expect([...remote.keys()].sort()).toEqual([...local.keys()].sort());
  // 12 significant digits: within one unit of the 12th digit, whichever way the store cut it.
  const tolerance = digits === null ? 0 : 10 ** (1 - digits);
  for (const [k, points] of local) {
    const got = remote.get(k)!;
    expect(
      got.map((p) => p[0]),
      k,
    ).toEqual(points.map((p) => p[0]));
    const off = got.filter((p, i) => Math.abs(p[1] - points[i]![1]) > tolerance * Math.abs(points[i]![1]));
    expect(off, k).toEqual([]);
  }
}

describe('remote write into real VictoriaMetrics and Prometheus', () => {
  const running: { stop: () => Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
  });

  it('after agents stream, PromQL returns every series with the values of /api/series, sample by sample', async () => {
    const vm = await startVictoriaMetrics();
    running.push(vm);
    const prom = await startPrometheus();
    running.push(prom);
    const started = Date.now() - 1000;
    const { base, port, start } = await serverProcess({
      args: ['--remote-write', `${vm.base}/api/v1/write`, '--remote-write', `${prom.base}/api/v1/write`],
    });
    const server = await start();
    running.push(server);
    const sim = runCli(['simulate', '--agents', '3', '--server', `ws://127.0.0.1:${port}`, '--duration', '20'], {
      TIDEMARK_TOKEN: 't',
    });
    running.push(sim);
    await until(() => sim.proc.exitCode !== null, 40_000, 'the simulation to end');
    const health = await drained(base, 2);
    const local = await fromTidemark(base, started);
    const samples = [...local.values()].reduce((n, p) => n + p.length, 0);
    // 3 hosts × ~100 series × ~20 s
    expect(samples).toBeGreaterThan(3 * 90 * 15);
    for (const t of health.remoteWrite!.targets) {
      expect(t.sent).toBe(samples);
      expect(t.failed + t.dropped).toBe(0);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const line = (name: string, target: string) =>
      Number(new RegExp(`^tidemark_${name}\\{target="${target}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    for (const target of [`${vm.base}/api/v1/write`, `${prom.base}/api/v1/write`]) {
      expect(line('remote_write_sent_samples_total', target)).toBe(samples);
      expect(line('remote_write_pending_samples', target)).toBe(0);
      expect(line('remote_write_dropped_samples_total', target)).toBe(0);
    }
    expectSame(await settled(() => fromVmExport(vm.base), local), local, 12);
    expectSame(await settled(() => fromPromQL(vm.base, 600), local), local, 12);
    expectSame(await settled(() => fromPromQL(prom.base, 600), local), local);
  }, 120_000);

  it('the store down and Tidemark restarted meanwhile: afterwards every sample is there once, no gap', async () => {
    const vm = await startVictoriaMetrics();
    running.push(vm);
    const started = Date.now() - 1000;
    const { base, port, start } = await serverProcess({ args: ['--remote-write', `${vm.base}/api/v1/write`] });
    let server = await start();
    running.push({ stop: () => server.stop() });
    const sim = runCli(['simulate', '--agents', '2', '--server', `ws://127.0.0.1:${port}`, '--duration', '32'], {
      TIDEMARK_TOKEN: 't',
    });
    running.push(sim);
    await drained(base, 1);
    await new Promise((r) => setTimeout(r, 4000)); // the scenario: 4 s of history reach the store before its outage
    await vm.stop();
    // While the store is down, samples pile up in the queue (and the sender retries).
    await until(
      async () => {
        const t = (await getJson<Health>(`${base}/healthz`)).remoteWrite!.targets[0]!;
        return t.pending > 2 * 90 * 4;
      },
      15_000,
      'samples queued during the outage',
    );
    await server.stop();
    await new Promise((r) => setTimeout(r, 3000)); // the scenario: Tidemark stays down 3 s
    server = await start();
    await new Promise((r) => setTimeout(r, 5000)); // the scenario: the store stays down 5 s after the restart
    await vm.start();
    await until(() => sim.proc.exitCode !== null, 40_000, 'the simulation to end');
    const health = await drained(base, 1, 60_000);
    expect(health.remoteWrite!.targets[0]!.failed + health.remoteWrite!.targets[0]!.dropped).toBe(0);
    const local = await fromTidemark(base, started);
    // The window spans the outage and the restart: ~32 s of 2 hosts with no hole wider than the agents' 1 s interval.
    for (const [k, points] of local) {
      if (!k.includes('disk_util_percent')) continue;
      const gaps = points.slice(1).map((p, i) => p[0] - points[i]![0]);
      expect(Math.max(...gaps), k).toBeLessThan(1500);
      expect(points.at(-1)![0] - points[0]![0]).toBeGreaterThan(25_000);
    }
    expectSame(await settled(() => fromVmExport(vm.base), local), local, 12);
  }, 150_000);
});
