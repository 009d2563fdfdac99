/**
 * Runs in a short-lived child process: systeminformation is large and stays
 * resident once imported, and the agent needs it only rarely. The result goes
 * to stdout as one JSON line (no IPC channel: setting one up loads node:v8 and
 * its serializer into the agent for good).
 */
import { gatherInventory } from './inventory-gather.js';
import { errorMessage } from '../shared/errors.js';

function reply(message: { ok: boolean; inventory?: Record<string, unknown>; error?: string }, code: number): void {
  process.stdout.write(JSON.stringify(message) + '\n', () => process.exit(code));
}

gatherInventory(Number(process.argv[2] ?? 0) || 0).then(
  (inventory) => reply({ ok: true, inventory }, 0),
  (err: unknown) => reply({ ok: false, error: errorMessage(err) }, 1),
);
