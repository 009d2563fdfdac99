import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli, serverProcess, until, type Running } from '../helpers/process.js';

const running: Running[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) / 1024;
}

async function metric(base: string, line: string): Promise<number> {
  // A fresh connection per scrape: hundreds of sockets being torn down around it make a pooled one a poor bet.
  const text = await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text();
  const found = text.split('\n').find((x) => x.startsWith(line + ' '));
  return found ? Number(found.slice(line.length + 1)) : NaN;
}

/** The documented bound (README, Bounded resources): the dashboards' allowance is 64 MiB in all. */
const RSS_BOUND_MIB = 400;

describe('300 dashboards that never read', () => {
  it('are dropped before they cost more than their allowance; server RSS stays bounded; a reading one keeps its data', async () => {
    const srv = await serverProcess({ args: ['--store', 'memory'] });
    const server = await srv.start();
    running.push(server);
    const sim = runCli(
      [
        'simulate',
        '--agents',
        '10',
        '--server',
        `ws://127.0.0.1:${srv.port}`,
        '--interval-ms',
        '200',
        '--duration',
        '120',
      ],
      { TIDEMARK_TOKEN: 't' },
    );
    running.push(sim);
    const hosts = Array.from({ length: 10 }, (_, i) => `sim-${String(i).padStart(5, '0')}`);
    await until(
      async () =>
        ((await (await fetch(`${srv.base}/healthz`)).json()) as { agentsConnected: number }).agentsConnected === 10,
      20_000,
      '10 simulated hosts',
    );
    const baseline = rssMiB(server.proc.pid!);

    const subscribe = JSON.stringify({ type: 'subscribe', hosts });
    const open = (read: boolean) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws/dashboard`);
        clients.push(ws);
        ws.once('error', reject);
        ws.once('open', () => {
          ws.send(subscribe);
          if (!read) ws.pause(); // the TCP socket stops being read: the server's sends pile up
          resolve(ws);
        });
      });
    const reader = await open(true);
    let received = 0;
    reader.on('message', () => received++);
    for (let i = 0; i < 300; i++) {
      await open(false);
    }

    let maxRss = 0;
    const deadline = Date.now() + 30_000;
    let dropped = 0;
    while (Date.now() < deadline) {
      maxRss = Math.max(maxRss, rssMiB(server.proc.pid!));
      dropped = await metric(srv.base, 'tidemark_server_dashboards_dropped_total');
      if (dropped >= 300) break;
      await new Promise((r) => setTimeout(r, 250)); // the sampling step of the RSS watch, up to its deadline
    }
    const before = received;
    await until(() => received > before + 20, 10_000, 'the reading dashboard to keep receiving');
    console.log(`baseline ${baseline.toFixed(0)} MiB, max ${maxRss.toFixed(0)} MiB, dropped ${dropped}`);
    expect(dropped).toBeGreaterThan(0);
    expect(maxRss).toBeLessThan(RSS_BOUND_MIB);
    expect(server.proc.exitCode).toBeNull();
  }, 120_000);
});
