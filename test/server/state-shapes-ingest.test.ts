import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import type { HostSummary } from '../../shared/protocol.js';
import type { HostTile } from '../../shared/overview.js';
import { binaryBatch } from '../helpers/binary-frames.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';

interface Reply {
  type: string;
  seq?: number;
  code?: string;
  message?: string;
}

/** A protocol-2 or -3 agent by hand: one series (disk_util_percent of sda), batches with the states given. */
async function agent(port: number, protocol: 2 | 3) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  onTestFinished(() => ws.close());
  const replies: Reply[] = [];
  ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString()) as Reply));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocol,
      agentId: 'db1',
      session: 's1',
      hostname: 'db1',
      agentVersion: 'test',
      inventory: null,
      series: [['disk_util_percent', { device: 'sda' }]],
    }),
  );
  await until(() => replies.some((r) => r.type === 'welcome'), 5000, 'the welcome');
  const acked = () => Math.max(0, ...replies.filter((r) => r.type === 'ack').map((r) => r.seq!));
  return {
    replies,
    /** Sends batch `seq` (value `seq`, stamped now) with these states of kind logpaths, and waits for its ack. */
    async batch(seq: number, states: { key: string; value: unknown }[]): Promise<void> {
      const extras = { stateKinds: ['logpaths'], states: states.map((s) => ({ kind: 'logpaths', ...s })) };
      const value = Buffer.alloc(8);
      value.writeDoubleLE(seq);
      if (protocol === 3) {
        const frame = binaryBatch(seq, [seq], JSON.stringify(extras));
        frame.writeDoubleLE(Date.now(), 16);
        ws.send(frame);
      } else ws.send(JSON.stringify({ type: 'batch', seq, ts: Date.now(), v: value.toString('base64'), ...extras }));
      await until(() => acked() >= seq, 5000, `the ack of batch ${seq}`);
    },
  };
}

const getJson = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as T };
};

const good = {
  check: 'logrotate',
  file: '/etc/logrotate.conf',
  ok: false,
  counts: { error: 1, warning: 0, info: 0 },
  findings: [],
  checkedAt: 1,
};
// Last session's review: a log-path check without counts made the health verdicts throw.
const { counts: _counts, ...withoutCounts } = good;
const mongodConfig = {
  ...good,
  check: 'mongod-config',
  file: null,
  ok: true,
  counts: { error: 0, warning: 0, info: 0 },
};

describe.each([2, 3] as const)("a state not in its kind's shape, protocol %i", (protocol) => {
  it('is set aside: samples stored and acked, the host names it, the agent is told once, the overview answers', async () => {
    const { server, port, base } = await startLoopbackServer();
    const a = await agent(port, protocol);
    await a.batch(1, [
      { key: 'logrotate', value: good },
      { key: 'mongod-config', value: mongodConfig },
    ]);
    await a.batch(2, [
      { key: 'logrotate', value: withoutCounts },
      { key: 'mongod-config', value: mongodConfig },
    ]);
    await a.batch(3, [
      { key: 'logrotate', value: withoutCounts },
      { key: 'mongod-config', value: { ...mongodConfig, checkedAt: 3 } },
    ]);

    // Told once, in the code every agent version knows; nothing refused.
    expect(a.replies.filter((r) => r.type === 'error')).toEqual([
      {
        type: 'error',
        code: 'bad_frame',
        message:
          'batch 2 stored, but state logpaths/logrotate set aside: counts must be an object; ' +
          'its key keeps its last good value, if it had one (said once per connection)',
      },
    ]);
    // Every batch's sample is stored.
    const series = await getJson<{ series: { points: [number, number][] }[] }>(
      `${base}/api/series?host=db1&metric=disk_util_percent&from=now-1h&source=local`,
    );
    expect(series.body.series[0]!.points.map((p) => p[1])).toEqual([1, 2, 3]);

    // The host keeps the key's last good value, takes the good state beside it, and names what was set aside.
    const host = (await getJson<HostSummary[]>(`${base}/api/hosts`)).body.find((h) => h.id === 'db1')!;
    expect(host.states.logpaths).toEqual({ logrotate: good, 'mongod-config': { ...mongodConfig, checkedAt: 3 } });
    expect(host.stateProblems).toEqual([{ kind: 'logpaths', key: 'logrotate', problem: 'counts must be an object' }]);
    expect(host.stats.badFrames).toBe(0);

    const overview = await getJson<{ tiles: HostTile[] }>(`${base}/api/overview`);
    expect(overview.status).toBe(200);
    expect(overview.body.tiles.find((t) => t.id === 'db1')!.reasons).toEqual([
      { health: 'bad', text: 'log paths: 1 error (logrotate)' },
      {
        health: 'warn',
        text: 'state logpaths/logrotate not understood (counts must be an object); its last good value is shown',
      },
    ]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('tidemark_server_states_set_aside_total 2\n');

    // A good state again: the reason goes, the value is current.
    await a.batch(4, [{ key: 'logrotate', value: { ...good, ok: true, counts: { error: 0, warning: 0, info: 0 } } }]);
    const after = server.hosts.get('db1')!;
    expect(after.stateProblems).toBeUndefined();
    expect(after.states.logpaths!.logrotate!.ok).toBe(true);
    expect((await getJson<{ tiles: HostTile[] }>(`${base}/api/overview`)).body.tiles[0]!.reasons).toEqual([]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('with no earlier value, leaves the key absent and says so', async () => {
    const { port, base } = await startLoopbackServer();
    const a = await agent(port, protocol);
    await a.batch(1, [{ key: 'logrotate', value: withoutCounts }]);
    const host = (await getJson<HostSummary[]>(`${base}/api/hosts`)).body[0]!;
    expect(host.states.logpaths).toEqual({});
    const overview = await getJson<{ tiles: HostTile[] }>(`${base}/api/overview`);
    expect(overview.body.tiles[0]!.reasons).toEqual([
      { health: 'warn', text: 'state logpaths/logrotate not understood (counts must be an object); no earlier value' },
    ]);
  });
});
