import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, isTaboo, DEFAULT_TABOO_EXTS } from '../../../agent/logrotate/parse.js';
import { splitWords, type ConfigSource } from '../../../agent/logrotate/config-model.js';
import { fsConfigSource } from '../../../agent/logrotate/source.js';
import { sendsUsr1, patternMatches } from '../../../agent/logrotate/check.js';
import { parseMongodConfig } from '../../../agent/mongod/config.js';
import { FIXTURES, fixtureText } from '../../helpers/fixtures.js';
import { tempDir } from '../../helpers/process.js';

/** A config tree built from a fixture, with logrotate's test-suite placeholder &DIR& replaced as its harness does. */
function tree(files: Record<string, string>): string {
  const d = tempDir();
  for (const [rel, fixture] of Object.entries(files)) {
    const p = path.join(d, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, fixtureText(`logrotate/${fixture}`).replaceAll('&DIR&', d));
    chmodSync(p, 0o644);
  }
  return d;
}

const load = (file: string) => loadConfig(file, fsConfigSource(process.getuid?.() ?? 0));

describe('logrotate configuration reader on real configs', () => {
  it('reads the upstream example: globals, then an included directory', () => {
    const d = tree({
      'logrotate.d/btmp': 'logrotate-examples-btmp.conf',
      'logrotate.d/wtmp': 'logrotate-examples-wtmp.conf',
    });
    writeFileSync(
      `${d}/main.conf`,
      fixtureText('logrotate/logrotate-examples-logrotate.conf').replace(
        'include /etc/logrotate.d',
        `include ${d}/logrotate.d`,
      ),
    );
    chmodSync(`${d}/main.conf`, 0o644);
    const c = load(`${d}/main.conf`);
    expect(c.findings).toEqual([]);
    expect(c.files.map((f) => path.basename(f.path))).toEqual(['main.conf', 'btmp', 'wtmp']);
    expect(c.stanzas.map((s) => [path.basename(s.file), s.line, s.patterns])).toEqual([
      ['btmp', 2, ['/var/log/btmp']],
      ['wtmp', 2, ['/var/log/wtmp']],
    ]);
    // btmp: "missingok … create 0660 root utmp"; the global "create" (line 12) is overridden
    expect(c.stanzas[0]!.options).toMatchObject({
      missingok: true,
      create: { mode: '0660', user: 'root', group: 'utmp', line: 5 },
    });
    expect(c.stanzas[1]!.options.create).toMatchObject({ mode: '0664', user: 'root', group: 'utmp' });
  });

  it('reads a glob, a postrotate script with tab indentation and a global create (test-config.3)', () => {
    const d = tree({ 'c.conf': 'logrotate-test-config-3.conf' });
    const [s] = load(`${d}/c.conf`).stanzas;
    expect(s).toMatchObject({ line: 3, patterns: [`${d}/test*.log`], skipReason: null });
    expect(s!.options.create).toMatchObject({ mode: null, user: null, line: 1 });
    expect(s!.options.scripts.postrotate!.body).toBe(
      '\ttouch scriptout\n\techo $(cat scriptout) foo > foo\n\tmv foo scriptout',
    );
    expect(s!.options.scripts.postrotate!.line).toBe(9);
  });

  it('reads two paths in one block (test-config.5) and the compression globals (test-config.8)', () => {
    const d = tree({ 'five.conf': 'logrotate-test-config-5.conf', 'eight.conf': 'logrotate-test-config-8.conf' });
    expect(load(`${d}/five.conf`).stanzas[0]!.patterns).toEqual([`${d}/test.log`, `${d}/anothertest.log`]);
    const eight = load(`${d}/eight.conf`);
    expect(eight.findings).toEqual([]);
    expect(eight.stanzas[0]!.options).toMatchObject({ compress: true });
  });

  it('lets a block override a global (test-config.24: renamecopy then copytruncate)', () => {
    const d = tree({ 'c.conf': 'logrotate-test-config-24.conf' });
    expect(load(`${d}/c.conf`).stanzas[0]!.options).toMatchObject({ renamecopy: true, copytruncate: true });
  });

  it('reads tabooext replace and "+" forms and taboopat, then includes the directory (test-config.40)', () => {
    const d = tree({ 'c.conf': 'logrotate-test-config-40.conf' });
    mkdirSync(`${d}/testingdir`);
    for (const name of ['a.conf', 'b.v', 'c.sample', 'd.x', 'e~', '.hidden', 'f.dpkg-old'])
      writeFileSync(`${d}/testingdir/${name}`, '');
    const c = load(`${d}/c.conf`);
    const read = c.files.filter((f) => !f.ignored).map((f) => path.basename(f.path));
    // tabooext .v,.sample,.unused,~ replaces the defaults (so .dpkg-old is read); + .x .y .z adds; taboopat + .* drops dot files
    expect(read).toEqual(['c.conf', 'a.conf', 'f.dpkg-old']);
    expect(c.findings).toEqual([]);
  });

  it('reads numeric create owners, a mode-only create and quoted su names (test-config.110)', () => {
    const d = tree({ 'c.conf': 'logrotate-test-config-110.conf' });
    const c = load(`${d}/c.conf`);
    expect(c.findings).toEqual([]);
    expect(
      c.stanzas.map((s) => s.options.create && [s.options.create.mode, s.options.create.user, s.options.create.group]),
    ).toEqual([['0755', '1', '2'], ['1', '2', null], ['0700', null, null], null]);
    expect(c.stanzas[3]!.options.su).toMatchObject({ user: 'foo bar', group: 'bar baz', line: 22 });
  });

  it('reads olddir with nocreateolddir (test-config.12), dateext (14), maxsize (16) and all script kinds (109)', () => {
    const d = tree({
      a: 'logrotate-test-config-12.conf',
      b: 'logrotate-test-config-14.conf',
      c: 'logrotate-test-config-16.conf',
      e: 'logrotate-test-config-109.conf',
    });
    expect(load(`${d}/a`).stanzas[0]!.options).toMatchObject({
      olddir: { path: 'testdir', line: 6 },
      createolddir: null,
    });
    expect(load(`${d}/b`).findings).toEqual([]);
    expect(load(`${d}/c`).findings).toEqual([]);
    const scripts = load(`${d}/e`).stanzas.map((s) => Object.keys(s.options.scripts));
    expect(scripts).toEqual([
      ['prerotate'],
      ['postrotate'],
      ['prerotate'],
      ['postrotate'],
      ['firstaction'],
      ['lastaction'],
    ]);
  });

  it('reads the distribution configs for nginx and mongodb', () => {
    const d = tree({
      nginx: 'debian-nginx-common.conf',
      mongo: 'debian-mongodb-server.conf',
      scl: 'fedora-scl-mongodb.conf',
    });
    const nginx = load(`${d}/nginx`).stanzas[0]!;
    expect(nginx.patterns).toEqual(['/var/log/nginx/*.log']);
    expect(nginx.options).toMatchObject({
      missingok: true,
      compress: true,
      ifempty: false,
      create: { mode: '0640', user: 'www-data', group: 'adm' },
    });
    // prerotate with backslash continuations, postrotate with start-stop-daemon --signal USR1
    expect(nginx.options.scripts.prerotate!.body).toContain('run-parts /etc/logrotate.d/httpd-prerotate; \\');
    expect(sendsUsr1(nginx.options.scripts.postrotate!.body)).toBe(true);
    const mongo = load(`${d}/mongo`).stanzas[0]!;
    expect(mongo.options).toMatchObject({ copytruncate: true, compress: true, missingok: true, ifempty: false });
    expect(mongo.options.scripts).toEqual({});
    const scl = load(`${d}/scl`).stanzas[0]!;
    expect(scl.options.copytruncate).toBe(true);
    expect(sendsUsr1(scl.options.scripts.postrotate!.body)).toBe(true); // /bin/kill -USR1 `cat …`
    expect(patternMatches(scl.patterns[0]!, '/var/log/mongodb/mongod.log')).toBe(true);
    expect(patternMatches(scl.patterns[0]!, '/var/log/mongodb/sub/mongod.log')).toBe(false);
  });

  it('names file:line for what logrotate rejects or ignores', () => {
    const d = tempDir();
    writeFileSync(`${d}/bad.conf`, `/var/log/a.log {\n  rotate x\n  frobnicate\n}\n}\napp.log {\n`);
    chmodSync(`${d}/bad.conf`, 0o644);
    const c = load(`${d}/bad.conf`);
    expect(c.findings.map((f) => `${f.severity} ${path.basename(f.file)}:${f.line} ${f.code}`)).toEqual([
      'error bad.conf:2 bad-rotate',
      'warning bad.conf:3 unknown-directive',
      'error bad.conf:5 unexpected-brace',
      'error bad.conf:6 bad-keyword',
    ]);
    expect(c.stanzas[0]!.skipReason).toMatch(/bad rotation count "x"/);
  });
});

describe('pieces', () => {
  it('splits quoted words and knows the default taboo extensions', () => {
    expect(splitWords(`"/var/log/my app.log" '/x y' /z`)).toEqual(['/var/log/my app.log', '/x y', '/z']);
    expect(splitWords('"open')).toBeNull();
    expect(isTaboo('nginx.dpkg-old', DEFAULT_TABOO_EXTS, [])).toBe(true);
    expect(isTaboo('x.rhn-cfg-tmp-123', DEFAULT_TABOO_EXTS, [])).toBe(true);
    expect(isTaboo('nginx', DEFAULT_TABOO_EXTS, [])).toBe(false);
  });

  it('recognises SIGUSR1 in the ways scripts send it', () => {
    for (const s of [
      'kill -USR1 $(cat /var/run/mongod.pid)',
      '/bin/kill -SIGUSR1 `pidof mongod`',
      'kill -s USR1 1',
      'pkill -USR1 mongod',
      'killall -10 mongod',
      'systemctl kill -s SIGUSR1 mongod',
    ]) {
      expect(sendsUsr1(s), s).toBe(true);
    }
    for (const s of ['kill -HUP 1', 'echo USR1', 'kill -100 1']) expect(sendsUsr1(s), s).toBe(false);
  });

  it('reads a config source without touching the disk', () => {
    const files: Record<string, string> = { '/c': 'include /d\n', '/d/x': '/l {\n}\n' };
    const src: ConfigSource = {
      readFile: (p) => (p in files ? { text: files[p]!, ignored: null } : { error: 'no such file' }),
      listDir: (p) => (p === '/d' ? ['x'] : p in files ? null : { error: 'no such file or directory' }),
    };
    expect(loadConfig('/c', src).stanzas.map((s) => s.patterns)).toEqual([['/l']]);
  });
});

describe('mongod.conf reader on real configs', () => {
  const conf = (name: string) =>
    parseMongodConfig(readFileSync(path.join(FIXTURES, 'mongod-conf', name), 'utf8'), name);

  it('reads the official RPM config with inline comments', () => {
    const c = conf('mongodb-org-rpm-mongod.conf');
    expect(c).toMatchObject({
      format: 'yaml',
      destination: { value: 'file', line: 8 },
      logAppend: { value: true, line: 9 },
      logPath: { value: '/var/log/mongodb/mongod.log', line: 10 },
      dbPath: { value: '/var/lib/mongo', line: 14 },
      fork: { value: true, line: 22 },
      pidFilePath: { value: '/var/run/mongodb/mongod.pid', line: 23 },
      logRotate: null,
    });
  });

  it('reads the official Debian config (no fork, no pid file) and Percona 3.x', () => {
    const deb = conf('mongodb-org-debian-mongod.conf');
    expect(deb).toMatchObject({
      logPath: { value: '/var/log/mongodb/mongod.log' },
      dbPath: { value: '/var/lib/mongodb' },
      pidFilePath: null,
      fork: null,
    });
    const percona = conf('percona-server-mongodb-3.x-mongod.conf');
    expect(percona).toMatchObject({
      logPath: { value: '/var/log/mongodb/mongod.log' },
      pidFilePath: { value: '/var/run/mongod.pid' },
      dbPath: { value: '/var/lib/mongodb' },
    });
  });

  it('reads the legacy key=value format', () => {
    const c = conf('pld-linux-mongod-default.conf');
    expect(c.format).toBe('ini');
    expect(c.logPath?.value).toBe('/var/log/mongodb/mongodb.log');
    expect(c.dbPath?.value).toBe('/var/lib/mongodb');
    expect(c.logAppend?.value).toBe(true);
    expect(c.destination?.value).toBe('file');
  });

  it('rejects bad YAML and a bad logRotate with file:line', () => {
    expect(() => parseMongodConfig('systemLog:\n  path: [unclosed\n', 'x.conf')).toThrow(
      /^x\.conf:\d+: not valid YAML/,
    );
    expect(() => parseMongodConfig('systemLog:\n  logRotate: rotate\n', 'x.conf')).toThrow(
      'x.conf:2: systemLog.logRotate must be rename or reopen, not "rotate"',
    );
  });
});
