/**
 * The logrotate configuration as parse.ts reads it: stanzas with the options
 * the checks need, the files read, and findings; plus the small lexical
 * helpers the parser and the directive handlers share.
 */
import type { Finding } from '../../shared/findings.js';

export type ScriptKind = 'prerotate' | 'postrotate' | 'firstaction' | 'lastaction' | 'preremove';

export interface Owner {
  user: string | null;
  group: string | null;
  mode: string | null;
}

export interface Where {
  file: string;
  line: number;
}

/** The options of a stanza that the checks need; logrotate has many more, which are parsed and kept in `seen`. */
export interface Options {
  missingok: boolean;
  copy: boolean;
  copytruncate: boolean;
  renamecopy: boolean;
  compress: boolean;
  ifempty: boolean;
  create: (Owner & Where) | null;
  olddir: ({ path: string } & Where) | null;
  createolddir: (Owner & Where) | null;
  su: ({ user: string; group: string | null } & Where) | null;
  /** `line` is the directive's line; `bodyLine` the line of the script's first body line. */
  scripts: Partial<Record<ScriptKind, { body: string; bodyLine: number } & Where>>;
  /** compresscmd / uncompresscmd when set (logrotate runs them with execvp, so a bare name is looked up on PATH). */
  compresscmd: ({ path: string } & Where) | null;
  uncompresscmd: ({ path: string } & Where) | null;
}

export interface Stanza extends Where {
  patterns: string[];
  options: Options;
  /** Set when logrotate would skip the whole stanza ("found error in …, skipping"). */
  skipReason: string | null;
}

export interface ConfigFile {
  path: string;
  /** Why logrotate ignores this file, if it does. */
  ignored: string | null;
}

export interface ParsedConfig {
  files: ConfigFile[];
  stanzas: Stanza[];
  findings: Finding[];
  /** `include` targets that could not be read: logrotate stops reading the including file there. */
  includeErrors: number;
}

/** A number as C's strtol(…, 0) reads all of it (decimal, 0x hex, 0 octal), or null. */
export function cNumber(text: string): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
  if (!m) return null;
  const body = m[2]!;
  const n = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : /^0./.test(body) ? parseInt(body, 8) : Number(body);
  return m[1] === '-' ? -n : n;
}

export function defaultOptions(): Options {
  // logrotate's compiled-in defaults: ifempty, no create, no missingok.
  return {
    missingok: false,
    copy: false,
    copytruncate: false,
    renamecopy: false,
    compress: false,
    ifempty: true,
    create: null,
    olddir: null,
    createolddir: null,
    su: null,
    scripts: {},
    compresscmd: null,
    uncompresscmd: null,
  };
}

export function cloneOptions(o: Options): Options {
  return { ...o, scripts: { ...o.scripts } };
}

/** Splits a path line into words, honouring "double" and 'single' quotes (as popt does). */
export function splitWords(text: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) return null;
  if (has || cur) out.push(cur);
  return out;
}

export interface ConfigSource {
  /** Reads a file, or says why it cannot; `ignored` is logrotate's reason to skip it (mode, owner, not regular). */
  readFile(path: string): { text: string; ignored: string | null } | { error: string };
  /** Directory entries (names) if `path` is a directory, null if it is a file, or an error. */
  listDir(path: string): string[] | null | { error: string };
}

export function finding(
  severity: Finding['severity'],
  code: string,
  where: Where,
  message: string,
  fix?: string,
  target?: string,
): Finding {
  return {
    severity,
    code,
    file: where.file,
    line: where.line,
    message,
    ...(fix ? { fix } : {}),
    ...(target ? { target } : {}),
  };
}
