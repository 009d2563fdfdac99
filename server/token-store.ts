/**
 * Credentials kept in the data directory (`tokens.json`, mode 0600): one per
 * agent (it may write only as that agent id) and one per person (read-only or
 * admin). Only a SHA-256 of each token is stored; the token itself is shown
 * once, by `tidemark token add`. The server re-reads the file when it changes,
 * so `add` and `revoke` take effect without a restart.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateToken } from './auth.js';
import { errorMessage } from '../shared/errors.js';

export const ROLES = ['agent', 'read', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  /** The agent id an agent token writes as, or a person's name. */
  id: string;
  role: Role;
  /** Hex SHA-256 of the token. */
  sha256: string;
  createdAt: string;
}

export const TOKENS_FILE = 'tokens.json';
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

const digest = (token: string) => createHash('sha256').update(token).digest();

export function tokensFile(dataDir: string): string {
  return path.join(dataDir, TOKENS_FILE);
}

/** Reads the entries; a missing file is an empty list, anything unreadable or malformed an error. */
export function readTokens(file: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const doc = JSON.parse(text) as { tokens?: unknown };
  if (!doc || !Array.isArray(doc.tokens)) throw new Error(`${file}: expected {"tokens": [...]}`);
  return doc.tokens.map((t: unknown, i: number) => {
    const e = t as Partial<TokenEntry>;
    if (
      typeof e.id !== 'string' ||
      !ROLES.includes(e.role as Role) ||
      typeof e.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(e.sha256)
    )
      throw new Error(`${file}: entry ${i} is malformed`);
    return { id: e.id, role: e.role as Role, sha256: e.sha256, createdAt: String(e.createdAt ?? '') };
  });
}

function writeTokens(file: string, tokens: TokenEntry[]): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ tokens }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Adds a credential and returns the token (the only time it exists in clear). One token per id and role. */
export function addToken(file: string, id: string, role: Role, now = new Date()): string {
  if (!ID.test(id)) throw new Error(`"${id}" is not a valid id: letters, digits and . _ : - (1–128)`);
  const tokens = readTokens(file);
  if (tokens.some((t) => t.id === id && t.role === role))
    throw new Error(`a ${role} token for "${id}" exists already; revoke it first`);
  const token = generateToken();
  tokens.push({ id, role, sha256: digest(token).toString('hex'), createdAt: now.toISOString() });
  writeTokens(file, tokens);
  return token;
}

/** Removes every credential of `id` (of one role if given); returns how many. */
export function revokeToken(file: string, id: string, role?: Role): number {
  const tokens = readTokens(file);
  const kept = tokens.filter((t) => t.id !== id || (role !== undefined && t.role !== role));
  if (kept.length !== tokens.length) writeTokens(file, kept);
  return tokens.length - kept.length;
}

/** The server's view of tokens.json: looks a presented token up, re-reading the file when it changed. */
export class TokenStore {
  private entries: { entry: TokenEntry; hash: Buffer }[] = [];
  private stamp = '';
  private checkedAt = 0;

  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void = () => {},
  ) {
    this.refresh(true);
  }

  /** Re-reads the file when its size or mtime changed (checked at most every 500 ms). */
  private refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < 500) return;
    this.checkedAt = now;
    let stamp = 'absent';
    try {
      const st = statSync(this.file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      /* absent: no entries */
    }
    if (stamp === this.stamp) return;
    try {
      this.entries = readTokens(this.file).map((entry) => ({ entry, hash: Buffer.from(entry.sha256, 'hex') }));
      this.stamp = stamp;
    } catch (err) {
      // Keep the previous entries: a half-edited file must not lock everyone out or let anyone in.
      this.onError(`cannot read ${this.file}: ${errorMessage(err)}`);
      if (force) throw err;
    }
  }

  /** The entry whose token this is; every entry is compared, in constant time each. */
  lookup(token: string | null): TokenEntry | null {
    if (!token) return null;
    this.refresh();
    const h = digest(token);
    let found: TokenEntry | null = null;
    for (const e of this.entries) if (timingSafeEqual(h, e.hash)) found = e.entry;
    return found;
  }

  /** Whether any person (read or admin) credential exists. */
  hasPeople(): boolean {
    this.refresh();
    return this.entries.some((e) => e.entry.role !== 'agent');
  }
}
