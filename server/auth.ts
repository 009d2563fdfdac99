import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a presented token against the expected one (hashing first hides the length). */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export { isLoopback } from '../shared/loopback.js';
