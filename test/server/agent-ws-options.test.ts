import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_AGENT_FRAME_BYTES } from '../../shared/protocol.js';
import { frameText } from '../../shared/frame-text.js';
import { startLoopbackServer } from '../helpers/server.js';
import { until } from '../helpers/process.js';

/**
 * The agent endpoint's WebSocket options (server/agent-endpoint.ts), each pinned at its wire behaviour:
 * no permessage-deflate (RFC 7692: an offer the server does not answer is declined), the frame size bound
 * (RFC 6455 §7.4.1: 1009 past it), and text frames checked as UTF-8 (§8.1: 1007 when they are not).
 */
type Reply = { type: string; code?: string };

async function openAgentSocket(port: number, perMessageDeflate: boolean) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, {
    headers: { Authorization: 'Bearer t' },
    perMessageDeflate,
  });
  const replies: Reply[] = [];
  const extensionsAnswered: (string | undefined)[] = [];
  ws.on('upgrade', (res) => extensionsAnswered.push(res.headers['sec-websocket-extensions']));
  ws.on('message', (data) => replies.push(JSON.parse(frameText(data)) as Reply));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, replies, closed, extensionsAnswered };
}

describe("the agent endpoint's WebSocket options", () => {
  it('declines permessage-deflate when an agent offers it', async () => {
    const { port } = await startLoopbackServer();
    const { ws, extensionsAnswered } = await openAgentSocket(port, true);
    expect(extensionsAnswered).toEqual([undefined]);
    expect(ws.extensions).toBe('');
    ws.close();
  });

  it('takes a frame of exactly the bound and closes with 1009 one byte past it', async () => {
    const { port } = await startLoopbackServer();
    const { ws, replies, closed } = await openAgentSocket(port, false);
    // not JSON: answered with an error, and the connection carries on
    ws.send('x'.repeat(MAX_AGENT_FRAME_BYTES));
    await until(() => replies.length === 1, 10_000, 'the reply to a frame at the bound');
    expect(replies[0]).toMatchObject({ type: 'error', code: 'bad_json' });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send('x'.repeat(MAX_AGENT_FRAME_BYTES + 1));
    expect(await closed).toBe(1009);
    expect(replies).toHaveLength(1);
  });

  it('closes with 1007 on a text frame that is not UTF-8', async () => {
    const { port } = await startLoopbackServer();
    const { ws, replies, closed } = await openAgentSocket(port, false);
    // 0xff never occurs in UTF-8; 0xc3 0x28 is a lead byte followed by a non-continuation byte
    ws.send(Buffer.from([0x7b, 0xff, 0xc3, 0x28, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    expect(replies).toEqual([]);
  });
});
