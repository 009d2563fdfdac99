import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TidemarkServer } from '../../server/server.js';
import { silentLogger } from '../../shared/log.js';
import type { ServerToDashboard } from '../../shared/protocol.js';
import type { HostTile } from '../../shared/overview.js';
import { until } from '../helpers/process.js';
import { startFleet } from '../helpers/scripted-fleet.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('the overview API and push', () => {
  it('serves tiles worst first and pushes the tile that changed when an agent leaves', async () => {
    const server = new TidemarkServer({
      host: '127.0.0.1',
      port: 0,
      agentToken: 'a',
      apiToken: null,
      log: silentLogger,
    });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const ok = startFleet(`ws://127.0.0.1:${port}`, 'a', [{ id: 'db-ok', trouble: null }]);
    const sat = startFleet(`ws://127.0.0.1:${port}`, 'a', [{ id: 'db-sat', trouble: 'saturated' }]);
    cleanup.push(() => ok.stop());
    const base = `http://127.0.0.1:${port}`;
    const tiles = async () => ((await (await fetch(`${base}/api/overview`)).json()) as { tiles: HostTile[] }).tiles;
    await until(async () => (await tiles()).length === 2 && (await tiles())[0]!.health === 'bad', 10_000, 'two tiles');
    const [first, second] = await tiles();
    expect([first!.id, first!.reason, second!.id, second!.health]).toEqual([
      'db-sat',
      'disk sdb saturated (queue 97, 100 % util)',
      'db-ok',
      'ok',
    ]);
    // The overview carries no states: a tile is a few hundred bytes.
    expect(JSON.stringify(first).length).toBeLessThan(1000);
    expect(first).not.toHaveProperty('states');

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
    cleanup.push(() => Promise.resolve(ws.close()));
    const frames: Extract<ServerToDashboard, { type: 'overview' }>[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse((d as Buffer).toString('utf8')) as ServerToDashboard;
      if (m.type === 'overview') frames.push(m);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', hosts: [], overview: true }));
    await until(() => frames[0], 5000, 'the full overview');
    expect(frames[0]!.partial).toBe(false);
    expect(frames[0]!.tiles.map((t) => t.id)).toEqual(['db-sat', 'db-ok']);
    await sat.stop();
    const gone = await until(
      () => frames.find((f) => f.partial && f.tiles.some((t) => t.id === 'db-sat' && !t.connected)),
      10_000,
      'a push for the host that left',
    );
    expect(gone.tiles.find((t) => t.id === 'db-sat')!.reason).toMatch(/^agent disconnected \d+ s ago/);
    // Only changed tiles travel: every tile in a push differs from the one before it (lastSeen aside).
    const latest = new Map<string, string>();
    const key = (t: HostTile) => JSON.stringify({ ...t, lastSeen: null });
    for (const f of frames)
      for (const t of f.tiles) {
        if (f.partial) expect(key(t), t.id).not.toBe(latest.get(t.id));
        latest.set(t.id, key(t));
      }
  });
});
