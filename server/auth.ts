import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Constant-time comparison of a presented token against the expected one (hashing first hides the length). */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The credential a request carries: `Authorization: Bearer T`, or `access_token=T` in the query (browsers cannot set headers on WebSockets). */
export function presentedToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m) return m[1]!.trim();
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get('access_token');
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
