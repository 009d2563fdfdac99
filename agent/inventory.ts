import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Host inventory from systeminformation: slow (it forks shells), so it is
 * gathered at start and every few minutes, never on the 1-second path — and in
 * a child process, so the library does not stay resident in the agent.
 */
export async function collectInventory(timeoutMs = 60_000): Promise<Record<string, unknown>> {
  // Under the test runner the sources are TypeScript, which a plain child cannot run: gather in-process.
  if (import.meta.url.endsWith('.ts')) return (await import('./inventory-gather.js')).gatherInventory();
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./inventory-worker.js', import.meta.url)), [], {
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
