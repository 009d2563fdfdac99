import { readdirSync } from 'node:fs';
import path from 'node:path';

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** One path segment of glob(3) syntax as a regular expression: `*`, `?`, `[...]`/`[!...]`; wildcards do not match a leading dot. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
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
