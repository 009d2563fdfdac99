import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../server/alerts/engine.js';
import { Notifier } from '../../../server/alerts/notify.js';
import { createLogger } from '../../../shared/log.js';
import { tempDir } from '../../helpers/process.js';

/**
 * Loading alerts-state.json: version 1, checked field by field; anything else
 * is kept aside (never overwritten by the next save) and the engine starts
 * empty, saying why.
 */
const engines: AlertEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.stop();
});

function load(state: string) {
  const dir = tempDir();
  const file = path.join(dir, 'alerts-state.json');
  writeFileSync(file, state);
  const lines: string[] = [];
  const log = createLogger('info', 'test', (l) => lines.push(l));
  const notifier = new Notifier([{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/' }], log, null);
  const e = new AlertEngine({
    rules: () => [],
    notifier,
    log,
    stateFile: file,
    agentsLastSeen: () => new Map(),
  });
  engines.push(e);
  const kept = readdirSync(dir).filter((f) => f.startsWith('alerts-state.json.rejected-'));
  return { e, notifier, lines, dir, file, kept };
}

const instance = {
  id: 'a1',
  rule: 'RaidDegraded',
  host: 'db1',
  labels: { array: 'md0' },
  state: 'firing',
  activeSince: 1000,
  firedAt: 1000,
  value: 1,
  resolvingSince: null,
  notified: true,
  lastNotifiedAt: 1000,
  acked: false,
};
const silence = {
  id: 's1',
  matchers: [{ label: 'host', value: 'db1', regex: false }],
  startsAt: 0,
  endsAt: 4_000_000_000_000,
  comment: 'disk swap',
  createdBy: 'ops',
};
const v1 = (extra: object = {}) =>
  JSON.stringify({ version: 1, instances: [instance], silences: [silence], outbox: [], ...extra });

describe('loading the alert state', () => {
  it('restores a version-1 state', () => {
    const { e, kept } = load(v1({ retired: { old1: 500 } }));
    expect(e.list().map((a) => `${a.rule} ${a.host} ${a.state} ${a.silencedBy}`)).toEqual([
      'RaidDegraded db1 firing s1',
    ]);
    expect(e.retiredHosts()).toEqual(['old1']);
    expect(kept).toEqual([]);
  });

  it('restores an outbox written before pages had valueText and facts, with those empty', () => {
    const alert = { id: 'a1', rule: 'RaidDegraded', host: 'db1', labels: {}, severity: 'critical', summary: 's' };
    const n = { id: 'n1', receiver: 'hook', kind: 'trigger', createdAt: 1, attempts: 0, nextAttemptAt: 1e15 };
    const { notifier, kept } = load(
      v1({ outbox: [{ ...n, lastError: null, alert: { ...alert, value: 1, startsAt: 1, endsAt: null } }] }),
    );
    expect(kept).toEqual([]);
    expect(notifier.pending.map((x) => [x.id, x.alert.valueText, x.alert.facts, x.alert.runbook])).toEqual([
      ['n1', '', [], null],
    ]);
  });

  it.each([
    [
      'a newer version',
      JSON.stringify({ version: 2, instances: [] }),
      /version 2, this server reads version 1 \(written by a newer Tidemark\)/,
    ],
    ['no version', JSON.stringify({ instances: [] }), /version undefined, this server reads version 1/],
    ['a bad state', v1({ instances: [{ ...instance, state: 'exploded' }] }), /instances\.0\.state: /],
    ['a silence without its end', v1({ silences: [{ ...silence, endsAt: undefined }] }), /silences\.0\.endsAt: /],
    ['not JSON', '{"version": 1, "instan', /not JSON: /],
    ['a list', '[]', /not a JSON object/],
  ])('keeps %s aside, starts empty and says why', (_what, text, why) => {
    const { e, lines, file, kept } = load(text);
    expect(e.list()).toEqual([]);
    expect(e.listSilences()).toEqual([]);
    expect(kept).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(path.join(path.dirname(file), kept[0]!), 'utf8')).toBe(text); // nothing lost
    const line = lines.find((l) => l.includes('alert state rejected'));
    expect(line).toMatch(why);
    expect(line).toContain(kept[0]);
    // the next save writes a fresh state beside the kept file
    expect(e.saveNow()).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, instances: [] });
  });
});
