import { afterEach, describe, expect, it } from 'vitest';
import { TidemarkServer } from '../../server/server.js';
import { silentLogger } from '../../shared/log.js';
import { TestAgent } from '../helpers/agent-client.js';
import { until } from '../helpers/process.js';

const servers: TidemarkServer[] = [];
const agents: TestAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('a state of kind __proto__ (found by bench/fuzz.mjs)', () => {
  it('pollutes no prototype, so every other agent keeps being accepted', async () => {
    const server = new TidemarkServer({
      host: '127.0.0.1',
      port: 0,
      agentToken: 't',
      apiToken: null,
      log: silentLogger,
      alerts: null,
    });
    servers.push(server);
    const port = await server.listen();
    const evil = new TestAgent(`ws://127.0.0.1:${port}/ws/agent`, 't', 'evil', 's1');
    agents.push(evil);
    await evil.connect();
    evil.ws!.send(
      JSON.stringify({
        type: 'batch',
        seq: 1,
        ts: Date.now() - 1000,
        samples: [],
        states: [{ kind: '__proto__', key: 'cpu', value: { polluted: true } }],
      }),
    );
    await until(() => evil.replies.length >= 2, 5000, 'a reply to the batch');
    expect(({} as Record<string, unknown>).cpu).toBeUndefined();

    const good = new TestAgent(`ws://127.0.0.1:${port}/ws/agent`, 't', 'good', 's2');
    agents.push(good);
    await good.connect();
    good.send(Date.now() - 500, 1);
    await until(() => good.acked === 1, 5000, "the good agent's ack");
    expect(good.replies.filter((r) => r.type === 'error')).toEqual([]);
  });
});
