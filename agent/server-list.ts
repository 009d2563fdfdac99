/**
 * The servers an agent may stream to, in order of preference (`--server
 * URL1,URL2`), and the one it is on now. A failure moves to the next one; a
 * whole round of failures is what the backoff counts.
 */
export class ServerList {
  readonly urls: readonly string[];
  private index = 0;

  constructor(spec: string) {
    this.urls = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (this.urls.length === 0) throw new Error('no server URL given');
  }

  get current(): string {
    return this.urls[this.index]!;
  }

  get onPreferred(): boolean {
    return this.index === 0;
  }

  /** Moves to the next server; true when that wrapped round to the first, i.e. every server failed once. */
  advance(): boolean {
    this.index = (this.index + 1) % this.urls.length;
    return this.index === 0;
  }

  backToPreferred(): void {
    this.index = 0;
  }
}

export interface ProbeTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

/**
 * Whether a server answers its /healthz (open without a token) with 200 OK:
 * the agent's cue that its preferred server is back. Never rejects.
 */
export async function probeHealth(serverUrl: string, tls: ProbeTls, timeoutMs = 5000): Promise<boolean> {
  const url = new URL(serverUrl.replace(/\/+$/, '') + '/healthz');
  const secure = url.protocol === 'wss:';
  url.protocol = secure ? 'https:' : 'http:';
  // loaded here, not with the module: an agent on ws:// never loads Node's https and tls (BENCHMARKS.md)
  const { default: client } = secure ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    const req = client.get(url, { timeout: timeoutMs, ...(secure ? tls : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(false));
  });
}
