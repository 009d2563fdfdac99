import { afterEach, describe, expect, it } from 'vitest';
import { startLoopbackServer } from '../helpers/server.js';
import { TestAgent } from '../helpers/agent-client.js';
import { until } from '../helpers/process.js';

const agents: TestAgent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.close();
});

describe('a state of kind __proto__ (found by bench/fuzz.mjs)', () => {
  it('pollutes no prototype, so every other agent keeps being accepted', async () => {
    const { port } = await startLoopbackServer({ alerts: null });
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
