/**
 * Reads logrotate configuration the way logrotate 3.2x reads it (config.c):
 * comments on their own lines, global directives that set defaults for the
 * stanzas after them, stanzas of one or more (quoted) paths or globs followed by
 * `{ … }` (the brace may sit on the next line), scripts up to `endscript`, and
 * `include` of files and directories (directory entries in name order, minus
 * the taboo extensions and patterns). Errors that make logrotate skip a stanza
 * mark the stanza; errors logrotate merely prints are findings.
 */
import type { Finding } from '../../shared/findings.js';
import { segmentRegExp } from './glob.js';

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

function cloneOptions(o: Options): Options {
  return { ...o, scripts: { ...o.scripts } };
}

/** logrotate 3.21's default taboo extensions for files in an included directory. */
export const DEFAULT_TABOO_EXTS = [
  ',v',
  '.cfsaved',
  '.disabled',
  '.dpkg-bak',
  '.dpkg-del',
  '.dpkg-dist',
  '.dpkg-new',
  '.dpkg-old',
  '.dpkg-tmp',
  '.rhn-cfg-tmp-*',
  '.rpmnew',
  '.rpmorig',
  '.rpmsave',
  '.swp',
  '.ucf-dist',
  '.ucf-new',
  '.ucf-old',
  '~',
];

const FLAGS: Record<string, [keyof Options, boolean]> = {
  missingok: ['missingok', true],
  nomissingok: ['missingok', false],
  copy: ['copy', true],
  nocopy: ['copy', false],
  copytruncate: ['copytruncate', true],
  nocopytruncate: ['copytruncate', false],
  renamecopy: ['renamecopy', true],
  norenamecopy: ['renamecopy', false],
  compress: ['compress', true],
  nocompress: ['compress', false],
  ifempty: ['ifempty', true],
  notifempty: ['ifempty', false],
};

/** Directives logrotate knows that the checks need not interpret. */
const OTHER = new Set([
  'compressext',
  'compressoptions',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'hourly',
  'dateext',
  'nodateext',
  'dateformat',
  'dateyesterday',
  'datehourago',
  'delaycompress',
  'nodelaycompress',
  'extension',
  'addextension',
  'mail',
  'nomail',
  'mailfirst',
  'maillast',
  'maxage',
  'minage',
  'sharedscripts',
  'nosharedscripts',
  'shred',
  'noshred',
  'shredcycles',
  'start',
  'allowhardlink',
  'noallowhardlink',
  'ignoreduplicates',
  'errors',
  'nocreateolddir',
  'rotate',
  'size',
  'maxsize',
  'minsize',
  'nocreate',
  'noolddir',
]);
const SCRIPTS = new Set<ScriptKind>(['prerotate', 'postrotate', 'firstaction', 'lastaction', 'preremove']);

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

interface State {
  source: ConfigSource;
  defaults: Options;
  tabooExts: string[];
  tabooPats: string[];
  out: ParsedConfig;
}

function finding(
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

/**
 * Whether an included directory's file is skipped: logrotate turns each taboo
 * extension into the pattern `*EXT` and matches every pattern with fnmatch(3)
 * and FNM_PERIOD (so `.swp` itself, a dot file, is read).
 */
export function isTaboo(name: string, exts: readonly string[], pats: readonly string[]): boolean {
  return exts.some((ext) => segmentRegExp(`*${ext}`).test(name)) || pats.some((p) => segmentRegExp(p).test(name));
}

/** Loads a config path (file or directory) and everything it includes. */
export function loadConfig(path: string, source: ConfigSource): ParsedConfig {
  const state: State = {
    source,
    defaults: defaultOptions(),
    tabooExts: [...DEFAULT_TABOO_EXTS],
    tabooPats: [],
    out: { files: [], stanzas: [], findings: [], includeErrors: 0 },
  };
  readPath(path, { file: path, line: 0 }, state);
  return state.out;
}

function readPath(path: string, from: Where, st: State): boolean {
  const listing = st.source.listDir(path);
  if (listing && !Array.isArray(listing)) {
    st.out.includeErrors++;
    st.out.findings.push(
      finding(
        'error',
        'include-unreadable',
        from,
        `cannot read ${path}: ${listing.error}`,
        'fix or remove the include; logrotate stops reading this file here',
        path,
      ),
    );
    return false;
  }
  if (Array.isArray(listing)) {
    for (const name of [...listing].sort()) {
      if (isTaboo(name, st.tabooExts, st.tabooPats)) {
        st.out.files.push({ path: `${path.replace(/\/$/, '')}/${name}`, ignored: 'taboo extension or pattern' });
        continue;
      }
      readFile(`${path.replace(/\/$/, '')}/${name}`, from, st, true);
    }
    return true;
  }
  return readFile(path, from, st, false);
}

function readFile(path: string, from: Where, st: State, inDir: boolean): boolean {
  const r = st.source.readFile(path);
  if ('error' in r) {
    if (inDir) return true; // vanished between listing and reading
    st.out.includeErrors++;
    st.out.findings.push(
      finding(
        'error',
        'include-unreadable',
        from,
        `cannot read ${path}: ${r.error}`,
        'fix or remove the include; logrotate stops reading the including file there',
        path,
      ),
    );
    return false;
  }
  st.out.files.push({ path, ignored: r.ignored });
  parseText(r.text, path, st, r.ignored);
  return true;
}

/** Parses one file's text into the shared state. */
function parseText(text: string, file: string, st: State, ignored: string | null): void {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  // Declared with `as` so TypeScript does not narrow them inside the closures below.
  let stanza = null as Stanza | null;
  let pendingPaths = null as { words: string[]; line: number } | null;
  let script = null as {
    kind: ScriptKind;
    line: number;
    bodyLine: number;
    body: string[];
    target: Options;
  } | null;
  // An ignored file is still read, so its stanzas can be judged (their targets will not rotate).
  const stanzasBefore = st.out.stanzas.length;
  const push = (f: Finding) => st.out.findings.push(f);
  const opts = () => (stanza ? stanza.options : st.defaults);
  const stanzaError = (where: Where, code: string, message: string, fix?: string) => {
    push(finding('error', code, where, message, fix));
    if (stanza && !stanza.skipReason) stanza.skipReason = `${file}:${where.line}: ${message}`;
  };

  const openStanza = (words: string[], line: number) => {
    stanza = { file, line, patterns: words, options: cloneOptions(st.defaults), skipReason: null };
    if (words.length === 0)
      push(finding('error', 'empty-stanza', { file, line }, 'a { block with no log path before it'));
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = { file, line: lineNo };
    const raw = lines[i]!;
    const line = raw.replace(/^[ \t]+/, '');

    if (script) {
      if (/^endscript\s*$/.test(line)) {
        script.target.scripts[script.kind] = {
          body: script.body.join('\n'),
          bodyLine: script.bodyLine,
          file,
          line: script.line,
        };
        script = null;
      } else script.body.push(raw);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;

    if (pendingPaths) {
      // Paths may run over several lines until the opening brace.
      const brace = line.indexOf('{');
      const words = splitWords(brace >= 0 ? line.slice(0, brace) : line);
      pendingPaths.words.push(...(words ?? []));
      if (brace >= 0) {
        openStanza(pendingPaths.words, pendingPaths.line);
        pendingPaths = null;
        if (line.slice(brace + 1).trim())
          push(
            finding(
              'warning',
              'text-after-brace',
              where,
              `text after "{" is ignored: "${line.slice(brace + 1).trim()}"`,
            ),
          );
      }
      continue;
    }

    if (line.startsWith('}')) {
      if (!stanza) {
        push(finding('error', 'unexpected-brace', where, 'unexpected }: no block is open here', 'remove the extra }'));
        continue;
      }
      st.out.stanzas.push(stanza);
      stanza = null;
      continue;
    }

    if (/^[/"'~]/.test(line)) {
      if (stanza) {
        stanzaError(where, 'nested-stanza', 'a log path inside another block');
        continue;
      }
      const brace = line.indexOf('{');
      const words = splitWords(brace >= 0 ? line.slice(0, brace) : line);
      if (!words) {
        push(finding('error', 'unbalanced-quote', where, 'unbalanced quote in the log path list'));
        continue;
      }
      if (brace >= 0) openStanza(words, lineNo);
      else pendingPaths = { words, line: lineNo };
      continue;
    }

    const m = /^([A-Za-z]+)(.*)$/.exec(line);
    if (!m) {
      push(
        finding(
          'error',
          'bad-line',
          where,
          `lines must begin with a directive or a log path, not "${line.trim().slice(0, 40)}"`,
        ),
      );
      continue;
    }
    const key = m[1]!.toLowerCase();
    let rest = m[2]!;
    if (rest && !/^[\s=]/.test(rest)) {
      const msg = `"${m[1]}" is not followed by a space: a log path must start with / or a quote`;
      if (stanza) stanzaError(where, 'bad-keyword', msg);
      else push(finding('error', 'bad-keyword', where, msg, 'write the log path as an absolute path'));
      continue;
    }
    rest = rest.replace(/^\s*=?\s*/, '').trim();
    // Arguments may be quoted, e.g. su "foo bar" 'bar baz' (logrotate's own tests do this).
    const args = rest === '' ? [] : (splitWords(rest) ?? rest.split(/\s+/));
    const o = opts();

    if (key in FLAGS) {
      const [field, value] = FLAGS[key]!;
      (o as unknown as Record<string, unknown>)[field] = value;
      continue;
    }
    if (SCRIPTS.has(key as ScriptKind)) {
      script = {
        kind: key as ScriptKind,
        line: lineNo,
        bodyLine: rest ? lineNo : lineNo + 1,
        body: rest ? [rest] : [],
        target: o,
      };
      continue;
    }
    switch (key) {
      case 'endscript':
        push(finding('warning', 'stray-endscript', where, 'endscript without a script'));
        break;
      case 'create':
      case 'createolddir': {
        // [mode [owner [group]]]; logrotate reads the mode with %o, so a non-octal digit ends it.
        if (args.length > 3 || (args[0] !== undefined && !/^[0-7]+$/.test(args[0]))) {
          stanzaError(
            where,
            `bad-${key}`,
            `bad ${key} arguments "${rest}": expected [octal mode [owner [group]]]`,
            `write e.g. ${key} 0640 mongod mongod`,
          );
          break;
        }
        o[key] = { mode: args[0] ?? null, user: args[1] ?? null, group: args[2] ?? null, file, line: lineNo };
        break;
      }
      case 'nocreate':
        o.create = null;
        break;
      case 'nocreateolddir':
        o.createolddir = null;
        break;
      case 'su':
        if (args.length < 1 || args.length > 2) {
          stanzaError(where, 'bad-su', 'su needs a user and optionally a group');
          break;
        }
        o.su = { user: args[0]!, group: args[1] ?? null, file, line: lineNo };
        break;
      case 'olddir':
        if (args.length !== 1) {
          stanzaError(where, 'bad-olddir', 'olddir needs exactly one directory');
          break;
        }
        o.olddir = { path: splitWords(rest)?.[0] ?? args[0]!, file, line: lineNo };
        break;
      case 'noolddir':
        o.olddir = null;
        break;
      case 'compresscmd':
      case 'uncompresscmd':
        if (args.length !== 1) {
          stanzaError(where, `bad-${key}`, `${key} needs exactly one program`);
          break;
        }
        o[key] = { path: args[0]!, file, line: lineNo };
        break;
      case 'rotate': {
        const n = cNumber(rest);
        if (n === null || n < -1)
          stanzaError(where, 'bad-rotate', `bad rotation count "${rest}"`, 'give a whole number, e.g. rotate 7');
        break;
      }
      case 'start':
      case 'minage':
      case 'maxage':
      case 'shredcycles': {
        // strtoul into an int: a sign, trailing text or a value past INT_MAX is refused
        const n = rest.startsWith('-') ? null : cNumber(rest);
        if (n === null || n > 2 ** 31 - 1)
          stanzaError(where, `bad-${key}`, `bad ${key} "${rest}"`, `give a whole number, e.g. ${key} 30`);
        break;
      }
      case 'weekly':
        if (rest !== '' && !(/^\d+$/.test(rest) && Number(rest) <= 7))
          stanzaError(
            where,
            'bad-weekly',
            `bad weekly directive "${rest}"`,
            'give a weekday 0-6, or 7 for once a week',
          );
        break;
      case 'size':
      case 'maxsize':
      case 'minsize':
        if (!/^\d+(\.\d+)?[kMG]?$/.test(rest))
          stanzaError(where, 'bad-size', `bad ${key} "${rest}"`, 'give a size like 100k, 10M or 1G');
        break;
      case 'include':
        if (stanza) {
          push(
            finding('warning', 'include-in-stanza', where, 'include inside a block is not read as a global include'),
          );
          break;
        }
        readPath(rest, where, st);
        break;
      case 'tabooext':
      case 'taboopat': {
        if (stanza) {
          stanzaError(
            where,
            `${key}-in-stanza`,
            `${key} may not appear inside a block`,
            `move ${key} before the blocks`,
          );
          break;
        }
        const add = rest.startsWith('+');
        const list = rest
          .replace(/^\+\s*/, '')
          .split(/[\s,]+/)
          .filter(Boolean);
        if (key === 'tabooext') st.tabooExts = add ? [...st.tabooExts, ...list] : list;
        else st.tabooPats = add ? [...st.tabooPats, ...list] : list;
        break;
      }
      default:
        if (!OTHER.has(key))
          push(
            finding(
              'warning',
              'unknown-directive',
              where,
              `unknown directive "${m[1]}": logrotate prints an error and ignores the line`,
              'remove or correct it',
            ),
          );
    }
  }
  if (script) {
    push(
      finding(
        'error',
        'unterminated-script',
        { file, line: script.line },
        `${script.kind} has no endscript`,
        'end the script with a line "endscript"',
      ),
    );
  }
  if (pendingPaths) {
    push(finding('error', 'no-brace', { file, line: pendingPaths.line }, 'log paths with no { block after them'));
  }
  if (stanza) {
    // logrotate 3.21 accepts a block left open at the end of a file.
    push(
      finding(
        'warning',
        'unclosed-stanza',
        { file, line: stanza.line },
        'this block has no closing }; logrotate accepts it at the end of the file',
        'add the }',
      ),
    );
    st.out.stanzas.push(stanza);
  }
  if (ignored) {
    for (const s of st.out.stanzas.slice(stanzasBefore)) s.skipReason ??= `${file} is ignored: ${ignored}`;
  }
}
