import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAgentArgv } from '../../cli/agent-argv.js';
import { agentOptions } from '../../cli/options.js';
import { AGENT_BUNDLE, chunksLoadedAtStart } from '../helpers/bundle.js';
import { REPO } from '../helpers/process.js';

/**
 * `tidemark agent` reads its own flags (cli/agent-argv.ts) without commander. Where it reads them it must give
 * exactly the flags commander gives the agent command; everything else (help, errors) goes to the full CLI, so
 * those read as they always have.
 */

/** What commander's agent command (the same definition the CLI uses) makes of `args`, or its error. */
function commanderFlags(args: string[]): Record<string, unknown> | { error: string } {
  let flags: Record<string, unknown> = {};
  const cmd = agentOptions(new Command('agent'))
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action((opts: Record<string, unknown>) => {
      flags = opts;
    });
  try {
    cmd.parse(args, { from: 'user' });
  } catch (err) {
    return { error: (err as { code: string }).code };
  }
  return flags;
}

/** `bin/tidemark agent ...` as a user runs it: the bundle under the launcher's flags. */
function launch(args: string[]) {
  const r = spawnSync(path.join(REPO, 'bin/tidemark'), ['agent', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TIDEMARK_TOKEN: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the agent's own option parser", () => {
  it("gives values under commander's names, repeated flags as lists, the last collector flag winning", () => {
    expect(
      parseAgentArgv([
        'agent',
        '--server',
        'ws://a:1,ws://b:2',
        '--failback-after=30',
        '--insecure-skip-verify',
        '--mongod-uri',
        'mongodb://x',
        '--mongod-config',
        '/etc/a.conf',
        '--mongod-uri=mongodb://y',
        '--no-collector.cpu',
        '--collector.mongod',
        '--collector.cpu',
        '--no-collector.mongod',
        '--interval-ms',
        '500',
        '--interval-ms',
        '250',
        '--spool-dir',
        '',
        '--config',
        '/etc/tidemark.yaml',
        '--log-level',
        'warn',
      ]),
    ).toEqual({
      server: 'ws://a:1,ws://b:2',
      failbackAfter: '30',
      insecureSkipVerify: true,
      mongodUri: ['mongodb://x', 'mongodb://y'],
      mongodConfig: ['/etc/a.conf'],
      'collector.cpu': true,
      'collector.mongod': false,
      intervalMs: '250',
      spoolDir: '',
      config: '/etc/tidemark.yaml',
      logLevel: 'warn',
    });
    expect(parseAgentArgv(['agent'])).toEqual({});
  });

  it('agrees with commander on every command line it reads', () => {
    const lines = [
      [],
      ['--token', 't', '--agent-id', 'db1', '--buffer', '600', '--inventory-interval-ms', '5000'],
      ['--root=/host', '--disks-include', 'sd.*', '--disks-exclude=loop.*', '--ca', 'ca.pem'],
      ['--client-cert', 'c.pem', '--client-key', 'k.pem', '--logrotate-config', '/etc/l', '--logrotate-state', 's'],
      ['--mongod-user', 'mongodb', '--mongod-config', 'a', '--mongod-config', 'b', '--mongod-uri', 'u'],
      ['--collector.filesystems', '--no-collector.filesystems', '--collector.mongod_running'],
      ['--no-collector.logpaths', '--no-collector.logrotate_schedule', '--no-collector.raid'],
      ['--server', 'ws://h', '--server', 'ws://i', '--log-level=debug', '--config='],
    ];
    for (const args of lines) {
      const ours = parseAgentArgv(['agent', ...args]);
      expect(ours, args.join(' ')).not.toBeNull();
      expect(ours, args.join(' ')).toEqual(commanderFlags(args));
    }
  });

  it('leaves help, the version, unknown flags, missing or dash-led values and arguments to the full CLI', () => {
    const lines = [
      ['--help'],
      ['-h'],
      ['-V'],
      ['--bogus'],
      ['--collector.cpux'],
      ['--interval-ms'],
      ['--interval-ms', '-5'],
      ['--insecure-skip-verify=1'],
      ['--collector.cpu=false'],
      ['extra'],
      ['--', 'extra'],
      ['--server'],
      ['-t', 'x'],
    ];
    for (const args of lines) expect(parseAgentArgv(['agent', ...args]), args.join(' ')).toBeNull();
    // the same lines that commander itself refuses (help and version excepted, which print and exit 0)
    for (const args of lines.slice(3).filter((a) => a.join(' ') !== '--interval-ms -5'))
      expect(commanderFlags(args), args.join(' ')).toHaveProperty('error');
    // a value that starts with a dash is commander's to take, as it always was
    expect(commanderFlags(['--interval-ms', '-5'])).toEqual({ intervalMs: '-5' });
    expect(parseAgentArgv(['server', '--port', '1'])).toBeNull();
    expect(parseAgentArgv([])).toBeNull();
  });

  it('bad input through the launcher: the same messages and exit codes as the full CLI', () => {
    const missing = launch(['--interval-ms']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error: option '--interval-ms <ms>' argument missing");
    expect(missing.stderr).toContain('Usage: tidemark agent [options]');

    const unknown = launch(['--bogus']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error: unknown option '--bogus'");

    const collector = launch(['--no-collector.raidd']);
    expect(collector.code).toBe(2);
    expect(collector.stderr).toContain(
      '--no-collector.raidd: no collector is called "raidd"; did you mean --no-collector.raid?',
    );

    const extra = launch(['extra']);
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain("error: too many arguments for 'agent'");

    // read by the agent's own parser, refused by the settings: exit 2, as before, no stack trace
    const noToken = launch(['--server', 'ws://127.0.0.1:1']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toBe('tidemark: an agent token is required: pass --token or set TIDEMARK_TOKEN\n');
    const tooShort = launch(['--token', 't', '--interval-ms', '50']);
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toBe('tidemark: --interval-ms: must be a whole number from 100 to 3600000 (got "50")\n');

    const help = launch(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: tidemark agent [options]');
    expect(help.stdout).toContain('--inventory-interval-ms <ms>');
    expect(help.stdout).toContain('--collector.raid');
    expect(help.stdout).toContain('Every --collector.NAME has a --no-collector.NAME that turns that collector off.');
  });

  it('leaves commander out of what the agent bundle loads at start', () => {
    // commander's error codes are string literals, kept through minifying
    const hasCommander = (f: string) =>
      readFileSync(path.join(AGENT_BUNDLE, f), 'utf8').includes('commander.unknownOption');
    const loaded = chunksLoadedAtStart();
    expect(loaded.length).toBeGreaterThan(1);
    expect(loaded.filter(hasCommander)).toEqual([]);
    expect(readdirSync(AGENT_BUNDLE).some(hasCommander)).toBe(true);
  });
});
