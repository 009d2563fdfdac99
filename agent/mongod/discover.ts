import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadYaml } from '../../shared/yaml.js';

/** A mongod process found in /proc: its pid, the config file it was started with, its port. */
export interface DiscoveredMongod {
  pid: number;
  argv: string[];
  configFile: string | null;
  /** From --port, else the config file's net.port, else mongod's default 27017. */
  port: number;
}

const MONGOD_DEFAULT_PORT = 27017;

/** `--config F`, `--config=F`, `-f F`, `--port N`, `--port=N` from a mongod command line; null when it is not mongod. */
export function parseMongodArgv(argv: readonly string[]): { configFile: string | null; port: number | null } | null {
  if (argv.length === 0 || path.basename(argv[0]!) !== 'mongod') return null;
  let configFile: string | null = null;
  let port: number | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (name === '--config' || name === '-f') configFile = value() || null;
    else if (name === '--port') {
      const n = Number(value());
      port = Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
    }
  }
  return { configFile, port };
}

/** net.port of a mongod.conf (YAML, or legacy `port=`); null when unset or unreadable. */
export function configPort(text: string): number | null {
  let n: number;
  try {
    const doc = loadYaml().parse(text) as { net?: { port?: unknown } } | null;
    n = Number(doc && typeof doc === 'object' ? doc.net?.port : NaN);
  } catch {
    n = NaN;
  }
  if (!Number.isInteger(n)) n = Number(/^\s*port\s*=\s*(\d+)/m.exec(text)?.[1] ?? NaN);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
}

/** `/proc/<pid>/cmdline`: NUL-separated arguments. */
export function splitCmdline(raw: string): string[] {
  return raw.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
}

/** Every mongod process under `<root>/proc`, in pid order. */
export function discoverMongods(root: string): DiscoveredMongod[] {
  const proc = path.join(root, 'proc');
  let entries: string[];
  try {
    entries = readdirSync(proc).filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const out: DiscoveredMongod[] = [];
  for (const e of entries.sort((a, b) => Number(a) - Number(b))) {
    let argv: string[];
    try {
      argv = splitCmdline(readFileSync(path.join(proc, e, 'cmdline'), 'utf8'));
    } catch {
      continue; // exited meanwhile
    }
    const m = parseMongodArgv(argv);
    if (!m) continue;
    let port = m.port;
    if (port === null && m.configFile) {
      try {
        port = configPort(readFileSync(m.configFile, 'utf8'));
      } catch {
        // unreadable config: mongod's default port
      }
    }
    out.push({ pid: Number(e), argv, configFile: m.configFile, port: port ?? MONGOD_DEFAULT_PORT });
  }
  return out;
}
