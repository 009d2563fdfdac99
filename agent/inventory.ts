import { fork } from 'node:child_process';
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
    const child = fork(fileURLToPath(new URL('./inventory-worker.js', import.meta.url)), [String(pauseMs)], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inventory took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    child.once('message', (m: { ok: boolean; inventory?: Record<string, unknown>; error?: string }) => {
      clearTimeout(timer);
      if (m.ok && m.inventory) resolve(m.inventory);
      else reject(new Error(m.error ?? 'inventory failed'));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`inventory process exited with ${code}`));
    });
  });
}
