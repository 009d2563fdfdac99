/**
 * Who may do what. Three kinds of caller: agents (write samples, nothing
 * else), people with a read-only credential (dashboard, API reads, /metrics)
 * and people with an admin credential (also silence, acknowledge, retire).
 * Every decision is made on the normalised path (decoded, lower-cased, slashes
 * collapsed), so no spelling of /api, /metrics or /ws/* routes around it, and
 * every request that is not a read needs admin, whatever its path.
 */
import type { IncomingMessage } from 'node:http';
import { isLoopback, tokenMatches } from './auth.js';
import type { Role, TokenStore } from './token-store.js';

export interface Principal {
  role: Role;
  /** Who: the agent id or the person's name, for logs. */
  name: string;
  /** For agents: the only agent id this credential may write as; null lets it write as any (the shared fleet token). */
  agentId: string | null;
}

export interface AccessOptions {
  /** Address the server listens on: beyond loopback a person credential is required. */
  host: string;
  /** The shared agent token (fleet-wide: may write as any agent id). */
  agentToken: string;
  /** Admin credential for people. */
  apiToken: string | null;
  /** Read-only credential for people. */
  readToken?: string | null;
  /** Per-agent and per-person credentials from the data directory. */
  tokens?: TokenStore | null;
  /**
   * Names besides this server's own a browser may use to reach it: a proxy's
   * name in Origin (a proxy that does not pass Host on), and in Host while the
   * API is open on loopback.
   */
  allowedHosts?: string[];
}

/** Browsers' WebSocket cannot set headers: the dashboard offers `tidemark` and `tidemark.bearer.<base64url token>` as subprotocols. */
export const WS_SUBPROTOCOL = 'tidemark';
const WS_BEARER_PREFIX = 'tidemark.bearer.';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The path as the authorisation check sees it: percent-decoded (repeatedly), lower case, one slash, no trailing slash. */
function normalisedPath(rawUrl: string): string {
  let p = rawUrl.split(/[?#]/, 1)[0] ?? '/';
  for (let i = 0; i < 4; i++) {
    let d: string;
    try {
      d = decodeURIComponent(p);
    } catch {
      break;
    }
    if (d === p) break;
    p = d;
  }
  p = ('/' + p.replace(/\\/g, '/')).replace(/\/+/g, '/').toLowerCase();
  // Dot segments: /./api and /x/../api are /api to anything that resolves them.
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

const under = (p: string, prefix: string) => p === prefix || p.startsWith(prefix + '/');

/** Paths that hold data: everything under /api, /metrics and /ws. The rest is the dashboard's static files and /healthz. */
function isDataPath(p: string): boolean {
  return under(p, '/api') || under(p, '/metrics') || under(p, '/ws');
}

/** The bearer token in the Authorization header (never the query string: URLs end up in logs and proxies). */
function headerToken(req: IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

/** The dashboard WebSocket's token: the Authorization header, else the `tidemark.bearer.` subprotocol. */
function dashboardSocketToken(req: IncomingMessage): string | null {
  const fromHeader = headerToken(req);
  if (fromHeader) return fromHeader;
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
  const bearer = offered.find((p) => p.startsWith(WS_BEARER_PREFIX));
  return bearer ? Buffer.from(bearer.slice(WS_BEARER_PREFIX.length), 'base64url').toString('utf8') : null;
}

export type Decision = { ok: true; who: Principal | null } | { ok: false; status: 401 | 403; reason: string };

export class Access {
  constructor(private readonly opts: AccessOptions) {}

  /** No credential for people exists: the API is open, which is allowed on loopback only. */
  get open(): boolean {
    return !this.opts.apiToken && !this.opts.readToken && !this.opts.tokens?.hasPeople();
  }

  /** An agent's credential: the shared token (any agent id) or an agent token from tokens.json (its own id only). */
  agent(token: string | null): Principal | null {
    if (!token) return null;
    if (tokenMatches(token, this.opts.agentToken)) return { role: 'agent', name: 'shared agent token', agentId: null };
    const e = this.opts.tokens?.lookup(token);
    return e?.role === 'agent' ? { role: 'agent', name: e.id, agentId: e.id } : null;
  }

  /** A person's credential; an agent's never counts. */
  person(token: string | null): Principal | null {
    if (!token) return null;
    if (this.opts.apiToken && tokenMatches(token, this.opts.apiToken))
      return { role: 'admin', name: 'api token', agentId: null };
    if (this.opts.readToken && tokenMatches(token, this.opts.readToken))
      return { role: 'read', name: 'read token', agentId: null };
    const e = this.opts.tokens?.lookup(token);
    return e && e.role !== 'agent' ? { role: e.role, name: e.id, agentId: null } : null;
  }

  /**
   * A browser on another site must not reach the API or the dashboard socket:
   * an Origin header must name this server, and while the API is open a Host
   * header must be a loopback name (a DNS-rebinding page arrives with its own).
   */
  crossSiteProblem(req: IncomingMessage): string | null {
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string;
      try {
        originHost = new URL(origin).host;
      } catch {
        return `Origin ${JSON.stringify(origin)} is not a URL`;
      }
      const allowed = this.opts.allowedHosts ?? [];
      const sameSite = originHost.toLowerCase() === host.toLowerCase();
      if (!sameSite && !allowed.includes(hostName(originHost)))
        return `cross-site request from ${origin} refused (a proxy in front? list its name with --allowed-host)`;
    }
    if (this.open) {
      const name = hostName(host);
      if (!isLoopback(name) && !(this.opts.allowedHosts ?? []).includes(name))
        return `Host ${JSON.stringify(host)} is not this server's loopback address`;
    }
    return null;
  }

  /** An HTTP request: data paths need a person credential, and anything that changes state needs admin. */
  http(req: IncomingMessage & { method?: string }): Decision {
    const p = normalisedPath(req.url ?? '/');
    const writes = !SAFE_METHODS.has(req.method ?? 'GET');
    if (p === '/healthz' && !writes) return { ok: true, who: null };
    if (!writes && !isDataPath(p)) return { ok: true, who: null };
    const problem = this.crossSiteProblem(req);
    if (problem) return { ok: false, status: 403, reason: problem };
    if (this.open) return { ok: true, who: null };
    const who = this.person(headerToken(req));
    if (!who) return { ok: false, status: 401, reason: 'a credential is required: Authorization: Bearer <token>' };
    if (writes && who.role !== 'admin')
      return { ok: false, status: 403, reason: `this credential (${who.name}) is read-only` };
    return { ok: true, who };
  }

  /** The dashboard WebSocket: same-site, and a person credential unless the API is open. */
  dashboardSocket(req: IncomingMessage): Decision {
    const problem = this.crossSiteProblem(req);
    if (problem) return { ok: false, status: 403, reason: problem };
    if (this.open) return { ok: true, who: null };
    const who = this.person(dashboardSocketToken(req));
    return who ? { ok: true, who } : { ok: false, status: 401, reason: 'a credential is required' };
  }

  /** The agent WebSocket: an agent credential in the header, and never from a browser. */
  agentSocket(req: IncomingMessage): Decision {
    if (req.headers.origin !== undefined) return { ok: false, status: 403, reason: 'agents do not send Origin' };
    const who = this.agent(headerToken(req));
    return who ? { ok: true, who } : { ok: false, status: 401, reason: 'bad or missing agent token' };
  }
}

/** The host name of a Host header, without port or IPv6 brackets. */
function hostName(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}
