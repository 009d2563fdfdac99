import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { generateToken } from '../server/auth.js';
import { ConfigError } from './config.js';
import { ROLES, TOKENS_FILE, addToken, readTokens, revokeToken, tokensFile, type Role } from '../server/token-store.js';
import { errorMessage } from '../shared/errors.js';

/** Files a server leaves in its data dir: their presence means this is not a first run. */
const EARLIER_RUN = ['tidemark.db', 'alerts-state.json', TOKENS_FILE];

/**
 * The shared agent token kept in the data dir (mode 0600), created on first
 * use, so `tidemark start` and later `tidemark agent` runs on the same host
 * agree. A missing file in a data dir an earlier run used is an error, not a
 * fresh token: every agent configured with the old one would be refused. An
 * empty file asks for a new token.
 */
export function loadOrCreateToken(dataDir: string): { token: string; file: string; created: boolean } {
  const file = path.join(dataDir, 'agent-token');
  let exists = true;
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, file, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    exists = false;
  }
  const earlier = EARLIER_RUN.find((f) => existsSync(path.join(dataDir, f)));
  if (!exists && earlier)
    throw new ConfigError(
      `${file} is missing, but ${dataDir} holds ${earlier} from an earlier run: a new token would lock out every agent ` +
        `that has the old one. Restore the file, or pass the agents' token with --token; to make a new token ` +
        `(and give it to every agent), create the file empty: touch ${file}`,
    );
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file, created: true };
}

function role(raw: unknown): Role {
  const r = typeof raw === 'string' ? raw : 'agent';
  if (!ROLES.includes(r as Role)) throw new ConfigError(`--role: one of ${ROLES.join(', ')} (got "${r}")`);
  return r as Role;
}

/** `tidemark token add ID [--role agent|read|admin]`: prints the new token, once. */
export function tokenAddCommand(dataDir: string, id: string, flags: { role?: unknown }): void {
  const r = role(flags.role);
  let token: string;
  try {
    token = addToken(tokensFile(dataDir), id, r);
  } catch (err) {
    throw new ConfigError(errorMessage(err));
  }
  process.stdout.write(`${token}\n`);
  const what = r === 'agent' ? `agent "${id}" (it may write only as that agent id)` : `${r} access for "${id}"`;
  process.stderr.write(`new ${r} token for ${what}; it is shown only now. Stored hashed in ${tokensFile(dataDir)}\n`);
}

export function tokenListCommand(dataDir: string, flags: { json?: unknown }): void {
  const list = readTokens(tokensFile(dataDir)).map(({ id, role, createdAt }) => ({ id, role, createdAt }));
  if (flags.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return;
  }
  if (list.length === 0) process.stdout.write(`no tokens in ${tokensFile(dataDir)}\n`);
  for (const t of list) process.stdout.write(`${t.role.padEnd(6)} ${t.id.padEnd(32)} created ${t.createdAt}\n`);
}

export function tokenRevokeCommand(dataDir: string, id: string, flags: { role?: unknown }): number {
  const n = revokeToken(tokensFile(dataDir), id, flags.role === undefined ? undefined : role(flags.role));
  if (n === 0) {
    process.stderr.write(`no token for "${id}"\n`);
    return 1;
  }
  process.stdout.write(`revoked ${n} token(s) of "${id}"; the server stops accepting them within a second\n`);
  return 0;
}
