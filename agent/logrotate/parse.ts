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
import {
  cloneOptions,
  defaultOptions,
  finding,
  splitWords,
  type ConfigSource,
  type Options,
  type ParsedConfig,
  type ScriptKind,
  type Stanza,
  type Where,
} from './config-model.js';
import { applyDirective, type Directive, type DirectiveContext } from './directives.js';
import { segmentRegExp } from './glob.js';

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

interface State {
  source: ConfigSource;
  defaults: Options;
  tabooExts: string[];
  tabooPats: string[];
  out: ParsedConfig;
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
    return unreadable(path, listing.error, from, st, 'this file here');
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

/** An include that cannot be read: logrotate stops reading the file that named it. */
function unreadable(path: string, error: string, from: Where, st: State, stopsAt: string): false {
  st.out.includeErrors++;
  st.out.findings.push(
    finding(
      'error',
      'include-unreadable',
      from,
      `cannot read ${path}: ${error}`,
      `fix or remove the include; logrotate stops reading ${stopsAt}`,
      path,
    ),
  );
  return false;
}

function readFile(path: string, from: Where, st: State, inDir: boolean): boolean {
  const r = st.source.readFile(path);
  if ('error' in r) {
    if (inDir) return true; // vanished between listing and reading
    return unreadable(path, r.error, from, st, 'the including file there');
  }
  st.out.files.push({ path, ignored: r.ignored });
  new FileParser(path, st).parse(r.text, r.ignored);
  return true;
}

/** A script being read: its lines up to `endscript`, and the options it belongs to. */
interface OpenScript {
  kind: ScriptKind;
  line: number;
  bodyLine: number;
  body: string[];
  target: Options;
}

/** Parses one file's text into the shared state, a line at a time. */
class FileParser implements DirectiveContext {
  private stanza: Stanza | null = null;
  /** Paths may run over several lines until the opening brace. */
  private pendingPaths: { words: string[]; line: number } | null = null;
  private script: OpenScript | null = null;

  constructor(
    private readonly file: string,
    private readonly st: State,
  ) {}

  get options(): Options {
    return this.stanza ? this.stanza.options : this.st.defaults;
  }

  get inStanza(): boolean {
    return this.stanza !== null;
  }

  push(f: Finding): void {
    this.st.out.findings.push(f);
  }

  stanzaError(where: Where, code: string, message: string, fix?: string): void {
    this.push(finding('error', code, where, message, fix));
    if (this.stanza && !this.stanza.skipReason) this.stanza.skipReason = `${this.file}:${where.line}: ${message}`;
  }

  startScript(kind: ScriptKind, { rest, where }: Directive): void {
    const bodyLine = rest ? where.line : where.line + 1;
    this.script = { kind, line: where.line, bodyLine, body: rest ? [rest] : [], target: this.options };
  }

  include(path: string, from: Where): void {
    readPath(path, from, this.st);
  }

  setTaboo(key: 'tabooext' | 'taboopat', list: string[], add: boolean): void {
    if (key === 'tabooext') this.st.tabooExts = add ? [...this.st.tabooExts, ...list] : list;
    else this.st.tabooPats = add ? [...this.st.tabooPats, ...list] : list;
  }

  parse(text: string, ignored: string | null): void {
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    // An ignored file is still read, so its stanzas can be judged (their targets will not rotate).
    const stanzasBefore = this.st.out.stanzas.length;
    lines.forEach((raw, i) => this.line(raw, { file: this.file, line: i + 1 }));
    this.finish();
    if (ignored) {
      for (const s of this.st.out.stanzas.slice(stanzasBefore)) s.skipReason ??= `${this.file} is ignored: ${ignored}`;
    }
  }

  private line(raw: string, where: Where): void {
    const line = raw.replace(/^[ \t]+/, '');
    if (this.script) return this.scriptLine(this.script, raw, line);
    if (line === '' || line.startsWith('#')) return;
    if (this.pendingPaths) return this.morePaths(this.pendingPaths, line, where);
    if (line.startsWith('}')) return this.closeStanza(where);
    if (/^[/"'~]/.test(line)) return this.pathLine(line, where);
    this.directiveLine(line, where);
  }

  private scriptLine(script: OpenScript, raw: string, line: string): void {
    if (!/^endscript\s*$/.test(line)) {
      script.body.push(raw);
      return;
    }
    const { kind, bodyLine } = script;
    script.target.scripts[kind] = { body: script.body.join('\n'), bodyLine, file: this.file, line: script.line };
    this.script = null;
  }

  private openStanza(words: string[], line: number): void {
    const { file } = this;
    this.stanza = { file, line, patterns: words, options: cloneOptions(this.st.defaults), skipReason: null };
    if (words.length === 0)
      this.push(finding('error', 'empty-stanza', { file, line }, 'a { block with no log path before it'));
  }

  private morePaths(pending: { words: string[]; line: number }, line: string, where: Where): void {
    const brace = line.indexOf('{');
    const words = splitWords(brace >= 0 ? line.slice(0, brace) : line);
    pending.words.push(...(words ?? []));
    if (brace < 0) return;
    this.openStanza(pending.words, pending.line);
    this.pendingPaths = null;
    const after = line.slice(brace + 1).trim();
    if (after) this.push(finding('warning', 'text-after-brace', where, `text after "{" is ignored: "${after}"`));
  }

  private closeStanza(where: Where): void {
    if (!this.stanza) {
      this.push(
        finding('error', 'unexpected-brace', where, 'unexpected }: no block is open here', 'remove the extra }'),
      );
      return;
    }
    this.st.out.stanzas.push(this.stanza);
    this.stanza = null;
  }

  private pathLine(line: string, where: Where): void {
    if (this.stanza) return this.stanzaError(where, 'nested-stanza', 'a log path inside another block');
    const brace = line.indexOf('{');
    const words = splitWords(brace >= 0 ? line.slice(0, brace) : line);
    if (!words) return this.push(finding('error', 'unbalanced-quote', where, 'unbalanced quote in the log path list'));
    if (brace >= 0) this.openStanza(words, where.line);
    else this.pendingPaths = { words, line: where.line };
  }

  private directiveLine(line: string, where: Where): void {
    const m = /^([A-Za-z]+)(.*)$/.exec(line);
    if (!m) {
      const message = `lines must begin with a directive or a log path, not "${line.trim().slice(0, 40)}"`;
      return this.push(finding('error', 'bad-line', where, message));
    }
    const name = m[1]!;
    const after = m[2]!;
    if (after && !/^[\s=]/.test(after)) {
      const msg = `"${name}" is not followed by a space: a log path must start with / or a quote`;
      if (this.stanza) this.stanzaError(where, 'bad-keyword', msg);
      else this.push(finding('error', 'bad-keyword', where, msg, 'write the log path as an absolute path'));
      return;
    }
    const rest = after.replace(/^\s*=?\s*/, '').trim();
    // Arguments may be quoted, e.g. su "foo bar" 'bar baz' (logrotate's own tests do this).
    const args = rest === '' ? [] : (splitWords(rest) ?? rest.split(/\s+/));
    applyDirective({ key: name.toLowerCase(), name, rest, args, where }, this);
  }

  /** What is left open at the end of the file. */
  private finish(): void {
    const { file } = this;
    if (this.script) {
      const { kind, line } = this.script;
      const fix = 'end the script with a line "endscript"';
      this.push(finding('error', 'unterminated-script', { file, line }, `${kind} has no endscript`, fix));
    }
    if (this.pendingPaths) {
      const where = { file, line: this.pendingPaths.line };
      this.push(finding('error', 'no-brace', where, 'log paths with no { block after them'));
    }
    if (this.stanza) {
      // logrotate 3.21 accepts a block left open at the end of a file.
      const message = 'this block has no closing }; logrotate accepts it at the end of the file';
      this.push(finding('warning', 'unclosed-stanza', { file, line: this.stanza.line }, message, 'add the }'));
      this.st.out.stanzas.push(this.stanza);
    }
  }
}
