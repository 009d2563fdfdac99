import { describe, expect, it } from 'vitest';
import { decodeServerToAgent } from '../../shared/wire.js';

describe('server → agent frames, checked by the agent without a schema library', () => {
  it('accepts the three messages', () => {
    expect(decodeServerToAgent('{"type":"welcome","protocol":1,"serverVersion":"0.1.0","lastSeq":7}')).toEqual({ ok: true, value: { type: 'welcome', protocol: 1, serverVersion: '0.1.0', lastSeq: 7 } });
    expect(decodeServerToAgent('{"type":"ack","seq":12}')).toEqual({ ok: true, value: { type: 'ack', seq: 12 } });
    expect(decodeServerToAgent('{"type":"error","code":"rate_limited","message":"slow down"}')).toEqual({ ok: true, value: { type: 'error', code: 'rate_limited', message: 'slow down' } });
  });

  it('rejects the rest with a reason', () => {
    expect(decodeServerToAgent('not json')).toMatchObject({ ok: false, message: expect.stringMatching(/^frame is not JSON/) });
    expect(decodeServerToAgent('{"type":"ack","seq":-1}')).toEqual({ ok: false, message: 'ack needs a whole seq' });
    expect(decodeServerToAgent('{"type":"ack","seq":1.5}')).toEqual({ ok: false, message: 'ack needs a whole seq' });
    expect(decodeServerToAgent('{"type":"welcome","protocol":1,"lastSeq":0}')).toEqual({ ok: false, message: 'welcome needs protocol, serverVersion and lastSeq' });
    expect(decodeServerToAgent('{"type":"error","code":"teapot","message":"x"}')).toEqual({ ok: false, message: 'error needs a known code and a message' });
    expect(decodeServerToAgent('{"type":"reboot"}')).toEqual({ ok: false, message: 'unknown message type "reboot"' });
    expect(decodeServerToAgent('null')).toEqual({ ok: false, message: 'frame is not an object' });
  });
});
