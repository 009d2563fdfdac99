/**
 * The alert state file (DATA_DIR/alerts-state.json): firing and pending
 * alerts, silences, undelivered notifications and retired hosts, written
 * by durable-file.ts (atomically, retried when the disk fails); its reading;
 * and silence matching.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../../shared/log.js';
import type { AlertInstance } from './engine.js';
import type { Notification } from './notify.js';
import { compileFullMatch, type FullMatcher } from '../../shared/safe-regex.js';

export interface Silence {
  id: string;
  matchers: { label: string; value: string; regex: boolean }[];
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
}

export interface Persisted {
  version: 1;
  instances: AlertInstance[];
  silences: Silence[];
  outbox: Notification[];
  /** Retired hosts and when: their agents' silence is not an alert until they report again. */
  retired?: Record<string, number>;
}

/** The saved state, or null when there is none or it cannot be read (logged; the engine starts empty). */
export function readState(file: string, log: Logger): Persisted | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Persisted;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.error('alert state unreadable; starting empty', { file, error: (err as Error).message });
    return null;
  }
}

/** A silence's matchers as tests, compiled once per silence (they are checked on every tick for every firing alert). */
const silenceTests = new WeakMap<Silence, ((labels: Record<string, string>) => boolean)[]>();
export function silenceMatches(s: Silence, labels: Record<string, string>): boolean {
  let tests = silenceTests.get(s);
  if (!tests) {
    tests = s.matchers.map((m) => {
      const value = (l: Record<string, string>) => (Object.hasOwn(l, m.label) ? String(l[m.label]) : '');
      if (!m.regex) return (l: Record<string, string>) => value(l) === m.value;
      // RE2 semantics: linear time, so no silence (even one persisted before patterns were checked) can hang a tick.
      let re: FullMatcher;
      try {
        re = compileFullMatch(m.value);
      } catch {
        return () => false; // a pattern RE2 cannot run silences nothing
      }
      return (l: Record<string, string>) => re.test(value(l));
    });
    silenceTests.set(s, tests);
  }
  return tests.every((t) => t(labels));
}
