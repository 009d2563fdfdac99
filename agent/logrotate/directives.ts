/**
 * One handler per logrotate directive, as config.c's big if/else reads them:
 * each sets the options it owns on the open stanza (or the defaults, outside
 * a stanza) and reports what logrotate would refuse. A refusal inside a stanza
 * makes logrotate skip the stanza (`stanzaError`); outside, it is a finding.
 */
import type { Finding } from '../../shared/findings.js';
import { cNumber, finding, splitWords, type Options, type ScriptKind, type Where } from './config-model.js';

/** One directive line: `key` lower-cased, `name` as written, `rest` the argument text, `args` its words. */
export interface Directive {
  key: string;
  name: string;
  rest: string;
  args: string[];
  where: Where;
}

/** What a handler may change: the options in force, the file's findings, scripts, includes and taboo lists. */
export interface DirectiveContext {
  /** The open stanza's options, or the defaults for the stanzas after this line. */
  readonly options: Options;
  readonly inStanza: boolean;
  push(f: Finding): void;
  /** An error that makes logrotate skip the open stanza. */
  stanzaError(where: Where, code: string, message: string, fix?: string): void;
  /** The lines up to `endscript` are the script's body. */
  startScript(kind: ScriptKind, d: Directive): void;
  include(path: string, from: Where): void;
  setTaboo(key: 'tabooext' | 'taboopat', list: string[], add: boolean): void;
}

type Handler = (d: Directive, cx: DirectiveContext) => void;

type FlagOption = 'missingok' | 'copy' | 'copytruncate' | 'renamecopy' | 'compress' | 'ifempty';

function flag(field: FlagOption, value: boolean): Handler {
  return (_d, cx) => {
    cx.options[field] = value;
  };
}

const FLAGS: Record<string, Handler> = {
  missingok: flag('missingok', true),
  nomissingok: flag('missingok', false),
  copy: flag('copy', true),
  nocopy: flag('copy', false),
  copytruncate: flag('copytruncate', true),
  nocopytruncate: flag('copytruncate', false),
  renamecopy: flag('renamecopy', true),
  norenamecopy: flag('renamecopy', false),
  compress: flag('compress', true),
  nocompress: flag('compress', false),
  ifempty: flag('ifempty', true),
  notifempty: flag('ifempty', false),
};

const SCRIPT_KINDS: readonly ScriptKind[] = ['prerotate', 'postrotate', 'firstaction', 'lastaction', 'preremove'];

/** Directives logrotate knows that the checks need not interpret. */
const IGNORED = [
  'compressext',
  'compressoptions',
  'daily',
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
  'sharedscripts',
  'nosharedscripts',
  'shred',
  'noshred',
  'allowhardlink',
  'noallowhardlink',
  'ignoreduplicates',
  'errors',
];

/** create / createolddir [mode [owner [group]]]; logrotate reads the mode with %o, so a non-octal digit ends it. */
function ownerDirective(key: 'create' | 'createolddir'): Handler {
  return ({ args, rest, where }, cx) => {
    if (args.length > 3 || (args[0] !== undefined && !/^[0-7]+$/.test(args[0]))) {
      const message = `bad ${key} arguments "${rest}": expected [octal mode [owner [group]]]`;
      cx.stanzaError(where, `bad-${key}`, message, `write e.g. ${key} 0640 mongod mongod`);
      return;
    }
    cx.options[key] = { mode: args[0] ?? null, user: args[1] ?? null, group: args[2] ?? null, ...where };
  };
}

/** compresscmd / uncompresscmd PROGRAM. */
function programDirective(key: 'compresscmd' | 'uncompresscmd'): Handler {
  return ({ args, where }, cx) => {
    if (args.length !== 1) return cx.stanzaError(where, `bad-${key}`, `${key} needs exactly one program`);
    cx.options[key] = { path: args[0]!, ...where };
  };
}

/** start, minage, maxage, shredcycles: strtoul into an int, so a sign, trailing text or a value past INT_MAX is refused. */
function countDirective(key: string): Handler {
  return ({ rest, where }, cx) => {
    const n = rest.startsWith('-') ? null : cNumber(rest);
    if (n === null || n > 2 ** 31 - 1)
      cx.stanzaError(where, `bad-${key}`, `bad ${key} "${rest}"`, `give a whole number, e.g. ${key} 30`);
  };
}

function sizeDirective(key: string): Handler {
  return ({ rest, where }, cx) => {
    if (!/^\d+(\.\d+)?[kMG]?$/.test(rest))
      cx.stanzaError(where, 'bad-size', `bad ${key} "${rest}"`, 'give a size like 100k, 10M or 1G');
  };
}

function tabooDirective(key: 'tabooext' | 'taboopat'): Handler {
  return ({ rest, where }, cx) => {
    if (cx.inStanza) {
      cx.stanzaError(
        where,
        `${key}-in-stanza`,
        `${key} may not appear inside a block`,
        `move ${key} before the blocks`,
      );
      return;
    }
    const list = rest
      .replace(/^\+\s*/, '')
      .split(/[\s,]+/)
      .filter(Boolean);
    cx.setTaboo(key, list, rest.startsWith('+'));
  };
}

const HANDLERS: Record<string, Handler> = {
  endscript: ({ where }, cx) => cx.push(finding('warning', 'stray-endscript', where, 'endscript without a script')),
  create: ownerDirective('create'),
  createolddir: ownerDirective('createolddir'),
  nocreate: (_d, cx) => {
    cx.options.create = null;
  },
  nocreateolddir: (_d, cx) => {
    cx.options.createolddir = null;
  },
  su: ({ args, where }, cx) => {
    if (args.length < 1 || args.length > 2)
      return cx.stanzaError(where, 'bad-su', 'su needs a user and optionally a group');
    cx.options.su = { user: args[0]!, group: args[1] ?? null, ...where };
  },
  olddir: ({ args, rest, where }, cx) => {
    if (args.length !== 1) return cx.stanzaError(where, 'bad-olddir', 'olddir needs exactly one directory');
    cx.options.olddir = { path: splitWords(rest)?.[0] ?? args[0]!, ...where };
  },
  noolddir: (_d, cx) => {
    cx.options.olddir = null;
  },
  compresscmd: programDirective('compresscmd'),
  uncompresscmd: programDirective('uncompresscmd'),
  rotate: ({ rest, where }, cx) => {
    const n = cNumber(rest);
    if (n === null || n < -1)
      cx.stanzaError(where, 'bad-rotate', `bad rotation count "${rest}"`, 'give a whole number, e.g. rotate 7');
  },
  start: countDirective('start'),
  minage: countDirective('minage'),
  maxage: countDirective('maxage'),
  shredcycles: countDirective('shredcycles'),
  weekly: ({ rest, where }, cx) => {
    if (rest !== '' && !(/^\d+$/.test(rest) && Number(rest) <= 7))
      cx.stanzaError(where, 'bad-weekly', `bad weekly directive "${rest}"`, 'give a weekday 0-6, or 7 for once a week');
  },
  size: sizeDirective('size'),
  maxsize: sizeDirective('maxsize'),
  minsize: sizeDirective('minsize'),
  include: ({ rest, where }, cx) => {
    if (cx.inStanza) {
      const message = 'include inside a block is not read as a global include';
      return cx.push(finding('warning', 'include-in-stanza', where, message));
    }
    cx.include(rest, where);
  },
  tabooext: tabooDirective('tabooext'),
  taboopat: tabooDirective('taboopat'),
};

const DIRECTIVES = new Map<string, Handler>([
  ...IGNORED.map((key): [string, Handler] => [key, () => {}]),
  ...Object.entries(FLAGS),
  ...SCRIPT_KINDS.map((kind): [string, Handler] => [kind, (d, cx) => cx.startScript(kind, d)]),
  ...Object.entries(HANDLERS),
]);

/** Applies one directive; one logrotate does not know is a warning (it prints an error and ignores the line). */
export function applyDirective(d: Directive, cx: DirectiveContext): void {
  const handler = DIRECTIVES.get(d.key);
  if (handler) return handler(d, cx);
  const message = `unknown directive "${d.name}": logrotate prints an error and ignores the line`;
  cx.push(finding('warning', 'unknown-directive', d.where, message, 'remove or correct it'));
}
