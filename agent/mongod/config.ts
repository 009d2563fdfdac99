import type { Node, Pair } from 'yaml';
import { loadYaml } from '../../shared/yaml.js';

/**
 * mongod's configuration as far as log paths, storage and the pid file go:
 * YAML (2.6+) or the legacy key=value format, with the line of each setting so
 * findings can point at it.
 */
export interface Setting<T> {
  value: T;
  line: number;
}

export interface MongodConfig {
  file: string;
  format: 'yaml' | 'ini';
  destination: Setting<string> | null;
  logPath: Setting<string> | null;
  logAppend: Setting<boolean> | null;
  logRotate: Setting<'rename' | 'reopen'> | null;
  dbPath: Setting<string> | null;
  pidFilePath: Setting<string> | null;
  fork: Setting<boolean> | null;
}

export class MongodConfigError extends Error {}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'string' && /^(true|1|yes|on)$/i.test(v.trim()));
}

function looksLikeYaml(text: string): boolean {
  return /^\s*[A-Za-z]+:\s*(#.*)?$/m.test(text) || /^\s*[A-Za-z]+:\s+\S/m.test(text);
}

export function parseMongodConfig(text: string, file: string): MongodConfig {
  const empty: MongodConfig = {
    file,
    format: 'yaml',
    destination: null,
    logPath: null,
    logAppend: null,
    logRotate: null,
    dbPath: null,
    pidFilePath: null,
    fork: null,
  };
  if (!looksLikeYaml(text) && /^\s*\w+\s*=/m.test(text)) return parseIni(text, file);
  const { LineCounter, parseDocument, isMap, isScalar } = loadYaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new MongodConfigError(`${file}:${lc.linePos(e.pos[0]).line}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (n: Node | Pair | null | undefined) => {
    const range =
      n && 'range' in n ? n.range : n && 'key' in n && n.key && (n.key as Node).range ? (n.key as Node).range : null;
    return range ? lc.linePos(range[0]).line : 0;
  };
  const get = (dotted: string): { value: unknown; line: number } | null => {
    let node: unknown = doc.contents;
    let pair: Pair | null = null;
    for (const part of dotted.split('.')) {
      if (!isMap(node)) return null;
      pair = node.items.find((it): it is Pair => isScalar(it.key) && it.key.value === part) ?? null;
      if (!pair) return null;
      node = pair.value;
    }
    return { value: isScalar(node) ? node.value : node, line: lineOf(pair) };
  };
  const str = (d: string): Setting<string> | null => {
    const g = get(d);
    const v = g?.value;
    // A map or list where mongod wants a string is not a setting it would read.
    return g && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      ? { value: String(v), line: g.line }
      : null;
  };
  const bool = (d: string): Setting<boolean> | null => {
    const g = get(d);
    return g ? { value: truthy(g.value), line: g.line } : null;
  };
  const rotate = str('systemLog.logRotate');
  if (rotate && rotate.value !== 'rename' && rotate.value !== 'reopen') {
    throw new MongodConfigError(
      `${file}:${rotate.line}: systemLog.logRotate must be rename or reopen, not "${rotate.value}"`,
    );
  }
  return {
    ...empty,
    destination: str('systemLog.destination'),
    logPath: str('systemLog.path'),
    logAppend: bool('systemLog.logAppend'),
    logRotate: rotate as Setting<'rename' | 'reopen'> | null,
    dbPath: str('storage.dbPath'),
    pidFilePath: str('processManagement.pidFilePath'),
    fork: bool('processManagement.fork'),
  };
}

/** The pre-2.6 format: `logpath=/var/log/mongodb/mongodb.log`, `#` comments. */
function parseIni(text: string, file: string): MongodConfig {
  const values = new Map<string, Setting<string>>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^([A-Za-z][\w.]*)\s*=\s*(.*)$/.exec(line);
    if (m) values.set(m[1]!.toLowerCase(), { value: m[2]!.trim(), line: i + 1 });
  });
  const s = (k: string) => values.get(k) ?? null;
  const b = (k: string) => {
    const v = values.get(k);
    return v ? { value: truthy(v.value), line: v.line } : null;
  };
  const logPath = s('logpath');
  const rotate = s('logrotate');
  return {
    file,
    format: 'ini',
    destination: logPath ? { value: 'file', line: logPath.line } : null,
    logPath,
    logAppend: b('logappend'),
    logRotate:
      rotate && (rotate.value === 'rename' || rotate.value === 'reopen')
        ? (rotate as Setting<'rename' | 'reopen'>)
        : null,
    dbPath: s('dbpath'),
    pidFilePath: s('pidfilepath'),
    fork: b('fork'),
  };
}
