import { discoverMongods } from './discover.js';

/** One mongod the agent watches. */
export interface MongodInstance {
  /** The `instance` label; null for the single mongod of a one-instance agent (labels as before). */
  instance: string | null;
  uri: string;
  configFile: string | null;
  /** Known when discovered from /proc. */
  pid: number | null;
}

export interface InstanceSettings {
  uris: string[];
  configs: string[];
}

/** host:port of a mongodb:// URI, without credentials, as the instance label. */
export function instanceName(uri: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri);
  return m ? m[1]! : uri;
}

/**
 * The mongods to watch: the URI/config pairs given (by position; a config
 * without a URI pairs with the default local one), else every mongod found in
 * `<root>/proc`. Several instances each get an `instance` label; a single
 * configured one keeps the unlabelled series of earlier versions.
 */
export function resolveInstances(root: string, s: InstanceSettings, fallbackUri: string | null): MongodInstance[] {
  if (s.uris.length > 0) {
    const labelled = s.uris.length > 1;
    return s.uris.map((uri, i) => ({
      instance: labelled ? instanceName(uri) : null,
      uri,
      configFile: s.configs[i] ?? null,
      pid: null,
    }));
  }
  const found = discoverMongods(root);
  if (found.length > 0)
    return found.map((d) => ({
      instance: `127.0.0.1:${d.port}`,
      uri: `mongodb://127.0.0.1:${d.port}/?directConnection=true`,
      configFile: d.configFile,
      pid: d.pid,
    }));
  return fallbackUri ? [{ instance: null, uri: fallbackUri, configFile: s.configs[0] ?? null, pid: null }] : [];
}
