import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/cli/main.js');

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed when the test process exits. */
export function tempDir(prefix = 'tidemark-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A port that was free a moment ago (for tests that restart a server on the same port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}

export interface Running {
  proc: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Runs the built CLI to its end without blocking this process (which may serve a fake mongod it talks to). */
export function cliOutcome(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

let stateHome: string | undefined;

/** Runs the built CLI (`dist/cli/main.js`) as a real process and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}): Running {
  const proc = spawn(process.execPath, [CLI, ...args], {
    // Agents keep a spool under XDG_STATE_HOME: each test process gets its own, so no run replays another's batches.
    env: { ...process.env, XDG_STATE_HOME: (stateHome ??= tempDir('tidemark-state-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    waitFor: (re, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const m = out.match(re);
        if (m) return resolve(m);
        const w = { re, resolve };
        waiters.push(w);
        setTimeout(() => {
          if (waiters.includes(w)) reject(new Error(`timed out waiting for ${re}; output so far:\n${out}`));
        }, timeoutMs).unref();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * A `tidemark server` on a port and data directory that stay the same across
 * restarts: `start()` launches it (again, after a stop) and resolves once it
 * serves.
 */
export async function serverProcess(
  opts: { token?: string; dataDir?: string; args?: string[] } = {},
): Promise<{ port: number; base: string; dataDir: string; start: () => Promise<Running> }> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? tempDir();
  const start = async () => {
    const s = runCli([
      'server',
      '--port',
      String(port),
      '--token',
      opts.token ?? 't',
      '--data-dir',
      dataDir,
      ...(opts.args ?? []),
    ]);
    await s.waitFor(/dashboard at/);
    return s;
  };
  return { port, base: `http://127.0.0.1:${port}`, dataDir, start };
}

export async function until<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100)); // the polling step, up to the deadline
  }
}

export async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
