import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TidemarkServer } from '../../server/server.js';
import { silentLogger } from '../../shared/log.js';
import type { HostSummary, ServerToDashboard } from '../../shared/protocol.js';
import type { HostTile, OverviewFrame } from '../../shared/overview.js';
import { until } from '../helpers/process.js';
import { startFleet, type ScriptedHost } from '../helpers/scripted-fleet.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const HOSTS = 60;
const FLEET: ScriptedHost[] = [
  { id: 'db-raid', trouble: 'degraded' },
  ...Array.from({ length: HOSTS - 2 }, (_, i) => ({ id: `db-${String(i).padStart(3, '0')}`, trouble: null })),
];

/** A dashboard socket that keeps every frame it receives, as text and parsed. */
function dashboard(url: string) {
  const ws = new WebSocket(url);
  const texts: string[] = [];
  const frames: ServerToDashboard[] = [];
  ws.on('message', (d) => {
    const text = (d as Buffer).toString('utf8');
    texts.push(text);
    frames.push(JSON.parse(text) as ServerToDashboard);
  });
  cleanup.push(() => Promise.resolve(ws.close()));
  const opened = new Promise((r) => ws.once('open', r));
  const hostFrames = () => frames.filter((f): f is Extract<ServerToDashboard, { type: 'hosts' }> => f.type === 'hosts');
  return { ws, texts, frames, opened, hostFrames };
}

describe('a dashboard socket with scope=subscribed', () => {
  it('gets summaries, not states, until it subscribes to a host; then that host’s states only', async () => {
    const server = new TidemarkServer({
      host: '127.0.0.1',
      port: 0,
      agentToken: 'a',
      apiToken: null,
      log: silentLogger,
    });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const fleet = startFleet(`ws://127.0.0.1:${port}`, 'a', FLEET);
    cleanup.push(() => fleet.stop());
    const leaving = startFleet(`ws://127.0.0.1:${port}`, 'a', [{ id: 'db-leaving', trouble: null }]);
    const overview = async () =>
      ((await (await fetch(`http://127.0.0.1:${port}/api/overview`)).json()) as { tiles: HostTile[] }).tiles;
    await until(async () => (await overview()).length === HOSTS, 15_000, 'every host on the server');
    await until(async () => (await overview()).find((t) => t.id === 'db-raid')?.health === 'bad', 10_000, 'states in');

    // The default scope (older clients) still gets every host with its states: the server has them to send.
    const fleetWide = dashboard(`ws://127.0.0.1:${port}/ws/dashboard`);
    const scoped = dashboard(`ws://127.0.0.1:${port}/ws/dashboard?scope=subscribed`);
    await Promise.all([fleetWide.opened, scoped.opened]);
    const list = await until(() => fleetWide.hostFrames()[0], 5000, 'the full host list');
    expect(list.hosts).toHaveLength(HOSTS);
    expect(list.hosts.find((h) => h.id === 'db-raid')!.states.raid_array?.md0).toBeDefined();

    scoped.ws.send(JSON.stringify({ type: 'subscribe', hosts: [], overview: true }));
    const isOverview = (f: ServerToDashboard): f is OverviewFrame => f.type === 'overview';
    const full = await until(() => scoped.frames.filter(isOverview).find((f) => !f.partial), 5000, 'the tiles');
    expect(full.tiles).toHaveLength(HOSTS);
    expect(full.tiles.find((t) => t.id === 'db-raid')).toMatchObject({
      health: 'bad',
      reason: expect.stringMatching(/^md0 degraded/),
    });
    // A host leaving changes the host list (the fleet-wide socket hears of it) and its tile (pushed to the overview).
    await leaving.stop();
    await until(
      () => fleetWide.hostFrames().some((f) => f.partial && f.hosts.some((h) => h.id === 'db-leaving' && !h.connected)),
      5000,
      'the fleet-wide push of the host that left',
    );
    await until(
      () => scoped.frames.filter(isOverview).some((f) => f.partial && f.tiles.some((t) => t.id === 'db-leaving')),
      10_000,
      'the tile of the host that left',
    );
    expect(scoped.hostFrames()).toEqual([]);
    expect(scoped.texts.some((t) => t.includes('"states"'))).toBe(false);

    // Opening a host: its summary with states arrives, and its samples; nobody else's states.
    scoped.ws.send(JSON.stringify({ type: 'subscribe', hosts: ['db-raid'], overview: false }));
    const opened = await until(() => scoped.hostFrames()[0], 5000, 'the opened host’s summary');
    expect(opened.hosts.map((h: HostSummary) => h.id)).toEqual(['db-raid']);
    const md0 = opened.hosts[0]!.states.raid_array?.md0 as { degraded: boolean; disks: { missing: number } };
    expect([md0.degraded, md0.disks.missing]).toEqual([true, 1]);
    await until(
      () => scoped.frames.some((f) => f.type === 'samples' && f.host === 'db-raid'),
      5000,
      'the host’s samples',
    );
    expect(new Set(scoped.hostFrames().flatMap((f) => f.hosts.map((h) => h.id)))).toEqual(new Set(['db-raid']));
  });

  it('refuses a subscription past the 1 000-host bound with a clear error and sends no states', async () => {
    const server = new TidemarkServer({
      host: '127.0.0.1',
      port: 0,
      agentToken: 'a',
      apiToken: null,
      log: silentLogger,
    });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const fleet = startFleet(`ws://127.0.0.1:${port}`, 'a', [{ id: 'db-raid', trouble: 'degraded' }]);
    cleanup.push(() => fleet.stop());
    await until(() => server.hosts.get('db-raid'), 10_000, 'the host');
    const scoped = dashboard(`ws://127.0.0.1:${port}/ws/dashboard?scope=subscribed`);
    await scoped.opened;
    const tooMany = ['db-raid', ...Array.from({ length: 1000 }, (_, i) => `h${i}`)];
    scoped.ws.send(JSON.stringify({ type: 'subscribe', hosts: tooMany }));
    const error = await until(() => scoped.frames.find((f) => f.type === 'error'), 5000, 'the error');
    expect(error).toMatchObject({ type: 'error', code: 'bad_frame', message: expect.stringMatching(/^hosts/) });
    // The socket still serves: a subscription within the bound gets the host's states.
    scoped.ws.send(JSON.stringify({ type: 'subscribe', hosts: ['db-raid'] }));
    const opened = await until(() => scoped.hostFrames()[0], 5000, 'the host after the refusal');
    expect(opened.hosts.map((h) => h.id)).toEqual(['db-raid']);
  });
});
