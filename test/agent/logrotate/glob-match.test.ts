import { describe, expect, it } from 'vitest';
import { segmentRegExp } from '../../../agent/logrotate/glob.js';
import { DEFAULT_TABOO_EXTS, isTaboo } from '../../../agent/logrotate/parse.js';

/** Expectations from fnmatch(3) with FNM_PERIOD and glob(7), case by case. */
const matches = (pattern: string, name: string) => segmentRegExp(pattern).test(name);

describe('the one glob converter (fnmatch with FNM_PERIOD)', () => {
  it('wildcards match within a name but not its leading dot', () => {
    expect(matches('*.log', 'app.log')).toBe(true);
    expect(matches('*.log', 'app.log.1')).toBe(false);
    expect(matches('*.log', '.app.log')).toBe(false); // a leading period must be matched by a period
    expect(matches('.*', '.hidden')).toBe(true);
    expect(matches('?pp.log', '.pp.log')).toBe(false);
    expect(matches('a?c', 'abc')).toBe(true);
    expect(matches('a?c', 'ac')).toBe(false);
    expect(matches('*', 'a/b')).toBe(false); // never across a slash
  });

  it('brackets: sets, ranges, negation with ! or ^, a leading ]', () => {
    expect(matches('[ab]x', 'bx')).toBe(true);
    expect(matches('[ab]x', 'cx')).toBe(false);
    expect(matches('[!ab]x', 'cx')).toBe(true);
    expect(matches('[!ab]x', 'ax')).toBe(false);
    expect(matches('[^ab]x', 'cx')).toBe(true);
    expect(matches('log[0-9]', 'log7')).toBe(true);
    expect(matches('log[0-9]', 'logx')).toBe(false);
    expect(matches('[]]x', ']x')).toBe(true);
    expect(matches('[.]x', '.x')).toBe(false); // a bracket cannot match a leading period either
    expect(matches('a[b', 'a[b')).toBe(true); // an unclosed bracket is itself
  });

  it('a backslash quotes the next character; other characters are themselves', () => {
    expect(matches('a\\*b', 'a*b')).toBe(true);
    expect(matches('a\\*b', 'axb')).toBe(false);
    expect(matches('a\\?', 'a?')).toBe(true);
    expect(matches('a+b(1).log', 'a+b(1).log')).toBe(true);
    expect(matches('a.log', 'axlog')).toBe(false);
    expect(matches('$x^{1}|y', '$x^{1}|y')).toBe(true);
  });
});

describe('taboo files of an included directory', () => {
  it('skips names ending in a taboo extension, as "*EXT" patterns', () => {
    expect(isTaboo('nginx.dpkg-old', DEFAULT_TABOO_EXTS, [])).toBe(true);
    expect(isTaboo('vimrc.swp', DEFAULT_TABOO_EXTS, [])).toBe(true);
    expect(isTaboo('backup~', DEFAULT_TABOO_EXTS, [])).toBe(true);
    expect(isTaboo('nginx', DEFAULT_TABOO_EXTS, [])).toBe(false);
  });

  it('reads a dot file that is only the extension: "*.swp" does not match ".swp"', () => {
    expect(isTaboo('.swp', DEFAULT_TABOO_EXTS, [])).toBe(false);
  });

  it('applies taboo patterns with the same rules', () => {
    expect(isTaboo('old-app', [], ['[!x]ld*'])).toBe(true);
    expect(isTaboo('xld-app', [], ['[!x]ld*'])).toBe(false);
    expect(isTaboo('.hidden', [], ['*'])).toBe(false);
    expect(isTaboo('.hidden', [], ['.*'])).toBe(true);
  });
});
