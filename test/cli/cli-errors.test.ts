import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, freePort, runCli, tempDir, until } from '../helpers/process.js';

/** The CLI as a user runs it: a real process, its exit code, stdout and stderr apart. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bad input gets a clear message and the documented exit code', () => {
  const blockers: net.Server[] = [];
  afterAll(() => blockers.forEach((s) => s.close()));

  it('a port already in use: exit 2, naming the port and the flag', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const r = cli(['server', '--port', String(port), '--token', 't', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} is in use: choose another with --port`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an unknown key in the YAML config: exit 2, naming file, line and the nearest valid key', () => {
    const file = path.join(tempDir(), 'tidemark.yaml');
    writeFileSync(file, 'server:\n  port: 0\n  retentionHour: 24\n');
    const r = cli(['server', '--config', file, '--token', 't', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3: unknown key "server.retentionHour" (did you mean "server.retentionHours"?)`);

    writeFileSync(file, 'agnet:\n  id: db1\n');
    const top = cli(['collect', '--config', file]);
    expect(top.code).toBe(2);
    expect(top.stderr).toContain(`${file}:1: unknown key "agnet" (did you mean "agent"?)`);
  });

  it('rules that can never fire fail `rules check` with file:line', () => {
    const file = path.join(tempDir(), 'bad.yaml');
    writeFileSync(
      file,
      [
        'rules:',
        '  - name: WrongLabel',
        '    severity: warning',
        '    when: { metric: disk_util_percent, match: { array: md0 }, op: ">", value: 90 }',
        '    summary: "busy"',
        '  - name: WrongPlaceholder',
        '    severity: warning',
        '    when: { metric: disk_util_percent, op: ">", value: 90 }',
        '    summary: "{{device}} on {{host}} is {{member}}"',
        '',
      ].join('\n'),
    );
    const r = cli(['rules', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:4: disk_util_percent has no label "array" (its labels: device)`);
    expect(r.stderr).toContain(`${file}:9: {{member}} in summary can never be filled`);
    expect(r.stderr).not.toContain('{{device}} in summary');
  });

  it('a --root that does not exist: exit 2', () => {
    const r = cli(['collect', '--root', '/nonexistent-tidemark-root']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--root: /nonexistent-tidemark-root does not exist');
    expect(r.stdout).toBe('');
  });

  it('--json commands print one JSON document on stdout whatever happens', () => {
    const missing = path.join(tempDir(), 'no-such-mongod.conf');
    for (const args of [
      ['check', 'mongod-config', '--mongod-config', missing, '--json'],
      ['check', 'logrotate', '--config', missing, '--json'],
      ['check', 'replset', '--status', missing, '--json'],
      ['check', 'mongod', '--json'],
      ['collect', '--root', '/nonexistent-tidemark-root', '--json'],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      const doc = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; error: string };
      expect(doc, args.join(' ')).toMatchObject({ ok: false, exitCode: 2, error: expect.any(String) });
      expect(doc.error.length).toBeGreaterThan(10);
    }
  });
});

describe('tidemark start', () => {
  it('stops on Ctrl-C (SIGINT to the whole process group) with no alarming message, agent included', async () => {
    const port = await freePort();
    // detached: its own process group, as a terminal gives a foreground job, so SIGINT reaches server and agent.
    const proc = spawn(
      process.execPath,
      [
        CLI,
        'start',
        '--port',
        String(port),
        '--data-dir',
        tempDir(),
        '--root',
        path.join(REPO, 'test/fixtures/procfs/prometheus-procfs'),
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    await until(
      async () => {
        const hosts = await fetch(`http://127.0.0.1:${port}/api/hosts`)
          .then((r) => r.json() as Promise<{ connected: boolean }[]>)
          .catch(() => []);
        return hosts.some((h) => h.connected);
      },
      30_000,
      'the local agent connected',
    );
    process.kill(-proc.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(out).not.toMatch(/again|without finishing/);
    // The agent went with it: nothing is left in the process group.
    await until(
      () => {
        try {
          process.kill(-proc.pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      10_000,
      'the process group to be empty',
    );
  });
});

describe('the dashboard', () => {
  it('has a favicon, also at /favicon.ico', async () => {
    const port = await freePort();
    const s = runCli(['server', '--port', String(port), '--token', 't', '--data-dir', tempDir()]);
    try {
      await s.waitFor(/dashboard at/);
      const ico = await fetch(`http://127.0.0.1:${port}/favicon.ico`, { redirect: 'manual' });
      expect(ico.status).toBe(301);
      expect(ico.headers.get('location')).toBe('/favicon.svg');
      const svg = await fetch(`http://127.0.0.1:${port}/favicon.svg`);
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(page).toContain('rel="icon" href="favicon.svg"');
    } finally {
      await s.stop();
    }
  });
});
