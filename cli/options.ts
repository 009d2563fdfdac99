import { Option, type Command } from 'commander';
import { SETTINGS, type SettingName } from './config.js';
import { flagOf, type LimitName } from './limit-settings.js';

/**
 * The command-line options, each defined once: every setting's flag, and the
 * groups of them that several commands share. Commands in main.ts are built
 * from lists of these groups; commander still parses.
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

function flagsOf(name: SettingName): string {
  return name in SETTING_FLAGS ? SETTING_FLAGS[name as keyof typeof SETTING_FLAGS] : `${flagOf(name as LimitName)} <n>`;
}

export function settingOption(name: SettingName): Option {
  const s = SETTINGS[name];
  return new Option(flagsOf(name), `${s.describe} [env ${s.env}, default ${JSON.stringify(s.default())}]`);
}

export const repeatable = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Options for the named settings; those in `repeated` may be given several times and collect into a list. */
export function settingOptions(names: readonly SettingName[], repeated: readonly SettingName[] = []): Option[] {
  return names.map((n) => (repeated.includes(n) ? settingOption(n).argParser(repeatable) : settingOption(n)));
}

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

/** Where alerts and samples leave the server. */
export function outboundOptions(): Option[] {
  return [
    new Option('--webhook <url>', 'send every alert notification to this URL as JSON (repeatable)').argParser(
      repeatable,
    ),
    new Option(
      '--remote-write <url>',
      'send every stored sample to this Prometheus remote-write URL (repeatable) [env TIDEMARK_REMOTE_WRITE]',
    ).argParser(repeatable),
    new Option(
      '--external-url <url>',
      'the dashboard URL people reach, for links in notifications (TIDEMARK_EXTERNAL_URL)',
    ),
  ];
}

export const configOption = () => new Option('--config <file>', 'YAML configuration file [env TIDEMARK_CONFIG]');
export const jsonOption = () => new Option('--json', 'print JSON');
/** The checks' own --mongod-user (not the agent setting: no environment variable, no config file). */
export const mongodUserOption = () =>
  new Option('--mongod-user <user>', 'account mongod runs as (default: mongod or mongodb if present)');

/** The options every long-running command takes: the config file and the log level. */
export const runOptions = (): Option[] => [configOption(), settingOption('logLevel')];

export function withOptions(command: Command, options: readonly Option[]): Command {
  for (const o of options) command.addOption(o);
  return command;
}
