import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogPathsCollector } from '../../agent/collectors/logpaths.js';
import { tempDir } from '../helpers/process.js';

const collectors: LogPathsCollector[] = [];
afterEach(async () => {
  for (const c of collectors.splice(0)) await c.close();
});

/** A logrotate config in a fresh directory whose stanza names the given owner; its one log file exists. */
function setup(owner: string) {
  const dir = tempDir('tidemark-logpaths-');
  mkdirSync(path.join(dir, 'log'));
  writeFileSync(path.join(dir, 'log', 'app.log'), '');
  const config = path.join(dir, 'logrotate.conf');
  const stanza = (target: string) => `${target} {\n  weekly\n  create 0640 ${owner} ${owner}\n}\n`;
  writeFileSync(config, stanza(path.join(dir, 'log', '*.log')));
  const c = new LogPathsCollector({
    logrotateConfig: config,
    logrotateState: path.join(dir, 'status'),
    mongodConfig: null,
    mongodUser: 'mongodb',
  });
  collectors.push(c);
  return { dir, config, stanza, c };
}

const errorsOf = async (c: LogPathsCollector) =>
  (await c.collect()).samples.find((s) => s.m === 'logpath_check_errors' && s.l?.check === 'logrotate')?.v;

describe('log-path checks on a timer of their own', () => {
  it('has results at the first tick, and a changed config is checked again without waiting for the minute', async () => {
    const { dir, config, stanza, c } = setup('root');
    expect(await errorsOf(c)).toBe(0);
    // a second stanza whose pattern matches nothing: logrotate fails on it (an error of the check)
    appendFileSync(config, stanza(path.join(dir, 'missing-dir', '*.log')));
    const deadline = Date.now() + 10_000;
    let errors = await errorsOf(c);
    while (errors === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      errors = await errorsOf(c);
    }
    expect(errors).toBeGreaterThanOrEqual(1);
  });

  it('asks NSS (getent) about a name missing from /etc/passwd once, not at every run', async () => {
    // A getent first on PATH that records each call and finds nobody (exit 2, as getent does for an unknown key).
    const bin = tempDir('tidemark-getent-');
    const calls = path.join(bin, 'calls');
    writeFileSync(calls, '');
    writeFileSync(path.join(bin, 'getent'), `#!/bin/sh\necho "$*" >> ${calls}\nexit 2\n`);
    chmodSync(path.join(bin, 'getent'), 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      const { c } = setup('nosuch-tidemark-owner');
      await c.snapshot();
      await c.snapshot();
      await c.snapshot();
      const lines = readFileSync(calls, 'utf8').trim().split('\n');
      expect(lines.filter((l) => l === 'passwd nosuch-tidemark-owner')).toHaveLength(1);
      // and the unknown owner is still the check's finding each time
      expect(await errorsOf(c)).toBeGreaterThanOrEqual(1);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
