import { existsSync } from 'node:fs';
import type { LogPathOptions } from './collectors/logpaths.js';
import type { DeviceFilter } from './procfs/devices.js';
import {
  DEFAULT_LOGROTATE_CONFIG,
  DEFAULT_MONGOD_CONFIG,
  defaultLogrotateState,
  defaultMongodUser,
} from './logrotate/defaults.js';
import { resolveInstances, type MongodInstance } from './mongod/instances.js';

/** Explicit log-path and mongod settings; empty strings mean "the default". */
export interface LogPathSettings {
  logrotateConfig?: string;
  logrotateState?: string;
  mongodConfig?: string;
  mongodUser?: string;
  mongodUri?: string;
  /** Several mongods: URIs and config files paired by position (the agent's repeated flags). */
  mongodUris?: string[];
  mongodConfigs?: string[];
}

const DEFAULT_MONGOD_URI = 'mongodb://127.0.0.1:27017';

/** The mongod to watch: the one named, else the local default on a host that has /etc/mongod.conf. */
function mongodUri(root: string, s: LogPathSettings = {}): string | null {
  if (s.mongodUri) return s.mongodUri;
  return root === '/' && existsSync(DEFAULT_MONGOD_CONFIG) ? DEFAULT_MONGOD_URI : null;
}

/**
 * What the log-path collector checks. On the real root the system files are
 * checked when present; on a fixture root only what is named explicitly, since
 * the checks judge the live file system.
 */
function logPathOptions(root: string, s: LogPathSettings = {}): LogPathOptions {
  const live = root === '/';
  const pick = (explicit: string | undefined, fallback: string) =>
    explicit || (live && existsSync(fallback) ? fallback : null);
  return {
    logrotateConfig: pick(s.logrotateConfig, DEFAULT_LOGROTATE_CONFIG),
    logrotateState: s.logrotateState || defaultLogrotateState(),
    mongodConfig: pick(s.mongodConfig, DEFAULT_MONGOD_CONFIG),
    mongodUser: s.mongodUser || defaultMongodUser(),
  };
}

/** `--disks-include` / `--disks-exclude` as given (empty: not set); see procfs/devices.ts. */
export interface DiskSettings {
  disksInclude?: string;
  disksExclude?: string;
}

export function deviceFilter(s: DiskSettings = {}): DeviceFilter {
  return {
    include: s.disksInclude ? new RegExp(s.disksInclude) : null,
    exclude: s.disksExclude ? new RegExp(s.disksExclude) : null,
  };
}

/** The mongods this agent watches: the pairs given, else those found in /proc, else the local default. */
function mongodInstances(root: string, s: LogPathSettings = {}): MongodInstance[] {
  const uris = s.mongodUris?.length ? s.mongodUris : s.mongodUri ? [s.mongodUri] : [];
  const configs = s.mongodConfigs?.length ? s.mongodConfigs : s.mongodConfig ? [s.mongodConfig] : [];
  return resolveInstances(root, { uris, configs }, mongodUri(root, {}));
}

/**
 * The host as the collector factories see it: its root and settings, with the
 * facts several collectors need (the mongods, the log-path options) worked out
 * once.
 */
export class HostSettings {
  private instancesMemo: MongodInstance[] | null = null;

  constructor(
    readonly root: string,
    readonly logPaths: LogPathSettings = {},
    readonly disks: DiskSettings = {},
    /** The agent's own directory (its spool), where what must outlive a restart is kept; null: nowhere. */
    readonly stateDir: string | null = null,
  ) {}

  get instances(): MongodInstance[] {
    return (this.instancesMemo ??= mongodInstances(this.root, this.logPaths));
  }

  /** Several mongods: each is labelled with its instance name. */
  get labelled(): boolean {
    return this.instances.some((i) => i.instance !== null);
  }

  get logPathOptions(): LogPathOptions {
    return logPathOptions(this.root, this.logPaths);
  }
}
