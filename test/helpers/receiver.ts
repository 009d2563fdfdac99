import http from 'node:http';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * A real HTTP receiver on loopback that records every POST (path, body, headers, raw text); `failNext` answers the
 * next N requests with 500, `status` answers every request with that status (recorded in `refused`).
 */
export interface Receiver {
  url: string;
  received: { path: string; body: any; at: number; headers: http.IncomingHttpHeaders; text: string }[];
  refused: { path: string; status: number }[];
  failNext: number;
  status: number | null;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], refused: [], failNext: 0, status: null, close: async () => {} };
  await listen(r);
  return r;
}

/**
 * One receiver for a test file, started before its tests and closed after them, and a list for what each test
 * starts: after each test those are stopped, and the receiver forgets what it recorded and any failures asked for.
 */
export function useReceiver<T extends { stop(): void }>(): { receiver: Receiver; running: T[] } {
  const receiver: Receiver = { url: '', received: [], refused: [], failNext: 0, status: null, close: async () => {} };
  const running: T[] = [];
  beforeAll(() => listen(receiver));
  afterAll(() => receiver.close());
  afterEach(() => {
    for (const a of running.splice(0)) a.stop();
    receiver.received.length = 0;
    receiver.failNext = 0;
  });
  return { receiver, running };
}

/** Starts `r` listening on loopback: its url and close filled in. */
async function listen(r: Receiver): Promise<void> {
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      if (r.failNext > 0) {
        r.failNext--;
        res.writeHead(500).end('try later');
        return;
      }
      if (r.status !== null) {
        r.refused.push({ path: req.url ?? '/', status: r.status });
        res.writeHead(r.status, { 'content-type': 'application/json' }).end('{"message":"Invalid routing key"}');
        return;
      }
      r.received.push({
        path: req.url ?? '/',
        body: data ? JSON.parse(data) : null,
        at: Date.now(),
        headers: req.headers,
        text: data,
      });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  r.close = () => new Promise((resolve) => server.close(() => resolve()));
}

/** One alert of a webhook body (version 2: a group and its alerts), with the kind of notification it carried. */
export interface HookEvent {
  kind: string;
  status: string;
  alert: {
    id: string;
    rule: string;
    host: string;
    severity: string;
    resolvedBy?: string;
    labels: Record<string, string>;
    [k: string]: unknown;
  };
}

/** The webhook posts of `r` (optionally at one path) as one event per alert, in the order they arrived. */
export function hookEvents(r: Receiver, path?: string): HookEvent[] {
  return r.received
    .filter((x) => path === undefined || x.path === path)
    .flatMap((x) =>
      (x.body as { alerts: ({ kind: string; status: string } & HookEvent['alert'])[] }).alerts.map(
        ({ kind, status, ...alert }) => ({ kind, status, alert }),
      ),
    );
}
