import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { TIDEMARK_VERSION } from '../../shared/version.js';

/** Where to send and how to authenticate: the parts of Prometheus's remote_write block that apply. */
export interface RemoteTargetConfig {
  url: string;
  /** Name in logs and metrics; defaults to the URL without credentials. */
  name?: string;
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string; insecureSkipVerify?: boolean; serverName?: string };
  /** Parallel senders; a series always goes through the same one, so its samples stay in order. */
  shards?: number;
  maxSamplesPerSend?: number;
  /** A batch that has not filled up is sent after this long. */
  batchDeadlineMs?: number;
  timeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface PostResult {
  status: number;
  /** From a Retry-After header, in ms. */
  retryAfterMs: number | null;
  body: string;
}

/** POSTs remote-write bodies to one URL over keep-alive connections; `abort()` cuts every request in flight. */
export class RemotePoster {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(private readonly cfg: RemoteTargetConfig) {
    this.url = new URL(cfg.url);
    const tls = cfg.tls ?? {};
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ca: tls.caFile ? readFileSync(tls.caFile) : undefined,
            cert: tls.certFile ? readFileSync(tls.certFile) : undefined,
            key: tls.keyFile ? readFileSync(tls.keyFile) : undefined,
            rejectUnauthorized: !tls.insecureSkipVerify,
            servername: tls.serverName,
          })
        : new http.Agent({ keepAlive: true });
    this.headers = {
      ...cfg.headers,
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': `tidemark/${TIDEMARK_VERSION}`,
    };
    if (cfg.basicAuth)
      this.headers.Authorization = `Basic ${Buffer.from(`${cfg.basicAuth.username}:${cfg.basicAuth.password}`).toString('base64')}`;
    else if (cfg.bearerToken) this.headers.Authorization = `Bearer ${cfg.bearerToken}`;
  }

  post(body: Buffer): Promise<PostResult> {
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'Content-Length': String(body.length) },
        timeout: this.cfg.timeoutMs ?? 30_000,
      });
      this.inFlight.add(req);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.cfg.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err) => {
        this.inFlight.delete(req);
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Only the start of an error body is kept, for the log.
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          this.inFlight.delete(req);
          resolve({
            status: res.statusCode ?? 0,
            retryAfterMs: retryAfter(res.headers['retry-after']),
            body: Buffer.concat(chunks).toString('utf8').slice(0, 512),
          });
        });
        res.on('error', reject);
      });
      req.end(body);
    });
  }

  abort(): void {
    for (const req of this.inFlight) req.destroy(new Error('remote write stopped'));
    this.agent.destroy();
  }
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
function retryAfter(v: string | undefined): number | null {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
