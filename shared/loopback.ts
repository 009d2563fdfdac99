/** A host name or address that stays on this machine. Here (not in server/auth.ts) so the agent's CLI path need not load node:crypto. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
