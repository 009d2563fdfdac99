import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, freePort, getJson, tempDir, until } from '../helpers/process.js';

/**
 * `bin/tidemark server` gives the server glibc malloc settings that keep its memory per series down
 * (BENCHMARKS.md, "Memory per active series: outside the heap"). glibc reads them from the environment at
 * start, so they must be in the server process's own environment: read back from /proc/PID/environ. And V8
 * flags that bound its heap's headroom ("Memory per active series: V8's heap headroom"), on node's command line.
 */
const started: ChildProcess[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) {
    if (c.exitCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
});

/** Starts the launcher's server with `env`; resolves once it has exec'd node and answers /healthz. */
async function launch(env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const child = spawn(
    path.join(REPO, 'bin/tidemark'),
    ['server', '--port', String(port), '--token', 't', '--data-dir', tempDir()],
    { env, stdio: 'ignore' },
  );
  started.push(child);
  // the launcher (a shell script) execs node, so the server keeps its pid
  const argv = await until(
    () => {
      const a = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      return a[0] === 'node' ? a : null;
    },
    10_000,
    'the launcher to exec node',
  );
  await until(() => getJson(`http://127.0.0.1:${port}/healthz`).catch(() => null), 30_000, 'the server');
  const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
  return { argv, environ };
}

/** This process's environment without the launcher's variables, so its defaults show. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'TIDEMARK_SERVER_NODE_FLAGS']) delete env[name];
  return env;
}

describe('the server launcher', () => {
  it("puts malloc's settings in the server's environment: blocks of 128 KiB mapped alone, two arenas", async () => {
    const { argv, environ } = await launch(cleanEnv());
    // 128 KiB = 128 × 1024 bytes
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    expect(environ).toContain('MALLOC_ARENA_MAX=2');
    // node, the heap's two flags, then the CLI
    expect(argv.slice(1, 3)).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=100']);
    expect(path.resolve(argv[3]!)).toBe(path.join(REPO, 'dist/cli/main.js'));
  }, 60_000);

  it("leaves the environment's own values, and adds TIDEMARK_SERVER_NODE_FLAGS to node's flags", async () => {
    const { argv, environ } = await launch({
      ...cleanEnv(),
      MALLOC_MMAP_THRESHOLD_: '262144',
      MALLOC_ARENA_MAX: '4',
      TIDEMARK_SERVER_NODE_FLAGS: '--max-semi-space-size=4 --stack-size=900',
    });
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=262144');
    expect(environ).toContain('MALLOC_ARENA_MAX=4');
    // after the launcher's own, so that V8, which takes a flag's last value, takes these
    expect(argv.slice(3, 5)).toEqual(['--max-semi-space-size=4', '--stack-size=900']);
  }, 60_000);

  it("caps the young generation at two semi-spaces of 8 MiB; a later =0 gives V8's own cap back", async () => {
    // The server's V8 reports its heap limit from inside: a module preloaded by a flag of the environment.
    const dir = tempDir();
    const preload = path.join(dir, 'heap-limit.mjs');
    writeFileSync(
      preload,
      "import v8 from 'node:v8';\nimport { writeFileSync } from 'node:fs';\nimport { isMainThread } from 'node:worker_threads';\n" +
        'if (isMainThread) writeFileSync(process.env.HEAP_LIMIT_FILE, String(v8.getHeapStatistics().heap_size_limit));\n',
    );
    const limitWith = async (flags: string) => {
      const file = path.join(dir, `limit-${flags.length}`);
      await launch({
        ...cleanEnv(),
        TIDEMARK_SERVER_NODE_FLAGS: `${flags} --import=${preload}`,
        HEAP_LIMIT_FILE: file,
      });
      return Number(readFileSync(file, 'utf8'));
    };
    const launcher = await limitWith('');
    const v8Own = await limitWith('--max-semi-space-size=0 --heap-growing-percent=0');
    // V8's limit is the old generation's plus the young generation's, three semi-spaces (two, and a large-object
    // space of one); its own semi-space cap on 64-bit is 16 MiB: 3 × (16 − 8) MiB apart.
    expect(v8Own - launcher).toBe(3 * (16 - 8) * 2 ** 20);
  }, 90_000);
});
