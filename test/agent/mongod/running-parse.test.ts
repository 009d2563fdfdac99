import { describe, expect, it } from 'vitest';
import { parseCmdLineOpts } from '../../../agent/mongod/cmdline.js';
import { parseMongodConfig } from '../../../agent/mongod/config.js';
import { compareWithFile } from '../../../agent/mongod/running-check.js';
import { judgeOpenLog } from '../../../agent/mongod/open-log.js';
import { configPort, parseMongodArgv, splitCmdline } from '../../../agent/mongod/discover.js';
import { instanceName } from '../../../agent/mongod/instances.js';

describe('getCmdLineOpts', () => {
  it('reads the nested options of 2.6+ and the flat ones of 2.4', () => {
    const nested = parseCmdLineOpts({
      argv: ['/usr/bin/mongod', '--config', '/etc/mongod.conf'],
      parsed: {
        config: '/etc/mongod.conf',
        net: { port: 27018 },
        storage: { dbPath: '/data/db' },
        systemLog: { destination: 'file', path: '/var/log/mongodb/mongod.log', logAppend: true, logRotate: 'reopen' },
        processManagement: { pidFilePath: '/run/mongod.pid' },
      },
      ok: 1,
    });
    expect(nested).toEqual({
      argv: ['/usr/bin/mongod', '--config', '/etc/mongod.conf'],
      configFile: '/etc/mongod.conf',
      destination: 'file',
      logPath: '/var/log/mongodb/mongod.log',
      logAppend: true,
      logRotate: 'reopen',
      dbPath: '/data/db',
      pidFilePath: '/run/mongod.pid',
      port: 27018,
    });
    const flat = parseCmdLineOpts({
      argv: ['mongod', '--logpath', '/log/m.log', '--dbpath', '/db'],
      parsed: { logpath: '/log/m.log', dbpath: '/db', logappend: true },
    });
    expect(flat).toMatchObject({ destination: 'file', logPath: '/log/m.log', dbPath: '/db', logAppend: true });
    expect(flat.logRotate).toBe('rename'); // mongod's default
    expect(flat.port).toBeNull();
  });
});

describe('config file against the running process', () => {
  const running = parseCmdLineOpts({
    parsed: { systemLog: { destination: 'file', path: '/old/mongod.log' }, storage: { dbPath: '/data' } },
  });
  it('names each setting the file changed since mongod started, with its line', () => {
    const file = parseMongodConfig(
      'systemLog:\n  destination: file\n  path: /new/mongod.log\nstorage:\n  dbPath: /data\n',
      '/etc/mongod.conf',
    );
    expect(compareWithFile(file, running)).toEqual([
      { setting: 'systemLog.path', file: '/new/mongod.log', running: '/old/mongod.log', line: 3 },
    ]);
  });
  it('finds nothing when they agree, and ignores what the file leaves to defaults', () => {
    const file = parseMongodConfig('systemLog:\n  destination: file\n  path: /old/mongod.log\n', '/f');
    expect(compareWithFile(file, running)).toEqual([]);
  });
});

describe('the open log', () => {
  const base = { pid: 42, logPath: '/var/log/mongodb/mongod.log', missingDir: null };
  it('passes when the descriptor is the file at the path', () => {
    const open = [{ fd: 5, target: '/var/log/mongodb/mongod.log', dev: 1, ino: 9 }];
    const v = judgeOpenLog({ ...base, open, atPath: { dev: 1, ino: 9 } }, 'running');
    expect(v.findings).toEqual([]);
    expect(v.fd?.fd).toBe(5);
  });
  it('fails for a log on a detached mount, a deleted file, and another file at the path', () => {
    const detached = judgeOpenLog(
      {
        ...base,
        open: [{ fd: 5, target: '/mongodb/mongod.log', dev: 7, ino: 3 }],
        atPath: null,
        missingDir: '/var/log',
      },
      'running',
    );
    expect(detached.findings[0]).toMatchObject({
      severity: 'error',
      code: 'running-log-detached',
      target: base.logPath,
    });
    expect(detached.findings[0]!.message).toContain('directory /var/log no longer exists');
    const deleted = judgeOpenLog(
      { ...base, open: [{ fd: 5, target: `${base.logPath} (deleted)`, dev: 1, ino: 3 }], atPath: null },
      'running',
    );
    expect(deleted.findings[0]!.message).toContain('the file was deleted');
    const replaced = judgeOpenLog(
      { ...base, open: [{ fd: 5, target: base.logPath, dev: 1, ino: 3 }], atPath: { dev: 1, ino: 4 } },
      'running',
    );
    expect(replaced.findings[0]!.message).toContain('a different file is at that path now');
  });
  it('warns when no open file is the log, and says so when the descriptors cannot be read', () => {
    const none = judgeOpenLog({ ...base, open: [], atPath: { dev: 1, ino: 9 } }, 'running');
    expect(none.findings[0]).toMatchObject({ severity: 'warning', code: 'running-log-not-open' });
    const hidden = judgeOpenLog({ ...base, open: null, atPath: null }, 'running');
    expect(hidden.findings[0]).toMatchObject({ severity: 'info', code: 'running-fds-unreadable' });
  });
});

describe('mongod command lines', () => {
  it('takes --config, -f, --port and their = forms, and only from mongod', () => {
    expect(parseMongodArgv(['/usr/bin/mongod', '--config', '/etc/mongod.conf'])).toEqual({
      configFile: '/etc/mongod.conf',
      port: null,
    });
    expect(parseMongodArgv(['mongod', '-f', '/etc/a.conf', '--port=27019'])).toEqual({
      configFile: '/etc/a.conf',
      port: 27019,
    });
    expect(parseMongodArgv(['mongod', '--config=/c', '--port', '99999'])).toEqual({ configFile: '/c', port: null });
    expect(parseMongodArgv(['mongos', '--config', '/etc/mongos.conf'])).toBeNull();
    expect(parseMongodArgv([])).toBeNull();
    expect(splitCmdline('mongod\0--port\x0027018\0')).toEqual(['mongod', '--port', '27018']);
  });
  it("reads the port from a config file's net.port, YAML or legacy", () => {
    expect(configPort('net:\n  port: 27020\n  bindIp: 127.0.0.1\n')).toBe(27020);
    expect(configPort('dbpath=/data\nport = 27021\n')).toBe(27021);
    expect(configPort('systemLog:\n  path: /x\n')).toBeNull();
  });
  it('labels an instance by host:port, without credentials', () => {
    expect(instanceName('mongodb://u:secret@10.0.0.5:27018/?authSource=admin')).toBe('10.0.0.5:27018');
  });
});
