/**
 * Runs in a short-lived child process: systeminformation is large and stays
 * resident once imported, and the agent needs it only every few minutes.
 */
import { gatherInventory } from './inventory-gather.js';
import { errorMessage } from '../shared/errors.js';

gatherInventory(Number(process.argv[2] ?? 0) || 0).then(
  (inventory) => {
    process.send?.({ ok: true, inventory }, () => process.exit(0));
  },
  (err: unknown) => {
    process.send?.({ ok: false, error: errorMessage(err) }, () => process.exit(1));
  },
);
