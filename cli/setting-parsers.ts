import { statSync } from 'node:fs';
import { errorMessage } from '../shared/errors.js';

/**
 * The parsers of setting values: each takes what a flag, an environment
 * variable or the YAML file gave and returns the typed value, or throws an
 * Error whose message says what the value must be (resolveSettings adds where
 * it came from).
 */

export type Parser<T> = (raw: unknown) => T;

export const str: Parser<string> = (raw) => {
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error('must be a string');
  const s = String(raw).trim();
  if (s === '') throw new Error('must not be empty');
  return s;
};

export function int(min: number, max: number): Parser<number> {
  return (raw) => {
    const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(String(raw).trim()) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (raw) => {
    const s = String(raw);
    if (!values.includes(s as T)) throw new Error(`must be one of ${values.join(', ')}`);
    return s as T;
  };
}

export const existingDir: Parser<string> = (raw) => {
  const s = str(raw);
  let isDir: boolean;
  try {
    isDir = statSync(s).isDirectory();
  } catch {
    throw new Error(`${s} does not exist`);
  }
  if (!isDir) throw new Error(`${s} is not a directory`);
  return s;
};

export const bool: Parser<boolean> = (raw) => {
  if (raw === true || raw === false) return raw;
  const s = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(s)) return true;
  if (['0', 'false', 'no'].includes(s)) return false;
  throw new Error('must be true or false');
};

export const hostList: Parser<string[]> = (raw) => {
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  const names = items.map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of names) if (!/^[a-z0-9.:[\]-]+$/.test(h)) throw new Error(`"${h}" is not a host name`);
  return names;
};

/** A URL of one of `schemes` (e.g. `ws:`), checked so a typo fails at start; `example` shows the form. */
function urlOf(schemes: readonly string[], example: string): Parser<string> {
  return (raw) => {
    const s = str(raw);
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new Error(`must be a URL like ${example}`);
    }
    if (!schemes.includes(u.protocol)) throw new Error(`must start with ${schemes.map((p) => `${p}//`).join(' or ')}`);
    return s;
  };
}

const wsUrl = urlOf(['ws:', 'wss:'], 'ws://HOST:PORT');

/** An http(s) URL; an empty value never reaches it (resolveSettings takes empty for "not set"). */
export const httpUrl = urlOf(['http:', 'https:'], 'http://HOST:PORT');

/** One server URL or several, comma-separated, in order of preference (each checked like wsUrl). */
export const wsUrlList: Parser<string> = (raw) => {
  const urls = str(raw)
    .split(',')
    .map((u) => u.trim());
  if (urls.some((u) => u === '')) throw new Error('an empty entry in the list: give URL1,URL2 with no empty item');
  urls.forEach((u, i) => {
    try {
      wsUrl(u);
    } catch (err) {
      const why = errorMessage(err);
      throw new Error(urls.length > 1 ? `entry ${i + 1} (${u}) ${why}` : why, { cause: err });
    }
  });
  return urls.join(',');
};

/** A regular expression, checked here so a typo fails at start with its source named. */
export const regex: Parser<string> = (raw) => {
  const s = str(raw);
  try {
    new RegExp(s);
  } catch (err) {
    throw new Error(`is not a valid regular expression: ${errorMessage(err)}`, { cause: err });
  }
  return s;
};
