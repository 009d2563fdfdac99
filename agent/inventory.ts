import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Host inventory from systeminformation: slow (it forks shells), so it is
 * gathered at start and then rarely, never on the 1-second path — and in a
 * child process, so the library does not stay resident in the agent. With
 * `pauseMs` the child spaces its calls out (see gatherInventory).
 */
export async function collectInventory(
  pauseMs = 0,
  timeoutMs = 60_000 + 5 * pauseMs,
): Promise<Record<string, unknown>> {
  // Under the test runner the sources are TypeScript, which a plain child cannot run: gather in-process.
  if (import.meta.url.endsWith('.ts')) return (await import('./inventory-gather.js')).gatherInventory(pauseMs);
  return new Promise((resolve, reject) => {
    const worker = fileURLToPath(new URL('./inventory-worker.js', import.meta.url));
    // spawn with a pipe, not fork: an IPC channel would load node:v8 into the agent (inventory-worker.ts).
    const child = spawn(process.execPath, [...process.execArgv, worker, String(pauseMs)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inventory took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(parseInventoryReply(Buffer.concat(out).toString('utf8'), code));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/**
 * The child's stdout and exit code, as the inventory or the error it reports. The reply is the last line:
 * anything a library printed before it is not the answer.
 */
export function parseInventoryReply(text: string, exitCode: number | null): Record<string, unknown> {
  let m: { ok?: boolean; inventory?: Record<string, unknown>; error?: string };
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  try {
    m = JSON.parse(lines[lines.length - 1] ?? '') as typeof m;
  } catch {
    throw new Error(`inventory process exited with ${exitCode} without a result`);
  }
  if (m.ok && m.inventory && typeof m.inventory === 'object') return m.inventory;
  throw new Error(m.error ?? `inventory process exited with ${exitCode}`);
}
