import type { Document } from 'bson';
import type { MongodConfig } from './config.js';

/** What a running mongod actually uses, from its getCmdLineOpts reply. */
export interface RunningOptions {
  argv: string[];
  /** The config file it was started with (`--config`/`-f`), if any. */
  configFile: string | null;
  destination: string | null;
  logPath: string | null;
  logAppend: boolean;
  logRotate: 'rename' | 'reopen';
  dbPath: string | null;
  pidFilePath: string | null;
  port: number | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const bool = (v: unknown): boolean => v === true || v === 1 || v === 'true';

function section(doc: Document, key: string): Document {
  const v = doc[key] as unknown;
  return v && typeof v === 'object' ? v : {};
}

/**
 * getCmdLineOpts answers `{argv, parsed}`; `parsed` is nested (systemLog.path)
 * from 2.6 on and flat (logpath, dbpath) before. Both are read.
 */
export function parseCmdLineOpts(reply: Document): RunningOptions {
  const parsed = section(reply, 'parsed');
  const log = section(parsed, 'systemLog');
  const storage = section(parsed, 'storage');
  const pm = section(parsed, 'processManagement');
  const net = section(parsed, 'net');
  const logPath = str(log.path) ?? str(parsed.logpath);
  const rotate = str(log.logRotate) ?? str(parsed.logRotate);
  const port = Number(net.port ?? parsed.port);
  return {
    argv: Array.isArray(reply.argv) ? (reply.argv as unknown[]).map(String) : [],
    configFile: str(parsed.config),
    destination: str(log.destination) ?? (logPath ? 'file' : null),
    logPath,
    logAppend: bool(log.logAppend ?? parsed.logappend),
    logRotate: rotate === 'reopen' ? 'reopen' : 'rename',
    dbPath: str(storage.dbPath) ?? str(parsed.dbpath),
    pidFilePath: str(pm.pidFilePath) ?? str(parsed.pidfilepath),
    port: Number.isInteger(port) && port > 0 ? port : null,
  };
}

/** The running options in the shape of a mongod.conf, so the config checks judge what the process uses. */
export function runningAsConfig(o: RunningOptions, source: string): MongodConfig {
  const at = <T>(value: T | null) => (value === null ? null : { value, line: 0 });
  return {
    file: source,
    format: 'yaml',
    destination: at(o.destination),
    logPath: at(o.logPath),
    logAppend: at(o.logAppend),
    logRotate: at(o.logRotate),
    dbPath: at(o.dbPath),
    pidFilePath: at(o.pidFilePath),
    fork: null,
  };
}
