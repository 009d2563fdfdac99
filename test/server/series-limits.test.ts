import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LimitedLog } from '../../shared/log-limit.js';
import { createLogger } from '../../shared/log.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';

interface Reply {
  type: string;
  seq?: number;
  code?: string;
  message?: string;
}

async function agent(port: number, id: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  const replies: Reply[] = [];
  ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString()) as Reply));
  await new Promise((r) => ws.once('open', r));
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocol: 1,
      agentId: id,
      session: 's',
      hostname: id,
      agentVersion: 't',
      inventory: null,
    }),
  );
  let seq = 0;
  const t0 = Date.now() - 60_000;
  return {
    replies,
    /** A batch with disk_util_percent for devices d<from>..d<to-1>, each valued by its device number. */
    send(from: number, to: number): number {
      seq++;
      const samples = [];
      for (let i = from; i < to; i++) samples.push({ m: 'disk_util_percent', l: { device: `d${i}` }, v: i });
      ws.send(JSON.stringify({ type: 'batch', seq, ts: t0 + seq * 1000, samples }));
      return seq;
    },
    acked: (s: number) => replies.some((r) => r.type === 'ack' && r.seq! >= s),
    close: () => ws.close(),
  };
}

describe('series limits', () => {
  it('refuses new series past the per-agent and server-wide limits, naming the limit; existing series flow on', async () => {
    const { server, port } = await startLoopbackServer({ alerts: null, seriesLimits: { perAgent: 50, total: 120 } });
    const store = server.store;

    // A flood: one agent names 80 series in one batch. The first 50 are stored, the batch is acknowledged.
    const a = await agent(port, 'flood');
    const s1 = a.send(0, 80);
    await until(() => a.acked(s1), 5000, 'ack');
    expect(store.seriesCount('flood')).toBe(50);
    const err = a.replies.find((r) => r.type === 'error')!;
    expect(err.code).toBe('series_limit');
    expect(err.message).toMatch(/per agent.*50 series \(maxSeriesPerAgent\)/);

    // Existing series keep flowing; new ones stay refused.
    const s2 = a.send(0, 80);
    await until(() => a.acked(s2), 5000, 'ack');
    expect(store.seriesCount('flood')).toBe(50);
    const points = store.query({
      host: 'flood',
      metric: 'disk_util_percent',
      labels: { device: 'd49' },
      from: 0,
      to: Date.now(),
    });
    expect(points[0]!.points.map(([, v]) => v)).toEqual([49, 49]);
    expect(
      store.query({ host: 'flood', metric: 'disk_util_percent', labels: { device: 'd50' }, from: 0, to: Date.now() }),
    ).toEqual([]);

    // Server-wide: two more agents reach 120 in total; the rest is refused with the server-wide reason.
    const b = await agent(port, 'b');
    const sb = b.send(0, 50);
    await until(() => b.acked(sb), 5000, 'ack b');
    const c = await agent(port, 'c');
    const sc = c.send(0, 50);
    await until(() => c.acked(sc), 5000, 'ack c');
    expect(store.seriesCount()).toBe(120);
    expect(store.seriesCount('c')).toBe(20);
    expect(c.replies.find((r) => r.type === 'error')?.message).toMatch(
      /server-wide series limit reached: 120 series \(maxSeries\)/,
    );

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // 30 refused in the first batch and 30 again in the second (protocol 1 names every series each batch).
    expect(metrics).toContain('tidemark_server_series_refused_total{limit="max_series_per_agent"} 60');
    expect(metrics).toContain('tidemark_server_series_refused_total{limit="max_series"} 30');
    expect(metrics).toContain('tidemark_server_series 120');
    for (const x of [a, b, c]) x.close();
  });
});

describe('rate-limited log lines', () => {
  it('writes at most 10 lines a minute per kind and then says how many it held back', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new LimitedLog(
      createLogger('info', 't', (l) => lines.push(l)),
      10,
      60_000,
      () => now,
    );
    for (let i = 0; i < 412_000; i++) log.warn('bad frame', 'bad frame from agent', { i });
    expect(lines).toHaveLength(10);
    expect(lines[9]).toContain('further lines like this are held back');
    expect(log.suppressed).toBe(412_000 - 10);
    now = 60_000;
    log.warn('bad frame', 'bad frame from agent', { i: -1 });
    expect(lines[10]).toContain(`heldBack=${412_000 - 10}`);
    // Another kind has its own allowance.
    log.warn('other', 'other thing');
    expect(lines).toHaveLength(12);
  });
});
