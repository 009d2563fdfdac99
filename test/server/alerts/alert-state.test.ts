import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../server/alerts/engine.js';
import { Notifier } from '../../../server/alerts/notify.js';
import { silentLogger } from '../../../shared/log.js';
import { until } from '../../helpers/process.js';

const savedSilences = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { silences: { comment: string }[] }).silences;
import { fillUp, free, setReadOnly, smallTmpfs } from '../../helpers/tmpfs.js';

const engines: AlertEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.stop();
});

function engine(stateFile: string): AlertEngine {
  const e = new AlertEngine({
    rules: () => [],
    notifier: new Notifier([], silentLogger, null),
    log: silentLogger,
    stateFile,
    agentsLastSeen: () => new Map(),
    stateRetryMs: 200,
  });
  engines.push(e);
  return e;
}
const silence = (comment: string) => ({
  matchers: [{ label: 'alertname', value: 'RaidDegraded', regex: false }],
  startsAt: 0,
  endsAt: 4_000_000_000_000,
  createdBy: 'test',
  comment,
});

describe('the alert-state save', () => {
  it('survives a read-only data directory, reports it, and writes the state once it is writable again', async () => {
    const dir = smallTmpfs(1024 * 1024);
    const file = path.join(dir, 'alerts-state.json');
    const e = engine(file);
    expect(e.saveNow()).toBe(true);
    setReadOnly(dir, true);
    try {
      e.addSilence(silence('while read-only'));
      await until(() => e.saveFailure, 5000, 'the failure to be reported');
      expect(e.saveFailure).toMatch(/^EROFS: cannot write .*alerts-state\.json/);
      // The previous state is still there, untouched.
      expect(savedSilences(file)).toEqual([]);
      expect(e.listSilences()).toHaveLength(1);
    } finally {
      setReadOnly(dir, false);
    }
    // No further change is needed: the retry writes it.
    await until(() => e.saveFailure === null, 5000, 'the retry to succeed');
    expect(savedSilences(file).map((s) => s.comment)).toEqual(['while read-only']);
    expect(
      engine(file)
        .listSilences()
        .map((s) => s.comment),
    ).toEqual(['while read-only']);
  });

  it('survives a full disk without leaving a partial temp file, and recovers when space is freed', async () => {
    const dir = smallTmpfs(256 * 1024);
    const file = path.join(dir, 'alerts-state.json');
    const e = engine(file);
    const filler = fillUp(dir);
    // A state larger than any few bytes left over.
    for (let i = 0; i < 50; i++) e.addSilence(silence(`silence ${i} `.padEnd(200, '.')));
    expect(e.saveNow()).toBe(false);
    expect(e.saveFailure).toMatch(/^ENOSPC: /);
    expect(() => readFileSync(`${file}.tmp`)).toThrow(/ENOENT/);
    free(filler.file);
    await until(() => e.saveFailure === null, 5000, 'the retry to succeed');
    expect(savedSilences(file)).toHaveLength(50);
  });
});
