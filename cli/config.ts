import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LineCounter, Node } from 'yaml';
import { loadYaml } from '../shared/yaml.js';
import { nearest } from './nearest.js';
import { LIMIT_SETTINGS } from './limit-settings.js';
import { errorMessage } from '../shared/errors.js';
import {
  bool,
  existingDir,
  hostList,
  httpUrl,
  int,
  oneOf,
  regex,
  str,
  wsUrlList,
  type Parser,
} from './setting-parsers.js';

/**
 * Configuration comes from flags, then TIDEMARK_* environment variables, then
 * an optional YAML file (--config / TIDEMARK_CONFIG), then defaults: the first
 * that sets a value wins. Every value is validated here, and an error names
 * where the bad value came from.
 */

export class ConfigError extends Error {}

/** An http(s) URL from a config section (receivers, remote-write targets); `where` names its place. */
export function checkUrl(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${where}: needs a url`);
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`${where}: "${v}" is not an http(s) URL`);
  }
  return v;
}

export interface Setting<T> {
  /** Dotted path in the YAML file, e.g. `server.port`. */
  yaml: string;
  env: string;
  /** Commander's camelCase option name, e.g. `dataDir` for --data-dir. */
  flag: string;
  parse: Parser<T>;
  default: () => T;
  describe: string;
}

export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'tidemark');
}

/** The agent's spool beside its state: one directory per agent id, so two agents on a host never share one. */
export function defaultSpoolDir(agentId: string): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'tidemark', 'spool', agentId.replace(/[^\w.-]/g, '_'));
}

export const SETTINGS = {
  host: {
    yaml: 'server.host',
    env: 'TIDEMARK_HOST',
    flag: 'host',
    parse: str,
    default: () => '127.0.0.1',
    describe: 'address the server listens on',
  },
  port: {
    yaml: 'server.port',
    env: 'TIDEMARK_PORT',
    flag: 'port',
    parse: int(0, 65535),
    default: () => 7070,
    describe: 'port the server listens on',
  },
  dataDir: {
    yaml: 'server.dataDir',
    env: 'TIDEMARK_DATA_DIR',
    flag: 'dataDir',
    parse: str,
    default: defaultDataDir,
    describe: 'where the server keeps its token and data',
  },
  store: {
    yaml: 'server.store',
    env: 'TIDEMARK_STORE',
    flag: 'store',
    parse: oneOf('sqlite', 'memory'),
    default: () => 'sqlite' as const,
    describe: 'where history lives: sqlite (in the data dir, survives restarts) or memory (last hour)',
  },
  retentionHours: {
    yaml: 'server.retentionHours',
    env: 'TIDEMARK_RETENTION_HOURS',
    flag: 'retentionHours',
    parse: int(1, 24 * 365),
    default: () => 48,
    describe: 'hours of raw 1 s samples kept (1-minute rollups 30 days, 1-hour rollups a year)',
  },
  token: {
    yaml: 'token',
    env: 'TIDEMARK_TOKEN',
    flag: 'token',
    parse: str,
    default: () => '',
    describe: 'agent token',
  },
  apiToken: {
    yaml: 'server.apiToken',
    env: 'TIDEMARK_API_TOKEN',
    flag: 'apiToken',
    parse: str,
    default: () => '',
    describe: 'dashboard and API credential',
  },
  readToken: {
    yaml: 'server.readToken',
    env: 'TIDEMARK_READ_TOKEN',
    flag: 'readToken',
    parse: str,
    default: () => '',
    describe: 'read-only dashboard and API credential',
  },
  haPeer: {
    yaml: 'server.haPeer',
    env: 'TIDEMARK_HA_PEER',
    flag: 'haPeer',
    parse: httpUrl,
    default: () => '',
    describe:
      'the other server of an HA pair (same agents, same rules, both posting to one Alertmanager); warns about receivers that would page twice',
  },
  historyUrl: {
    yaml: 'server.historyUrl',
    env: 'TIDEMARK_HISTORY_URL',
    flag: 'historyUrl',
    parse: httpUrl,
    default: () => '',
    describe:
      'Prometheus-compatible query API (VictoriaMetrics, Prometheus, Mimir, Thanos) that /api/series and history ranges read from; the live view stays local',
  },
  allowedHosts: {
    yaml: 'server.allowedHosts',
    env: 'TIDEMARK_ALLOWED_HOSTS',
    flag: 'allowedHost',
    parse: hostList,
    default: () => [] as string[],
    describe: 'host names (comma-separated) browsers may reach the server by besides its own, e.g. a proxy in front',
  },
  tlsCert: {
    yaml: 'server.tlsCert',
    env: 'TIDEMARK_TLS_CERT',
    flag: 'tlsCert',
    parse: str,
    default: () => '',
    describe: 'PEM certificate (chain) to serve HTTPS and wss with; re-read when it changes',
  },
  tlsKey: {
    yaml: 'server.tlsKey',
    env: 'TIDEMARK_TLS_KEY',
    flag: 'tlsKey',
    parse: str,
    default: () => '',
    describe: 'PEM private key of --tls-cert',
  },
  clientCa: {
    yaml: 'server.clientCa',
    env: 'TIDEMARK_CLIENT_CA',
    flag: 'clientCa',
    parse: str,
    default: () => '',
    describe: "CA of agents' client certificates: agents must then present one whose common name is their agent id",
  },
  ca: {
    yaml: 'agent.ca',
    env: 'TIDEMARK_CA',
    flag: 'ca',
    parse: str,
    default: () => '',
    describe: "PEM CA that signs the server's certificate (default: the system's trusted CAs)",
  },
  insecureSkipVerify: {
    yaml: 'agent.insecureSkipVerify',
    env: 'TIDEMARK_INSECURE_SKIP_VERIFY',
    flag: 'insecureSkipVerify',
    parse: bool,
    default: () => false,
    describe: "do not verify the server's certificate (anyone on the path can read the token); for tests only",
  },
  clientCert: {
    yaml: 'agent.clientCert',
    env: 'TIDEMARK_CLIENT_CERT',
    flag: 'clientCert',
    parse: str,
    default: () => '',
    describe: 'PEM client certificate for mutual TLS (common name = agent id)',
  },
  clientKey: {
    yaml: 'agent.clientKey',
    env: 'TIDEMARK_CLIENT_KEY',
    flag: 'clientKey',
    parse: str,
    default: () => '',
    describe: 'PEM private key of --client-cert',
  },
  server: {
    yaml: 'agent.server',
    env: 'TIDEMARK_SERVER',
    flag: 'server',
    parse: wsUrlList,
    default: () => 'ws://127.0.0.1:7070',
    describe: 'server URL the agent connects to; several, comma-separated, are tried in order (failover)',
  },
  failbackSeconds: {
    yaml: 'agent.failbackSeconds',
    env: 'TIDEMARK_FAILBACK_SECONDS',
    flag: 'failbackAfter',
    parse: int(1, 86_400),
    default: () => 30,
    describe: 'on a server other than the first of --server, check this often whether the first is back',
  },
  root: {
    yaml: 'agent.root',
    env: 'TIDEMARK_ROOT',
    flag: 'root',
    parse: existingDir,
    default: () => '/',
    describe: 'root directory for /proc and /sys',
  },
  agentId: {
    yaml: 'agent.id',
    env: 'TIDEMARK_AGENT_ID',
    flag: 'agentId',
    parse: str,
    default: () => os.hostname(),
    describe: 'agent id shown as the host',
  },
  intervalMs: {
    yaml: 'agent.intervalMs',
    env: 'TIDEMARK_INTERVAL_MS',
    flag: 'intervalMs',
    parse: int(100, 3_600_000),
    default: () => 1000,
    describe: 'sampling interval in ms',
  },
  inventoryIntervalMs: {
    yaml: 'agent.inventoryIntervalMs',
    env: 'TIDEMARK_INVENTORY_INTERVAL_MS',
    flag: 'inventoryIntervalMs',
    parse: int(1000, 86_400_000),
    default: () => 3_600_000,
    describe:
      'how often to check whether the host changed (CPUs, memory, disks, OS) and re-gather its inventory, in ms',
  },
  buffer: {
    yaml: 'agent.buffer',
    env: 'TIDEMARK_BUFFER',
    flag: 'buffer',
    parse: int(1, 1_000_000),
    default: () => 3600,
    describe: 'unacknowledged batches kept during an outage',
  },
  disksInclude: {
    yaml: 'agent.disksInclude',
    env: 'TIDEMARK_DISKS_INCLUDE',
    flag: 'disksInclude',
    parse: regex,
    default: () => '',
    describe:
      'report exactly the block devices whose name matches this regular expression (default: whole disks, NVMe namespaces, dm and md that did I/O; no partitions, ram, zram, loop)',
  },
  disksExclude: {
    yaml: 'agent.disksExclude',
    env: 'TIDEMARK_DISKS_EXCLUDE',
    flag: 'disksExclude',
    parse: regex,
    default: () => '',
    describe: 'never report block devices whose name matches this regular expression',
  },
  spoolDir: {
    yaml: 'agent.spoolDir',
    env: 'TIDEMARK_SPOOL_DIR',
    flag: 'spoolDir',
    parse: str,
    default: () => '',
    describe:
      'where unacknowledged batches are kept on disk (default $XDG_STATE_HOME/tidemark/spool/<agent id>; none: memory only)',
  },
  logrotateConfig: {
    yaml: 'agent.logrotateConfig',
    env: 'TIDEMARK_LOGROTATE_CONFIG',
    flag: 'logrotateConfig',
    parse: str,
    default: () => '',
    describe: 'logrotate configuration the agent checks (default /etc/logrotate.conf when --root is /)',
  },
  logrotateState: {
    yaml: 'agent.logrotateState',
    env: 'TIDEMARK_LOGROTATE_STATE',
    flag: 'logrotateState',
    parse: str,
    default: () => '',
    describe: 'logrotate state file (default /var/lib/logrotate/status)',
  },
  mongodConfig: {
    yaml: 'agent.mongodConfig',
    env: 'TIDEMARK_MONGOD_CONFIG',
    flag: 'mongodConfig',
    parse: str,
    default: () => '',
    describe: 'mongod.conf the agent checks (default /etc/mongod.conf when present and --root is /)',
  },
  mongodUser: {
    yaml: 'agent.mongodUser',
    env: 'TIDEMARK_MONGOD_USER',
    flag: 'mongodUser',
    parse: str,
    default: () => '',
    describe: 'account mongod runs as (default mongod or mongodb)',
  },
  mongodUri: {
    yaml: 'agent.mongodUri',
    env: 'TIDEMARK_MONGOD_URI',
    flag: 'mongodUri',
    parse: str,
    default: () => '',
    describe:
      'mongod to watch, e.g. mongodb://user:pass@127.0.0.1:27017/?tls=true (default mongodb://127.0.0.1:27017 when /etc/mongod.conf exists and --root is /)',
  },
  logLevel: {
    yaml: 'log.level',
    env: 'TIDEMARK_LOG_LEVEL',
    flag: 'logLevel',
    parse: oneOf('debug', 'info', 'warn', 'error'),
    default: () => 'info' as const,
    describe: 'log level',
  },
  ...LIMIT_SETTINGS,
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };

function lookup(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Sections whose contents another reader validates (alerting, remote write). */
const OWN_SECTIONS = ['alerts', 'remoteWrite'];

/**
 * Every key of the file must be a setting or lead to one: a typo (`retentionHour:`) would otherwise be lost
 * without a word. The error names the file, the line and the nearest valid key.
 */
function checkKeys(file: string, root: Node, lines: LineCounter): void {
  const known = [...Object.values(SETTINGS).map((s) => s.yaml), ...OWN_SECTIONS];
  const { isMap, isScalar } = loadYaml();
  const walk = (node: Node, prefix: string) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const dotted = prefix ? `${prefix}.${key}` : key;
      if (known.includes(dotted)) continue; // a setting: its value is checked by its parser
      if (known.some((k) => k.startsWith(`${dotted}.`))) {
        walk(pair.value as Node, dotted);
        continue;
      }
      const line = keyNode.range ? lines.linePos(keyNode.range[0]).line : 0;
      const siblings = known
        .filter((k) => k.startsWith(prefix ? `${prefix}.` : ''))
        .map((k) => k.slice(prefix ? prefix.length + 1 : 0).split('.')[0]!);
      const guess = nearest(key, siblings);
      throw new ConfigError(
        `${file}:${line}: unknown key "${dotted}"${guess ? ` (did you mean "${prefix ? `${prefix}.` : ''}${guess}"?)` : ''}`,
      );
    }
  };
  walk(root, '');
}

/** Reads and parses the YAML file; an unknown key is an error (see checkKeys). */
export function loadConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${errorMessage(err)}`);
  }
  const { LineCounter, parseDocument } = loadYaml();
  const lines = new LineCounter();
  const parsed = parseDocument(text, { lineCounter: lines });
  if (parsed.errors.length) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${parsed.errors[0]!.message}`);
  }
  const doc: unknown = parsed.toJS();
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${file} must be a mapping`);
  checkKeys(file, parsed.contents as Node, lines);
  return doc as Record<string, unknown>;
}

/** Resolves the named settings from flags, environment, file and defaults, in that order. */
export function resolveSettings<K extends SettingName>(
  names: readonly K[],
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Pick<Settings, K> {
  const configFile = (flags.config as string | undefined) ?? env.TIDEMARK_CONFIG;
  const file = configFile ? loadConfigFile(configFile) : {};
  const out = {} as Pick<Settings, K>;
  for (const name of names) {
    const s = SETTINGS[name] as Setting<unknown>;
    const sources: [unknown, string][] = [
      [flags[s.flag], `--${s.flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`],
      [env[s.env], s.env],
      [lookup(file, s.yaml), `${s.yaml} in ${configFile}`],
    ];
    const found = sources.find(([v]) => v !== undefined && v !== '');
    if (!found) {
      (out as Record<string, unknown>)[name] = s.default();
      continue;
    }
    try {
      (out as Record<string, unknown>)[name] = s.parse(found[0]);
    } catch (err) {
      throw new ConfigError(`${found[1]}: ${errorMessage(err)} (got ${JSON.stringify(found[0])})`);
    }
  }
  return out;
}
