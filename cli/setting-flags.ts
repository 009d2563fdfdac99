import { SETTINGS, type SettingName } from './config.js';
import { flagOf, type LimitName } from './limit-settings.js';

/**
 * How each setting is spelled on the command line, and the groups of
 * settings several commands share: plain data, without commander, so the
 * agent's own parser (cli/agent-argv.ts) reads the same table as the CLI's.
 */

/** How each setting that is not a resource limit is spelled on the command line, once for every command. */
const SETTING_FLAGS: Record<Exclude<SettingName, LimitName>, string> = {
  port: '--port <n>',
  host: '--host <addr>',
  dataDir: '--data-dir <dir>',
  store: '--store <kind>',
  retentionHours: '--retention-hours <n>',
  token: '--token <token>',
  apiToken: '--api-token <token>',
  readToken: '--read-token <token>',
  tlsCert: '--tls-cert <file>',
  tlsKey: '--tls-key <file>',
  clientCa: '--client-ca <file>',
  ca: '--ca <file>',
  allowedHosts: '--allowed-host <names>',
  haPeer: '--ha-peer <url>',
  historyUrl: '--history-url <url>',
  server: '--server <url>',
  failbackSeconds: '--failback-after <seconds>',
  insecureSkipVerify: '--insecure-skip-verify',
  clientCert: '--client-cert <file>',
  clientKey: '--client-key <file>',
  root: '--root <dir>',
  disksInclude: '--disks-include <regex>',
  disksExclude: '--disks-exclude <regex>',
  agentId: '--agent-id <id>',
  intervalMs: '--interval-ms <ms>',
  inventoryIntervalMs: '--inventory-interval-ms <ms>',
  buffer: '--buffer <batches>',
  spoolDir: '--spool-dir <dir>',
  logrotateConfig: '--logrotate-config <file>',
  logrotateState: '--logrotate-state <file>',
  mongodConfig: '--mongod-config <file>',
  mongodUser: '--mongod-user <user>',
  mongodUri: '--mongod-uri <uri>',
  logLevel: '--log-level <level>',
};

/** A setting's flag as commander reads it: `--name <value>`, or `--name` alone for a switch. */
export function flagsOf(name: SettingName): string {
  return name in SETTING_FLAGS ? SETTING_FLAGS[name as keyof typeof SETTING_FLAGS] : `${flagOf(name as LimitName)} <n>`;
}

/** A setting's help line: what it does, its environment variable and its default. */
export function settingHelp(name: SettingName): string {
  const s = SETTINGS[name];
  return `${s.describe} [env ${s.env}, default ${JSON.stringify(s.default())}]`;
}

export const CONFIG_FLAG = '--config <file>';

// Groups of settings several commands share, each listed once.
export const LISTEN_AND_STORE = [
  'port',
  'host',
  'dataDir',
  'store',
  'retentionHours',
] as const satisfies readonly SettingName[];
export const SERVER_CREDENTIALS = [
  'token',
  'apiToken',
  'readToken',
  'tlsCert',
  'tlsKey',
  'clientCa',
] as const satisfies readonly SettingName[];
export const AGENT_CONNECTION = [
  'server',
  'failbackSeconds',
  'token',
  'ca',
  'insecureSkipVerify',
  'clientCert',
  'clientKey',
] as const satisfies readonly SettingName[];
/** What the host collectors read: /proc and /sys, the disks to report, logrotate and mongod files. */
export const HOST_SOURCES = [
  'root',
  'disksInclude',
  'disksExclude',
  'logrotateConfig',
  'logrotateState',
  'mongodConfig',
  'mongodUser',
  'mongodUri',
] as const satisfies readonly SettingName[];

/** The settings `tidemark agent` takes as flags (besides --config and --log-level), in the order its help lists them. */
export const AGENT_FLAG_SETTINGS = [
  ...AGENT_CONNECTION,
  ...HOST_SOURCES,
  'agentId',
  'intervalMs',
  'inventoryIntervalMs',
  'buffer',
  'spoolDir',
] as const satisfies readonly SettingName[];
/** Repeatable: the n-th --mongod-config belongs to the n-th --mongod-uri; none of either discovers mongods in /proc. */
export const AGENT_REPEATED = ['mongodConfig', 'mongodUri'] as const satisfies readonly SettingName[];
