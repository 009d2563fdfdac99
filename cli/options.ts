import { Option, type Command } from 'commander';
import type { SettingName } from './config.js';
import { registeredCollectors } from '../agent/collectors/host.js';
import { AGENT_FLAG_SETTINGS, AGENT_REPEATED, CONFIG_FLAG, flagsOf, settingHelp } from './setting-flags.js';

/**
 * The command-line options as commander's Options, each defined once from
 * the flag table in setting-flags.ts: every setting's flag, and the groups of
 * them that several commands share. Commands in program.ts are built from
 * lists of these groups; commander parses.
 */

export function settingOption(name: SettingName): Option {
  return new Option(flagsOf(name), settingHelp(name));
}

export const repeatable = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Options for the named settings; those in `repeated` may be given several times and collect into a list. */
export function settingOptions(names: readonly SettingName[], repeated: readonly SettingName[] = []): Option[] {
  return names.map((n) => (repeated.includes(n) ? settingOption(n).argParser(repeatable) : settingOption(n)));
}

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

export const configOption = () => new Option(CONFIG_FLAG, 'YAML configuration file [env TIDEMARK_CONFIG]');
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

/** Adds `--collector.NAME` and `--no-collector.NAME` for every registered collector (node_exporter's flags). */
export function addCollectorOptions(cmd: Command): Command {
  for (const d of registeredCollectors()) {
    const by = d.defaultEnabled ? 'on' : 'off';
    cmd.addOption(new Option(`--collector.${d.name}`, `${d.help} [${by} by default]`));
    cmd.addOption(new Option(`--no-collector.${d.name}`, `turn the ${d.name} collector off`).hideHelp());
  }
  return cmd.addHelpText('after', '\nEvery --collector.NAME has a --no-collector.NAME that turns that collector off.');
}

/** `tidemark agent`'s options: its settings, --config and --log-level, and every collector's pair of flags. */
export function agentOptions(cmd: Command): Command {
  return addCollectorOptions(
    withOptions(cmd, [...settingOptions(AGENT_FLAG_SETTINGS, AGENT_REPEATED), ...runOptions()]),
  );
}
