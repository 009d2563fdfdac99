/**
 * Hostile values inside frames that are otherwise valid: nesting, prototype
 * keys, unknown metrics and timestamps far from the server's clock. Each is
 * refused with an error to its sender; the server keeps serving, and another
 * agent's data and every dashboard carry on.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AgentTransport } from '../../agent/transport.js';
import { createLogger } from '../../shared/log.js';
import { STATE_VALUE_LIMITS, jsonLimitProblem } from '../../shared/json-limits.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';
import { HOSTILE_FRAMES } from '../helpers/hostile-frames.js';

type Reply = { type: string; code?: string; message?: string; seq?: number };

const start = () => startLoopbackServer();

async function agent(port: number, id: string, inventory: unknown = null) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  const replies: Reply[] = [];
  ws.on('message', (d) => replies.push(JSON.parse((d as Buffer).toString()) as Reply));
  await new Promise((r) => ws.once('open', r));
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocol: 1,
      agentId: id,
      session: 's1',
      hostname: id,
      agentVersion: 't',
      inventory,
    }),
  );
  await until(() => replies.length > 0, 5000, `${id}'s answer to hello`);
  return { ws, replies };
}

/** `{"a":{"a":…{"a":1}…}}` nested n deep, as text (building it as an object would already need the stack). */
const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const batchText = (seq: number, extra: string, ts = Date.now()) =>
  `{"type":"batch","seq":${seq},"ts":${ts},"samples":[{"m":"disk_util_percent","l":{"device":"sda"},"v":${seq}}]${extra}}`;

async function dashboard(port: number, host: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
  const got: { type: string; host?: string }[] = [];
  ws.on('message', (d) => got.push(JSON.parse((d as Buffer).toString()) as { type: string }));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'subscribe', hosts: [host] }));
  return { ws, got };
}

describe('hostile values inside valid frames', () => {
  it('refuses a state nested 5 000 deep; another agent and the dashboards carry on', async () => {
    const { server, port, base } = await start();
    const good = await agent(port, 'good');
    const dash = await dashboard(port, 'good');
    const bad = await agent(port, 'bad');
    bad.ws.send(
      batchText(1, `,"stateKinds":["raid_array"],"states":[{"kind":"raid_array","key":"md0","value":${nested(5000)}}]`),
    );
    await until(() => bad.replies.length >= 2, 5000, 'the refusal');
    expect(bad.replies[1]).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect(bad.replies[1]!.message).toMatch(/^states\.0\.value.*nested deeper than 8 levels/);
    expect(server.hosts.get('bad')!.states.raid_array).toBeUndefined();

    // The same nesting in a hello's inventory: refused, and the next dashboard still gets the host list.
    const bad2 = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
    const replies2: Reply[] = [];
    bad2.on('message', (d) => replies2.push(JSON.parse((d as Buffer).toString()) as Reply));
    await new Promise((r) => bad2.once('open', r));
    bad2.send(
      `{"type":"hello","protocol":1,"agentId":"bad2","session":"s","hostname":"h","agentVersion":"t","inventory":${nested(5000)}}`,
    );
    await until(() => replies2.length >= 1, 5000, 'the refusal of the hello');
    expect(replies2[0]).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect(replies2[0]!.message).toMatch(/^inventory.*nested deeper/);
    const late = await dashboard(port, 'good');
    await until(() => late.got.some((m) => m.type === 'hosts'), 5000, 'the host list for a new dashboard');

    // The good agent's batches still reach store and dashboards, after the hostile frames.
    good.ws.send(batchText(1, ''));
    await until(() => dash.got.some((m) => m.type === 'samples' && m.host === 'good'), 5000, 'a push');
    await until(() => late.got.some((m) => m.type === 'samples' && m.host === 'good'), 5000, 'a push to the new one');
    expect((await fetch(`${base}/api/hosts`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const c of [good.ws, bad.ws, bad2, dash.ws, late.ws]) c.close();
  });

  it('refuses prototype keys as kinds, keys, labels and inside values, without touching Object.prototype', async () => {
    const { server, port } = await start();
    const bad = await agent(port, 'bad');
    const other = await agent(port, 'other');
    const frames = [
      `,"stateKinds":["__proto__"],"states":[{"kind":"__proto__","key":"md0","value":{"degraded":1}}]`,
      `,"stateKinds":["raid_array"],"states":[{"kind":"raid_array","key":"__proto__","value":{"degraded":1}}]`,
      `,"stateKinds":["raid_array"],"states":[{"kind":"raid_array","key":"md0","value":{"__proto__":{"degraded":1}}}]`,
      `,"stateKinds":["constructor"],"states":[]`,
    ];
    frames.forEach((extra, i) => bad.ws.send(batchText(i + 1, extra)));
    bad.ws.send(
      `{"type":"batch","seq":9,"ts":${Date.now()},"samples":[{"m":"disk_util_percent","l":{"__proto__":"x"},"v":1}]}`,
    );
    await until(() => bad.replies.length >= 6, 5000, 'five refusals');
    expect(bad.replies.slice(1).map((r) => r.code)).toEqual(Array(5).fill('bad_frame'));
    const probe: Record<string, unknown> = {};
    expect(probe.md0).toBeUndefined();
    expect(probe.degraded).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    // Another agent's labelled series and states still go in.
    other.ws.send(
      batchText(1, `,"stateKinds":["disk_smart"],"states":[{"kind":"disk_smart","key":"md0","value":{"degraded":0}}]`),
    );
    await until(() => other.replies.some((r) => r.type === 'ack'), 5000, 'the ack');
    expect(server.hosts.get('other')!.states.disk_smart!.md0).toEqual({ degraded: 0 });
    expect(server.hosts.get('bad')!.states).toEqual({});
    bad.ws.close();
    other.ws.close();
  });

  it('refuses metrics that are not in the catalogue, and takes the rest', async () => {
    const { port } = await start();
    const a = await agent(port, 'a');
    a.ws.send(`{"type":"batch","seq":1,"ts":${Date.now()},"samples":[{"m":"made_up_metric","v":1}]}`);
    a.ws.send(
      `{"type":"batch","seq":2,"ts":${Date.now()},"samples":[{"m":"cpu_iowait_percent","l":{"cpu":"all"},"v":1}]}`,
    );
    await until(() => a.replies.length >= 3, 5000, 'two answers');
    expect(a.replies[1]).toMatchObject({ code: 'bad_frame' });
    expect(a.replies[1]!.message).toMatch(/^samples\.0\.m: unknown metric "made_up_metric": not in the catalogue/);
    expect(a.replies[2]).toMatchObject({ type: 'ack', seq: 2 });
    a.ws.close();
  });

  it('refuses a batch stamped in 2100 with an error the agent logs, and keeps storing later ones', async () => {
    const { server, port, base } = await start();
    const lines: string[] = [];
    const transport = new AgentTransport({
      serverUrl: `ws://127.0.0.1:${port}`,
      token: 't',
      bufferCapacity: 100,
      log: createLogger('info', 'agent', (l) => lines.push(l)),
      hello: () => ({
        type: 'hello',
        protocol: 2,
        agentId: 'skewed',
        session: 'sess',
        hostname: 'skewed',
        agentVersion: 't',
        inventory: null,
      }),
    });
    transport.start();
    await until(() => transport.connected, 5000, 'connected');
    const y2100 = Date.UTC(2100, 0, 1);
    transport.send({
      type: 'batch',
      seq: 1,
      ts: y2100,
      samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v: 99 }],
    });
    await until(() => lines.some((l) => /bad_timestamp/.test(l)), 5000, 'the agent to log the refusal');
    const logged = lines.find((l) => /bad_timestamp/.test(l))!;
    expect(logged).toMatch(/^\S+ error/);
    expect(logged).toMatch(/2100-01-01T00:00:00\.000Z, more than 300 s ahead/);
    expect(server.agents.refusedTimestamps).toBe(1);
    expect(server.hosts.get('skewed')!.stats.badFrames).toBe(1);

    const now = Date.now();
    transport.send({
      type: 'batch',
      seq: 2,
      ts: now,
      samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v: 7 }],
    });
    await until(() => transport.buffer.size === 0, 5000, 'the ack of the next batch');
    const res = (await (
      await fetch(`${base}/api/series?host=skewed&metric=disk_util_percent&from=${now - 1000}&to=${now + 1000}`)
    ).json()) as { series: { points: [number, number][] }[] };
    expect(res.series[0]!.points).toEqual([[now, 7]]);
    // Far in the past is refused too (beyond the 48 h default).
    transport.send({ type: 'batch', seq: 3, ts: now - 49 * 3_600_000, samples: [] });
    await until(() => server.agents.refusedTimestamps === 2, 5000, 'the second refusal');
    await transport.stop();
  });
});

describe('every hostile frame of the list', () => {
  it('is refused with its code and changes neither another agent nor a dashboard', async () => {
    const { server, port, base } = await start();
    const good = await agent(port, 'good');
    const dash = await dashboard(port, 'good');
    const bad = await agent(port, 'bad');
    await until(() => dash.got.some((m) => m.type === 'hosts'), 5000, 'the host list');
    const before = JSON.stringify(server.hosts.get('good'));
    HOSTILE_FRAMES.forEach((f, i) => bad.ws.send(f.text(i + 1, Date.now())));
    await until(() => bad.replies.length >= 1 + HOSTILE_FRAMES.length, 10_000, 'an answer to each');
    HOSTILE_FRAMES.forEach((f, i) => expect(bad.replies[i + 1], f.name).toMatchObject({ type: 'error', code: f.code }));
    expect(JSON.stringify(server.hosts.get('good'))).toBe(before);
    expect(server.hosts.get('bad')!.states).toEqual({});
    expect(server.hosts.get('bad')!.inventory).toBeNull();
    expect(dash.got.filter((m) => m.type === 'samples')).toEqual([]);
    expect(Object.keys(Object.prototype)).toEqual([]);
    // The good agent still streams to the store and the dashboard.
    good.ws.send(batchText(1, ''));
    await until(() => dash.got.some((m) => m.type === 'samples' && m.host === 'good'), 5000, 'a push');
    expect((await fetch(`${base}/api/hosts/good`)).status).toBe(200);
    for (const c of [good.ws, bad.ws, dash.ws]) c.close();
  });
});

describe('json limits', () => {
  it('bounds depth, keys, items, strings and total size, without recursion', () => {
    const L = STATE_VALUE_LIMITS;
    const deep = JSON.parse(nested(100_000)) as unknown;
    expect(jsonLimitProblem(deep, L)).toMatch(/nested deeper than 8 levels/);
    expect(jsonLimitProblem(JSON.parse(nested(8)) as unknown, L)).toBeNull();
    expect(jsonLimitProblem(JSON.parse(nested(9)) as unknown, L)).toMatch(/deeper/);
    const keys = Object.fromEntries(Array.from({ length: L.maxKeys + 1 }, (_, i) => [`k${i}`, i]));
    expect(jsonLimitProblem(keys, L)).toMatch(/more than 200 keys/);
    expect(jsonLimitProblem(Array(L.maxItems + 1).fill(0), L)).toMatch(/more than 2000 items/);
    expect(jsonLimitProblem({ s: 'x'.repeat(L.maxString + 1) }, L)).toMatch(/value\.s: string longer/);
    expect(jsonLimitProblem({ s: 'x'.repeat(L.maxString) }, L)).toBeNull();
    const wide = Array.from({ length: 20 }, () => new Array<number>(1000).fill(1));
    expect(jsonLimitProblem(wide, L)).toMatch(/more than 20000 values/);
    expect(jsonLimitProblem(JSON.parse('{"a":{"constructor":1}}') as unknown, L)).toMatch(
      /value\.a: key "constructor"/,
    );
    expect(jsonLimitProblem(JSON.parse('{"prototype":1}') as unknown, L)).toMatch(/key "prototype"/);
  });
});
