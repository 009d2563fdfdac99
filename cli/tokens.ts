import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { generateToken } from '../server/auth.js';

/**
 * The agent token kept in the data dir (mode 0600), created on first use, so
 * `tidemark start` and later `tidemark agent` runs on the same host agree.
 */
export function loadOrCreateToken(dataDir: string): { token: string; file: string; created: boolean } {
  const file = path.join(dataDir, 'agent-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, file, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file, created: true };
}
