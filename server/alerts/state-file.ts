/**
 * The alert state file (DATA_DIR/alerts-state.json): firing and pending
 * alerts, silences, undelivered notifications and retired hosts, written
 * by durable-file.ts (atomically, retried when the disk fails), and its
 * reading: versioned and validated, never cast. A file that is not JSON, not
 * this version, or not this shape is kept aside under another name (so the
 * next save cannot destroy it) and the engine starts empty, saying why.
 */
import { readFileSync, renameSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../../shared/log.js';
import type { AlertInstance } from './instance.js';
import type { Silence } from './silences.js';
import type { Notification } from './notify.js';
import { errorMessage } from '../../shared/errors.js';

/** The version this server writes and reads. */
export const STATE_VERSION = 1;

export interface Persisted {
  version: typeof STATE_VERSION;
  instances: AlertInstance[];
  silences: Silence[];
  outbox: Notification[];
  /** Retired hosts and when: their agents' silence is not an alert until they report again. */
  retired?: Record<string, number>;
}

const labels = z.record(z.string(), z.string());
const time = z.number().finite();
const severity = z.enum(['critical', 'warning', 'info']);

const instanceSchema = z.object({
  id: z.string().min(1),
  rule: z.string().min(1),
  host: z.string().min(1),
  labels,
  state: z.enum(['pending', 'firing']),
  activeSince: time,
  firedAt: time.nullable(),
  value: z.number().nullable(),
  resolvingSince: time.nullable(),
  notified: z.boolean(),
  lastNotifiedAt: time.nullable(),
  acked: z.boolean(),
}) satisfies z.ZodType<AlertInstance>;

const silenceSchema = z.object({
  id: z.string().min(1),
  matchers: z.array(z.object({ label: z.string(), value: z.string(), regex: z.boolean() })),
  startsAt: time,
  endsAt: time,
  comment: z.string(),
  createdBy: z.string(),
}) satisfies z.ZodType<Silence>;

/** A queued notification's alert; fields added to pages later default, so an older outbox still delivers. */
const snapshotSchema = z.object({
  id: z.string().min(1),
  rule: z.string().min(1),
  host: z.string().min(1),
  labels,
  severity,
  summary: z.string(),
  description: z.string().default(''),
  runbook: z.string().nullable().default(null),
  value: z.number().nullable(),
  valueText: z.string().default(''),
  facts: z.array(z.string()).default([]),
  startsAt: time,
  endsAt: time.nullable(),
  resolvedBy: z.enum(['condition', 'stale', 'retired', 'rule-removed']).optional(),
});

const notificationSchema = z.object({
  id: z.string().min(1),
  receiver: z.string(),
  kind: z.enum(['trigger', 'repeat', 'refresh', 'acknowledge', 'resolve']),
  alert: snapshotSchema,
  createdAt: time,
  attempts: z.number().int().min(0),
  nextAttemptAt: time,
  lastError: z.string().nullable(),
}) satisfies z.ZodType<Notification, unknown>;

const persistedSchema = z.object({
  version: z.literal(STATE_VERSION),
  instances: z.array(instanceSchema),
  silences: z.array(silenceSchema),
  outbox: z.array(notificationSchema),
  retired: z.record(z.string(), time).optional(),
}) satisfies z.ZodType<Persisted, unknown>;

/** Why `data` is not a state this server can read, or the state. */
export function checkState(data: unknown): { ok: true; state: Persisted } | { ok: false; reason: string } {
  const version = (data as { version?: unknown } | null)?.version;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, reason: 'not a JSON object' };
  if (version !== STATE_VERSION)
    return {
      ok: false,
      reason: `version ${JSON.stringify(version)}, this server reads version ${STATE_VERSION}${typeof version === 'number' && version > STATE_VERSION ? ' (written by a newer Tidemark)' : ''}`,
    };
  const r = persistedSchema.safeParse(data);
  if (r.success) return { ok: true, state: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, reason: `${issue.path.join('.') || '(top)'}: ${issue.message}` };
}

/**
 * The saved state, or null when there is none or it cannot be used: then the
 * file is kept as `<file>.rejected-<time>` and the error logged, and the
 * engine starts empty.
 */
export function readState(file: string, log: Logger, now = Date.now()): Persisted | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.error('alert state unreadable; starting empty', { file, error: errorMessage(err) });
    return null;
  }
  let reason: string;
  try {
    const checked = checkState(JSON.parse(text));
    if (checked.ok) return checked.state;
    reason = checked.reason;
  } catch (err) {
    reason = `not JSON: ${errorMessage(err)}`;
  }
  const kept = `${file}.rejected-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, kept);
  } catch (err) {
    log.error('alert state rejected and could not be kept aside', { file, error: errorMessage(err) });
  }
  log.error('alert state rejected; kept aside, starting empty', { file, kept, reason });
  return null;
}
