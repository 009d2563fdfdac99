import { readdirSync } from 'node:fs';
import path from 'node:path';

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * One path segment of glob(3) syntax as a regular expression, matched as
 * fnmatch(3) with FNM_PERIOD does: `*`, `?`, `[...]`/`[!...]`, `\\` quoting the
 * next character; wildcards and brackets do not match a leading dot. The one
 * converter for both users: path globs (expandGlob, the checks) and
 * logrotate's taboo patterns (parse.ts: logrotate calls fnmatch with
 * FNM_PERIOD on each file name of an included directory).
 */
export function segmentRegExp(segment: string): RegExp {
  const literal = (c: string) => c.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < segment.length) re += literal(segment[++i]!);
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/[\\\]]/g, '\\$&')}]`; // a ] or a backslash in the set is itself
      i = end;
    } else re += literal(c);
  }
  const leadingDotAllowed = segment.startsWith('.');
  return new RegExp(`^${leadingDotAllowed ? '' : '(?!\\.)'}${re}$`);
}

/** Expands an absolute glob like glob(3) without GLOB_NOCHECK: sorted matches, [] when nothing matches. */
export function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let bases = [parts[0] === '' ? '/' : '.'];
  for (const part of parts.slice(parts[0] === '' ? 1 : 0)) {
    const next: string[] = [];
    for (const base of bases) {
      if (!hasGlob(part)) {
        next.push(path.join(base, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      const re = segmentRegExp(part);
      for (const n of names.sort()) if (re.test(n)) next.push(path.join(base, n));
    }
    bases = next;
  }
  return bases;
}
