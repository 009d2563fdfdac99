/**
 * The alert state file (DATA_DIR/alerts-state.json): firing and pending
 * alerts, silences, undelivered notifications and retired hosts, written
 * by durable-file.ts (atomically, retried when the disk fails), and its reading.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../../shared/log.js';
import type { AlertInstance } from './instance.js';
import type { Silence } from './silences.js';
import type { Notification } from './notify.js';

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
