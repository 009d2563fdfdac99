import { Command, Option } from 'commander';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { resolveSettings } from './config.js';
import { reportFailure } from './errors.js';
import { LIMIT_NAMES } from './limit-settings.js';
import { HOST_SOURCES, LISTEN_AND_STORE, SERVER_CREDENTIALS } from './setting-flags.js';
import {
  agentOptions,
  addCollectorOptions,
  configOption,
  jsonOption,
  mongodUserOption,
  outboundOptions,
  repeatable,
  runOptions,
  settingOption,
  settingOptions,
  withOptions,
} from './options.js';
import { agentCommand, serverCommand, simulateCommand, startCommand, type Flags } from './commands.js';
import { collectCommand } from './collect.js';
import { checkCollectorFlags } from './collector-flags.js';

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

withOptions(program.command('start'), [
  ...settingOptions([...LISTEN_AND_STORE, ...SERVER_CREDENTIALS, 'ca', 'allowedHosts']),
  ...outboundOptions(),
  ...settingOptions([...HOST_SOURCES, 'intervalMs']),
  ...runOptions(),
  ...settingOptions(LIMIT_NAMES),
])
  .description('run the server and a local agent for this host (the quick start)')
  .action((flags: Flags) => startCommand(flags));

withOptions(program.command('server'), [
  ...settingOptions([...LISTEN_AND_STORE, ...SERVER_CREDENTIALS, 'allowedHosts', 'haPeer', 'historyUrl']),
  ...outboundOptions(),
  ...runOptions(),
  ...settingOptions(LIMIT_NAMES),
])
  .description('run the server: agent endpoint, dashboard and API')
  .action((flags: Flags) => serverCommand(flags));

agentOptions(program.command('agent'))
  .description('run an agent that streams this host to a server')
  .action((flags: Flags) => agentCommand(flags));

program
  .command('simulate')
  .description(
    'run N simulated DB hosts on the real agent protocol, with scripted episodes (saturation, degraded array, lock pile-up)',
  )
  .option('--agents <n>', 'how many hosts', '10')
  .addOption(settingOption('server'))
  .addOption(settingOption('token'))
  .addOption(settingOption('intervalMs'))
  .option('--prefix <name>', 'host id prefix', 'sim')
  .option('--duration <seconds>', 'stop after this many seconds')
  // --scenario plays a scripted week instead of --agents random hosts, then prints its timeline
  .option('--scenario <name>', 'play a scenario and print its timeline: gitter-2016')
  .option('--speed <n>', 'with --scenario: scenario seconds per real second in the played stretches', '60')
  .option('--json', 'with --scenario: print the timeline as JSON')
  .addOption(settingOption('readToken'))
  .addOption(configOption())
  .addOption(settingOption('logLevel'))
  .action((flags: Flags) => simulateCommand(flags));

addCollectorOptions(
  withOptions(program.command('collect'), [
    ...settingOptions(HOST_SOURCES),
    jsonOption(),
    new Option('--samples', 'print the metric samples an agent would send: two readings --interval-ms apart'),
    settingOption('intervalMs'),
    configOption(),
  ])
    .description("print one snapshot of the host collectors' raw gauges and states")
    .action(async (flags: Flags) => {
      process.exitCode = await collectCommand(flags);
    }),
);

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
/** A token subcommand: its own options, then where the data dir is (the credentials live there). */
function tokenSubcommand(name: string, options: Option[]): Command {
  return withOptions(token.command(name), [...options, settingOption('dataDir'), configOption()]);
}
const dataDirOf = (flags: Record<string, unknown>): string => resolveSettings(['dataDir'], flags).dataDir;

tokenSubcommand('add', [
  new Option('--role <role>', 'agent (writes only as this agent id), read (dashboard, API reads) or admin').default(
    'agent',
  ),
])
  .argument('<id>', 'agent id (role agent) or person name')
  .description('create a credential and print it (shown only once)')
  .action(async (id: string, flags: Record<string, unknown>) => {
    (await import('./tokens.js')).tokenAddCommand(dataDirOf(flags), id, flags);
  });
tokenSubcommand('list', [jsonOption()])
  .description('list credentials (ids, roles, dates; never the tokens)')
  .action(async (flags: Record<string, unknown>) => {
    (await import('./tokens.js')).tokenListCommand(dataDirOf(flags), flags);
  });
tokenSubcommand('revoke', [new Option('--role <role>', 'only the credential of this role')])
  .argument('<id>', 'agent id or person name')
  .description('remove the credentials of an id; the server refuses them from then on')
  .action(async (id: string, flags: Record<string, unknown>) => {
    process.exitCode = (await import('./tokens.js')).tokenRevokeCommand(dataDirOf(flags), id, flags);
  });

const check = program
  .command('check')
  .description('check configuration before it bites: logrotate targets, mongod.conf');

/**
 * A check subcommand with its own options and `--json` (every check can print its report as JSON), its description
 * set on the command returned, like the token subcommands'. The handler (loaded when the check runs) returns the exit
 * code: 0 fine, 1 a problem found, 2 cannot check.
 */
function checkSubcommand<F>(
  name: string,
  handler: () => Promise<(flags: F) => Promise<number>>,
  options: Option[],
): Command {
  return withOptions(check.command(name), [...options, jsonOption()]).action(async (flags: F) => {
    process.exitCode = await (await handler())(flags);
  });
}

checkSubcommand('logrotate', async () => (await import('./check.js')).checkLogrotateCommand, [
  new Option('--config <file>', 'logrotate configuration').default('/etc/logrotate.conf'),
  new Option('--state <file>', 'logrotate state file (default /var/lib/logrotate/status, or logrotate.status on RHEL)'),
  new Option(
    '--mongod-config <file>',
    'mongod.conf, to judge the blocks that rotate its log (default /etc/mongod.conf when present)',
  ),
  new Option('--no-second-opinion', 'do not also run logrotate -d'),
  new Option('--schedule-root <dir>', 'where /etc and /lib/systemd are read to find the next run (default /)'),
  new Option('-v, --verbose', 'also print what is fine'),
]).description(
  'judge every logrotate block and target as the next run would: exit 0 all rotations succeed, 1 one would fail or be skipped, 2 cannot check',
);

checkSubcommand('mongod-config', async () => (await import('./check.js')).checkMongodConfigCommand, [
  new Option('--mongod-config <file>', 'mongod configuration').default('/etc/mongod.conf'),
  mongodUserOption(),
  new Option('-v, --verbose', 'also print notes'),
]).description(
  'check mongod.conf: log directory, its permissions, mount and space; logAppend/logRotate; dbPath; pid file directory',
);

checkSubcommand('replset', async () => (await import('./check-mongod.js')).checkReplsetCommand, [
  new Option('--uri <uri>', 'query a live member'),
  new Option('--status <file>', 'saved replSetGetStatus / rs.status() JSON'),
  new Option(
    '--config <file>',
    'saved replSetGetConfig / rs.conf() JSON (without it, the counts the status reports are used)',
  ),
]).description(
  'how many failures the replica set survives, in words: exit 0 primary and survives losing any one voter (elections and majority writes), 1 at risk, 2 cannot check',
);

checkSubcommand('mongod-running', async () => (await import('./check-running.js')).checkRunningCommand, [
  new Option('--uri <uri>', 'the mongod (default mongodb://127.0.0.1:27017)'),
  new Option('--mongod-config <file>', 'config file to compare (default: the one it was started with)'),
  mongodUserOption(),
  new Option('--pid <pid>', "mongod's pid (default: serverStatus.pid)"),
  new Option('--root <dir>', 'where /proc is read from').default('/'),
]).description(
  'the running mongod: its options (getCmdLineOpts) and the log file it holds open, against its config file: exit 0 it can keep logging, 1 it cannot, 2 cannot check',
);

checkSubcommand('mongod', async () => (await import('./check-mongod.js')).checkMongodCommand, [
  new Option('--uri <uri>', 'sample a live mongod twice, one interval apart'),
  new Option('--interval-ms <ms>', 'interval between the two live samples').default('1000'),
  new Option('--server-status <file>', 'saved serverStatus reply; give it twice (earlier, later)').argParser(
    repeatable,
  ),
]).description(
  'mongod lock figures from two serverStatus replies: exit 0 computed, 1 interval discarded (restart), 2 cannot check',
);

Promise.resolve()
  .then(() => {
    checkCollectorFlags(process.argv.slice(2));
    return program.parseAsync(process.argv);
  })
  .catch((err: unknown) => {
    process.exit(reportFailure(err, process.argv.includes('--json')));
  });
