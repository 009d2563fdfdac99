import { createHmac } from 'node:crypto';
import { endpoint } from './payloads.js';
import type { Receiver } from './notify.js';

const REQUEST_TIMEOUT_MS = 5000;

/** POSTs a body with the receiver's headers, credentials from its URL as Basic auth, and a webhook's signature. */
export function post(r: Receiver, body: unknown): Promise<Response> {
  const url = new URL(endpoint(r));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(r.headers ?? {}) };
  if (url.username || url.password) {
    // fetch refuses URLs with credentials: send them as the header they stand for
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const text = JSON.stringify(body);
  if (r.secret) Object.assign(headers, signature(r.secret, text, Math.floor(Date.now() / 1000)));
  return fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/**
 * X-Tidemark-Timestamp (unix seconds) and X-Tidemark-Signature:
 * sha256=hex(HMAC-SHA256(secret, "<timestamp>.<body>")). The receiver
 * recomputes it and rejects old timestamps, so a captured request cannot be replayed later.
 */
function signature(secret: string, body: string, ts: number): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  return { 'x-tidemark-timestamp': String(ts), 'x-tidemark-signature': `sha256=${mac}` };
}
