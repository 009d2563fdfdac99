#!/usr/bin/env node
import { Command, Option } from 'commander';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { SETTINGS, resolveSettings, type SettingName } from './config.js';
import { reportFailure } from './errors.js';
import { LIMIT_NAMES, flagOf } from './limit-settings.js';
import { agentCommand, serverCommand, simulateCommand, startCommand, type Flags } from './commands.js';
import { collectCommand } from './collect.js';
import { addCollectorOptions, checkCollectorFlags } from './collector-flags.js';
import type * as CheckCommands from './check.js';
import type * as MongodCommands from './check-mongod.js';
import type * as RunningCommands from './check-running.js';

/** The flags object a command handler takes (commander hands it over untyped). */
type FlagsOf<F extends (flags: never) => unknown> = Parameters<F>[0];

function opt(name: SettingName, flags: string): Option {
  const s = SETTINGS[name];
  return new Option(flags, `${s.describe} [env ${s.env}, default ${JSON.stringify(s.default())}]`);
}

const repeatable = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Every resource limit of the server as a flag (README, Limit flags). */
function addLimitOptions(command: Command): Command {
  for (const name of LIMIT_NAMES) command.addOption(opt(name, `${flagOf(name)} <n>`));
  return command;
}

const configOpt = () => new Option('--config <file>', 'YAML configuration file [env TIDEMARK_CONFIG]');
const logOpt = () => opt('logLevel', '--log-level <level>');

const program = new Command();
program
  .name('tidemark')
  .description('Monitoring for database hosts: disks, RAID, mongod locks and log paths, live.')
  .version(TIDEMARK_VERSION)
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nPrecedence: flags, then TIDEMARK_* environment variables, then the --config file, then defaults.',
  );

program
  .command('start')
  .description('run the server and a local agent for this host (the quick start)')
  .addOption(opt('port', '--port <n>'))
  .addOption(opt('host', '--host <addr>'))
  .addOption(opt('dataDir', '--data-dir <dir>'))
  .addOption(opt('store', '--store <kind>'))
  .addOption(opt('retentionHours', '--retention-hours <n>'))
  .addOption(opt('token', '--token <token>'))
  .addOption(opt('apiToken', '--api-token <token>'))
  .addOption(opt('readToken', '--read-token <token>'))
  .addOption(opt('tlsCert', '--tls-cert <file>'))
  .addOption(opt('tlsKey', '--tls-key <file>'))
  .addOption(opt('clientCa', '--client-ca <file>'))
  .addOption(opt('ca', '--ca <file>'))
  .addOption(opt('allowedHosts', '--allowed-host <names>'))
  .option(
    '--webhook <url>',
    'send every alert notification to this URL as JSON (repeatable)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option(
    '--remote-write <url>',
    'send every stored sample to this Prometheus remote-write URL (repeatable) [env TIDEMARK_REMOTE_WRITE]',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option('--external-url <url>', 'the dashboard URL people reach, for links in notifications (TIDEMARK_EXTERNAL_URL)')
  .addOption(opt('root', '--root <dir>'))
  .addOption(opt('disksInclude', '--disks-include <regex>'))
  .addOption(opt('disksExclude', '--disks-exclude <regex>'))
  .addOption(opt('intervalMs', '--interval-ms <ms>'))
  .addOption(opt('logrotateConfig', '--logrotate-config <file>'))
  .addOption(opt('logrotateState', '--logrotate-state <file>'))
  .addOption(opt('mongodConfig', '--mongod-config <file>'))
  .addOption(opt('mongodUser', '--mongod-user <user>'))
  .addOption(opt('mongodUri', '--mongod-uri <uri>'))
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags: Flags) => startCommand(flags));
addLimitOptions(program.commands.find((c) => c.name() === 'start')!);

program
  .command('server')
  .description('run the server: agent endpoint, dashboard and API')
  .addOption(opt('port', '--port <n>'))
  .addOption(opt('host', '--host <addr>'))
  .addOption(opt('dataDir', '--data-dir <dir>'))
  .addOption(opt('store', '--store <kind>'))
  .addOption(opt('retentionHours', '--retention-hours <n>'))
  .addOption(opt('token', '--token <token>'))
  .addOption(opt('apiToken', '--api-token <token>'))
  .addOption(opt('readToken', '--read-token <token>'))
  .addOption(opt('tlsCert', '--tls-cert <file>'))
  .addOption(opt('tlsKey', '--tls-key <file>'))
  .addOption(opt('clientCa', '--client-ca <file>'))
  .addOption(opt('allowedHosts', '--allowed-host <names>'))
  .addOption(opt('haPeer', '--ha-peer <url>'))
  .addOption(opt('historyUrl', '--history-url <url>'))
  .option(
    '--webhook <url>',
    'send every alert notification to this URL as JSON (repeatable)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option(
    '--remote-write <url>',
    'send every stored sample to this Prometheus remote-write URL (repeatable) [env TIDEMARK_REMOTE_WRITE]',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option('--external-url <url>', 'the dashboard URL people reach, for links in notifications (TIDEMARK_EXTERNAL_URL)')
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags: Flags) => serverCommand(flags));
addLimitOptions(program.commands.find((c) => c.name() === 'server')!);

program
  .command('agent')
  .description('run an agent that streams this host to a server')
  .addOption(opt('server', '--server <url>'))
  .addOption(opt('failbackSeconds', '--failback-after <seconds>'))
  .addOption(opt('token', '--token <token>'))
  .addOption(opt('ca', '--ca <file>'))
  .addOption(opt('insecureSkipVerify', '--insecure-skip-verify'))
  .addOption(opt('clientCert', '--client-cert <file>'))
  .addOption(opt('clientKey', '--client-key <file>'))
  .addOption(opt('root', '--root <dir>'))
  .addOption(opt('disksInclude', '--disks-include <regex>'))
  .addOption(opt('disksExclude', '--disks-exclude <regex>'))
  .addOption(opt('agentId', '--agent-id <id>'))
  .addOption(opt('intervalMs', '--interval-ms <ms>'))
  .addOption(opt('buffer', '--buffer <batches>'))
  .addOption(opt('spoolDir', '--spool-dir <dir>'))
  .addOption(opt('logrotateConfig', '--logrotate-config <file>'))
  .addOption(opt('logrotateState', '--logrotate-state <file>'))
  // Repeatable: the n-th --mongod-config belongs to the n-th --mongod-uri; none of either discovers mongods in /proc.
  .addOption(opt('mongodConfig', '--mongod-config <file>').argParser(repeatable))
  .addOption(opt('mongodUser', '--mongod-user <user>'))
  .addOption(opt('mongodUri', '--mongod-uri <uri>').argParser(repeatable))
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags: Flags) => agentCommand(flags));
addCollectorOptions(program.commands.at(-1)!);

program
  .command('simulate')
  .description(
    'run N simulated DB hosts on the real agent protocol, with scripted episodes (saturation, degraded array, lock pile-up)',
  )
  .option('--agents <n>', 'how many hosts', '10')
  .addOption(opt('server', '--server <url>'))
  .addOption(opt('token', '--token <token>'))
  .addOption(opt('intervalMs', '--interval-ms <ms>'))
  .option('--prefix <name>', 'host id prefix', 'sim')
  .option('--duration <seconds>', 'stop after this many seconds')
  // --scenario plays a scripted week instead of --agents random hosts, then prints its timeline
  .option('--scenario <name>', 'play a scenario and print its timeline: gitter-2016')
  .option('--speed <n>', 'with --scenario: scenario seconds per real second in the played stretches', '60')
  .option('--json', 'with --scenario: print the timeline as JSON')
  .addOption(opt('readToken', '--read-token <token>'))
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags: Flags) => simulateCommand(flags));

program
  .command('collect')
  .description("print one snapshot of the host collectors' raw gauges and states")
  .addOption(opt('root', '--root <dir>'))
  .addOption(opt('disksInclude', '--disks-include <regex>'))
  .addOption(opt('disksExclude', '--disks-exclude <regex>'))
  .addOption(opt('logrotateConfig', '--logrotate-config <file>'))
  .addOption(opt('logrotateState', '--logrotate-state <file>'))
  .addOption(opt('mongodConfig', '--mongod-config <file>'))
  .addOption(opt('mongodUser', '--mongod-user <user>'))
  .addOption(opt('mongodUri', '--mongod-uri <uri>'))
  .option('--json', 'print JSON')
  .option('--samples', 'print the metric samples an agent would send: two readings --interval-ms apart')
  .addOption(opt('intervalMs', '--interval-ms <ms>'))
  .addOption(configOpt())
  .action(async (flags: Flags) => {
    process.exitCode = await collectCommand(flags);
  });
addCollectorOptions(program.commands.at(-1)!);

const rules = program.command('rules').description('alert rules');
rules
  .command('check')
  .argument('<file...>', 'rule files to validate')
  .description('validate rule files: each error as file:line with the reason; exit 0 when all are valid, 1 otherwise')
  .action(async (files: string[]) => {
    process.exitCode = (await import('./rules.js')).rulesCheckCommand(files);
  });
rules
  .command('export')
  .argument('[file...]', 'user rule files or directories, exported after the shipped rules')
  .description(
    'write the rules as Prometheus/vmalert alerting rules (PromQL over the remote-written tidemark_* series)',
  )
  .option('--format <format>', 'output format', 'prometheus')
  .option('-o, --output <file>', 'write here instead of standard output')
  .option('--no-default-rules', 'leave out the shipped rules')
  .action(async (files: string[], flags: { format?: string; output?: string; defaultRules?: boolean }) => {
    process.exitCode = (await import('./rules-export.js')).rulesExportCommand(files, flags);
  });

const token = program
  .command('token')
  .description('credentials kept hashed in the data dir: one per agent, and read-only or admin ones for people');
token
  .command('add')
  .argument('<id>', 'agent id (role agent) or person name')
  .option('--role <role>', 'agent (writes only as this agent id), read (dashboard, API reads) or admin', 'agent')
  .addOption(opt('dataDir', '--data-dir <dir>'))
  .addOption(configOpt())
  .description('create a credential and print it (shown only once)')
  .action(async (id: string, flags: Record<string, unknown>) => {
    const { dataDir } = resolveSettings(['dataDir'], flags);
    (await import('./tokens.js')).tokenAddCommand(dataDir, id, flags);
  });
token
  .command('list')
  .option('--json', 'print JSON')
  .addOption(opt('dataDir', '--data-dir <dir>'))
  .addOption(configOpt())
  .description('list credentials (ids, roles, dates; never the tokens)')
  .action(async (flags: Record<string, unknown>) => {
    const { dataDir } = resolveSettings(['dataDir'], flags);
    (await import('./tokens.js')).tokenListCommand(dataDir, flags);
  });
token
  .command('revoke')
  .argument('<id>', 'agent id or person name')
  .option('--role <role>', 'only the credential of this role')
  .addOption(opt('dataDir', '--data-dir <dir>'))
  .addOption(configOpt())
  .description('remove the credentials of an id; the server refuses them from then on')
  .action(async (id: string, flags: Record<string, unknown>) => {
    const { dataDir } = resolveSettings(['dataDir'], flags);
    process.exitCode = (await import('./tokens.js')).tokenRevokeCommand(dataDir, id, flags);
  });

const check = program
  .command('check')
  .description('check configuration before it bites: logrotate targets, mongod.conf');

check
  .command('logrotate')
  .description(
    'judge every logrotate block and target as the next run would: exit 0 all rotations succeed, 1 one would fail or be skipped, 2 cannot check',
  )
  .option('--config <file>', 'logrotate configuration', '/etc/logrotate.conf')
  .option('--state <file>', 'logrotate state file (default /var/lib/logrotate/status, or logrotate.status on RHEL)')
  .option(
    '--mongod-config <file>',
    'mongod.conf, to judge the blocks that rotate its log (default /etc/mongod.conf when present)',
  )
  .option('--no-second-opinion', 'do not also run logrotate -d')
  .option('--schedule-root <dir>', 'where /etc and /lib/systemd are read to find the next run (default /)')
  .option('--json', 'print JSON')
  .option('-v, --verbose', 'also print what is fine')
  .action(async (flags: FlagsOf<typeof CheckCommands.checkLogrotateCommand>) => {
    process.exitCode = await (await import('./check.js')).checkLogrotateCommand(flags);
  });

check
  .command('mongod-config')
  .description(
    'check mongod.conf: log directory, its permissions, mount and space; logAppend/logRotate; dbPath; pid file directory',
  )
  .option('--mongod-config <file>', 'mongod configuration', '/etc/mongod.conf')
  .option('--mongod-user <user>', 'account mongod runs as (default: mongod or mongodb if present)')
  .option('--json', 'print JSON')
  .option('-v, --verbose', 'also print notes')
  .action(async (flags: FlagsOf<typeof CheckCommands.checkMongodConfigCommand>) => {
    process.exitCode = await (await import('./check.js')).checkMongodConfigCommand(flags);
  });

check
  .command('replset')
  .description(
    'how many failures the replica set survives, in words: exit 0 primary and survives losing any one voter (elections and majority writes), 1 at risk, 2 cannot check',
  )
  .option('--uri <uri>', 'query a live member')
  .option('--status <file>', 'saved replSetGetStatus / rs.status() JSON')
  .option(
    '--config <file>',
    'saved replSetGetConfig / rs.conf() JSON (without it, the counts the status reports are used)',
  )
  .option('--json', 'print JSON')
  .action(async (flags: FlagsOf<typeof MongodCommands.checkReplsetCommand>) => {
    process.exitCode = await (await import('./check-mongod.js')).checkReplsetCommand(flags);
  });

check
  .command('mongod-running')
  .description(
    'the running mongod: its options (getCmdLineOpts) and the log file it holds open, against its config file: exit 0 it can keep logging, 1 it cannot, 2 cannot check',
  )
  .option('--uri <uri>', 'the mongod (default mongodb://127.0.0.1:27017)')
  .option('--mongod-config <file>', 'config file to compare (default: the one it was started with)')
  .option('--mongod-user <user>', 'account mongod runs as (default: mongod or mongodb if present)')
  .option('--pid <pid>', "mongod's pid (default: serverStatus.pid)")
  .option('--root <dir>', 'where /proc is read from', '/')
  .option('--json', 'print JSON')
  .action(async (flags: FlagsOf<typeof RunningCommands.checkRunningCommand>) => {
    process.exitCode = await (await import('./check-running.js')).checkRunningCommand(flags);
  });

check
  .command('mongod')
  .description(
    'mongod lock figures from two serverStatus replies: exit 0 computed, 1 interval discarded (restart), 2 cannot check',
  )
  .option('--uri <uri>', 'sample a live mongod twice, one interval apart')
  .option('--interval-ms <ms>', 'interval between the two live samples', '1000')
  .option(
    '--server-status <file>',
    'saved serverStatus reply; give it twice (earlier, later)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option('--json', 'print JSON')
  .action(async (flags: FlagsOf<typeof MongodCommands.checkMongodCommand>) => {
    process.exitCode = await (await import('./check-mongod.js')).checkMongodCommand(flags);
  });

Promise.resolve()
  .then(() => {
    checkCollectorFlags(process.argv.slice(2));
    return program.parseAsync(process.argv);
  })
  .catch((err: unknown) => {
    process.exit(reportFailure(err, process.argv.includes('--json')));
  });
