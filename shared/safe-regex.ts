/**
 * Patterns people type into silences and rule matchers, run with RE2
 * semantics (re2js, a pure-JavaScript port of RE2): matching takes time
 * linear in the input whatever the pattern, so `(a+)+$` against a long host id
 * costs microseconds instead of hanging the server. RE2 has no backreferences
 * or lookaround; such patterns are refused with RE2's reason when they are
 * stored, not when they run.
 */
import { RE2JS } from 're2js';
import { errorMessage } from './errors.js';

/** Longest pattern accepted: silences and matchers name hosts, devices and arrays. */
export const MAX_PATTERN_LENGTH = 256;

export interface FullMatcher {
  /** Whether the whole of `s` matches the pattern (as if it were anchored with ^(?:…)$). */
  test(s: string): boolean;
}

/** Compiles a pattern that must match a whole value; throws an Error saying why it cannot be used. */
export function compileFullMatch(pattern: string): FullMatcher {
  if (typeof pattern !== 'string') throw new Error('a pattern is a string');
  if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(`not a valid RE2 pattern (no backreferences or lookaround): ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return { test: (s: string) => re.matches(s) };
}
