import { describe, expect, it } from 'vitest';
import { BASE64_PATTERN, isBase64 } from '../../shared/wire-limits.js';

// Expected by hand from RFC 4648 §4 as the protocol uses it: whole groups of four digits of A–Z a–z 0–9 + /,
// the last group possibly ending in one `=` (3 digits) or two (2 digits); nothing else, no line breaks.
const cases: [string, boolean][] = [
  ['', true],
  ['AAAA', true],
  ['AAAAAAAA', true],
  ['AA==', true],
  ['AAA=', true],
  ['ab+/09Zz', true],
  ['kFZoH0Z0AkA=', true],
  ['A', false],
  ['AAA', false],
  ['AAAAA', false],
  ['A===', false],
  ['====', false],
  ['=AAA', false],
  ['AA=A', false],
  ['AA==AAAA', false],
  ['AAAA====', false],
  ['AA-_', false],
  ['AAA\n', false],
  ['AA A', false],
  ['AAAé', false],
  ['AAA\u0141', false],
];

describe('isBase64', () => {
  it.each(cases)('%j → %s', (text, expected) => {
    expect(isBase64(text)).toBe(expected);
    // The pattern the batch schema uses says the same.
    expect(BASE64_PATTERN.test(text)).toBe(expected);
  });
});
