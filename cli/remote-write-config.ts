import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RemoteTargetConfig } from '../server/remote-write/http.js';
import { parseDuration } from '../server/alerts/rules.js';
import { ConfigError, loadConfigFile, checkUrl } from './config.js';
import { errorMessage } from '../shared/errors.js';

/**
 * The remote-write part of the configuration. `--remote-write URL`
 * (repeatable; or TIDEMARK_REMOTE_WRITE, comma-separated, when no flag is
 * given) adds a target with defaults; the YAML file's `remoteWrite:` section
 * sets the queue's bound and targets with credentials:
 *
 *   remoteWrite:
 *     maxAge: 2h            # queue bound by age (default 2h)
 *     maxBytes: 8GiB        # and by size (default 8GiB)
 *     targets:
 *       - url: https://vm.example:8428/api/v1/write
 *         headers: { X-Scope-OrgID: dbteam }
 *         basicAuth: { username: tidemark, passwordFile: /etc/tidemark/rw-pass }
 *         # or bearerToken / bearerTokenFile
 *         tls: { caFile: /etc/ssl/ca.pem, certFile: …, keyFile: …, insecureSkipVerify: false, serverName: vm }
 *         shards: 4
 *         maxSamplesPerSend: 2000
 *         batchDeadline: 1s
 */
export interface RemoteWriteConfig {
  targets: RemoteTargetConfig[];
  maxAgeMs?: number;
  maxBytes?: number;
}

type Raw = Record<string, unknown>;

export function remoteWriteConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): RemoteWriteConfig | null {
  const file = (flags.config as string | undefined) ?? env.TIDEMARK_CONFIG;
  const section = (file ? loadConfigFile(file).remoteWrite : undefined) ?? {};
  const where = (k: string) => `remoteWrite.${k} in ${file}`;
  if (typeof section !== 'object' || Array.isArray(section)) throw new ConfigError(`${where('')}: must be a mapping`);
  const s = section as Raw;
  const fromFlags = (flags.remoteWrite as string[] | undefined) ?? [];
  const urls = fromFlags.length
    ? fromFlags.map((u) => [u, '--remote-write'] as const)
    : (env.TIDEMARK_REMOTE_WRITE ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean)
        .map((u) => [u, 'TIDEMARK_REMOTE_WRITE'] as const);
  const targets: RemoteTargetConfig[] = urls.map(([u, from]) => ({ url: checkUrl(u, from) }));
  const list = s.targets ?? [];
  if (!Array.isArray(list)) throw new ConfigError(`${where('targets')}: must be a list`);
  list.forEach((raw, i) => {
    try {
      targets.push(target(raw, `remoteWrite.targets[${i}]`, path.dirname(file ?? '.')));
    } catch (err) {
      throw err instanceof ConfigError ? new ConfigError(`${err.message} (in ${file})`) : err;
    }
  });
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.url)) throw new ConfigError(`remote write target ${t.url} is given twice`);
    names.add(t.url);
  }
  const out: RemoteWriteConfig = { targets };
  if (s.maxAge !== undefined) {
    const ms = parseDuration(s.maxAge);
    if (ms === null || ms < 60_000) throw new ConfigError(`${where('maxAge')}: a duration of at least 1m, e.g. 2h`);
    out.maxAgeMs = ms;
  }
  if (s.maxBytes !== undefined) out.maxBytes = parseBytes(s.maxBytes, where('maxBytes'));
  return targets.length ? out : null;
}

function target(raw: unknown, at: string, baseDir: string): RemoteTargetConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${at}: must be a mapping`);
  const r = raw as Raw;
  const known = ['url', 'name', 'headers', 'basicAuth', 'bearerToken', 'bearerTokenFile', 'tls'];
  known.push('shards', 'maxSamplesPerSend', 'batchDeadline', 'timeout');
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new ConfigError(`${at}: unknown key "${k}"`);
  const t: RemoteTargetConfig = { url: checkUrl(r.url, at) };
  const file = (v: unknown, key: string) => {
    if (typeof v !== 'string') throw new ConfigError(`${at}.${key}: must be a file name`);
    const p = path.resolve(baseDir, v);
    try {
      return readFileSync(p, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`${at}.${key}: cannot read ${p}: ${errorMessage(err)}`);
    }
  };
  if (r.name !== undefined) {
    if (typeof r.name !== 'string') throw new ConfigError(`${at}.name: must be a string`);
    t.name = r.name;
  }
  if (r.headers !== undefined) {
    if (typeof r.headers !== 'object' || r.headers === null || Array.isArray(r.headers))
      throw new ConfigError(`${at}.headers: must be a mapping of header names to values`);
    t.headers = Object.fromEntries(Object.entries(r.headers as Raw).map(([k, v]) => [k, String(v)]));
  }
  if (r.basicAuth !== undefined) {
    const b = r.basicAuth as Raw;
    if (typeof b?.username !== 'string') throw new ConfigError(`${at}.basicAuth: needs username`);
    const password = b.passwordFile !== undefined ? file(b.passwordFile, 'basicAuth.passwordFile') : b.password;
    if (typeof password !== 'string') throw new ConfigError(`${at}.basicAuth: needs password or passwordFile`);
    t.basicAuth = { username: b.username, password };
  }
  if (r.bearerToken !== undefined || r.bearerTokenFile !== undefined) {
    if (t.basicAuth) throw new ConfigError(`${at}: basicAuth and bearerToken exclude each other`);
    t.bearerToken =
      r.bearerTokenFile !== undefined ? file(r.bearerTokenFile, 'bearerTokenFile') : String(r.bearerToken);
  }
  if (r.tls !== undefined) {
    const tls = r.tls as Raw;
    const p = (k: string) => (typeof tls[k] === 'string' ? path.resolve(baseDir, tls[k]) : undefined);
    t.tls = { caFile: p('caFile'), certFile: p('certFile'), keyFile: p('keyFile') };
    if (tls.insecureSkipVerify !== undefined) t.tls.insecureSkipVerify = tls.insecureSkipVerify === true;
    if (typeof tls.serverName === 'string') t.tls.serverName = tls.serverName;
    if (!t.url.startsWith('https:')) throw new ConfigError(`${at}.tls: TLS options need an https:// url`);
  }
  const whole = (k: string, min: number, max: number) => {
    const v = r[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new ConfigError(`${at}.${k}: a whole number from ${min} to ${max}`);
    return v;
  };
  t.shards = whole('shards', 1, 64);
  t.maxSamplesPerSend = whole('maxSamplesPerSend', 1, 100_000);
  for (const [k, key] of [
    ['batchDeadline', 'batchDeadlineMs'],
    ['timeout', 'timeoutMs'],
  ] as const) {
    if (r[k] === undefined) continue;
    const ms = parseDuration(r[k]);
    if (ms === null || ms < 10) throw new ConfigError(`${at}.${k}: a duration such as 1s`);
    t[key] = ms;
  }
  return t;
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** A size such as 512MiB or 8GiB, or a number of bytes. */
function parseBytes(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 << 20) return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)$/.exec(v.trim()) : null;
  const bytes = m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : NaN;
  if (!(bytes >= 1 << 20)) throw new ConfigError(`${where}: a size of at least 1MiB, e.g. 512MiB or 8GiB`);
  return bytes;
}
