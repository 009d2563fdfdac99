/**
 * Silence patterns run with RE2 semantics: a catastrophic-backtracking pattern
 * is harmless (it terminates on a long host id), patterns RE2 cannot run are
 * refused before they are stored, and a bad silence persisted by an older
 * server neither hangs nor silences anything after a restart.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AlertEngine } from '../../../server/alerts/engine.js';
import { startLoopbackServer } from '../../helpers/server.js';
import { tempDir } from '../../helpers/process.js';

const start = (stateFile: string | null = null) =>
  startLoopbackServer({ alerts: { rulePaths: [], receivers: [], stateFile } });

const silence = (base: string, value: string) =>
  fetch(`${base}/api/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ matchers: [{ label: 'host', value, regex: true }], duration: '1h' }),
  });

/** Whether an alert of rule X on `host` is silenced now; under a backtracking engine the hostile cases never return. */
const silencedHost = (engine: AlertEngine, host: string) =>
  engine.silenced({ rule: 'X', host, labels: {} } as unknown as Parameters<AlertEngine['silenced']>[0], Date.now());

// 27 characters, as in the report; (a+)+ backtracks 2^26 ways on it in a backtracking engine, and 2^63 on 64.
const HOST_27 = 'a'.repeat(26) + '!';
const HOST_64 = 'a'.repeat(63) + '!';

describe('silence patterns', () => {
  it('takes a catastrophic-backtracking pattern and runs it in linear time', async () => {
    const { server, base } = await start();
    expect((await silence(base, '(a+)+')).status).toBe(201);
    expect((await silence(base, '(a|aa)*c')).status).toBe(201);
    expect(silencedHost(server.alerts!.engine, HOST_27)).toBeNull();
    expect(silencedHost(server.alerts!.engine, HOST_64)).toBeNull();
    // It still matches what it should, whole values only.
    expect(silencedHost(server.alerts!.engine, 'aaaa')).not.toBeNull();
    expect(silencedHost(server.alerts!.engine, 'xaaaa')).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('refuses patterns RE2 cannot run, and over-long ones, before storing them', async () => {
    const { server, base } = await start();
    for (const bad of ['(a)\\1', '(?=a)a', '(?<!b)a', 'a'.repeat(257), '(unclosed']) {
      const res = await silence(base, bad);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^matchers\[0\]/);
    }
    expect(server.alerts!.engine.listSilences()).toEqual([]);
  });

  it('survives a hostile silence persisted before patterns were checked', async () => {
    const stateFile = path.join(tempDir(), 'alerts-state.json');
    const s = (id: string, value: string) => ({
      id,
      matchers: [{ label: 'host', value, regex: true }],
      startsAt: Date.now() - 1000,
      endsAt: Date.now() + 3_600_000,
      comment: '',
      createdBy: 'old server',
    });
    writeFileSync(
      stateFile,
      JSON.stringify({ version: 1, instances: [], silences: [s('s1', '(a+)+'), s('s2', '(?=a)a+')], outbox: [] }),
    );
    const { server, base } = await start(stateFile);
    expect(server.alerts!.engine.listSilences()).toHaveLength(2);
    expect(silencedHost(server.alerts!.engine, HOST_64)).toBeNull();
    expect(silencedHost(server.alerts!.engine, 'aaa')?.id).toBe('s1'); // the lookahead one silences nothing
    server.alerts!.engine.tick(Date.now());
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
