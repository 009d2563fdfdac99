#!/usr/bin/env node
import { Command, Option } from 'commander';
import { TIDEMARK_VERSION } from '../shared/version.js';
import { ConfigError, SETTINGS, type SettingName } from './config.js';
import { agentCommand, collectCommand, serverCommand, simulateCommand, startCommand } from './commands.js';

function opt(name: SettingName, flags: string): Option {
  const s = SETTINGS[name];
  return new Option(flags, `${s.describe} [env ${s.env}, default ${JSON.stringify(s.default())}]`);
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
  .option(
    '--webhook <url>',
    'send every alert notification to this URL as JSON (repeatable)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .addOption(opt('root', '--root <dir>'))
  .addOption(opt('intervalMs', '--interval-ms <ms>'))
  .addOption(opt('logrotateConfig', '--logrotate-config <file>'))
  .addOption(opt('logrotateState', '--logrotate-state <file>'))
  .addOption(opt('mongodConfig', '--mongod-config <file>'))
  .addOption(opt('mongodUser', '--mongod-user <user>'))
  .addOption(opt('mongodUri', '--mongod-uri <uri>'))
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags) => startCommand(flags));

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
  .option(
    '--webhook <url>',
    'send every alert notification to this URL as JSON (repeatable)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags) => serverCommand(flags));

program
  .command('agent')
  .description('run an agent that streams this host to a server')
  .addOption(opt('server', '--server <url>'))
  .addOption(opt('token', '--token <token>'))
  .addOption(opt('root', '--root <dir>'))
  .addOption(opt('agentId', '--agent-id <id>'))
  .addOption(opt('intervalMs', '--interval-ms <ms>'))
  .addOption(opt('buffer', '--buffer <batches>'))
  .addOption(opt('spoolDir', '--spool-dir <dir>'))
  .addOption(opt('logrotateConfig', '--logrotate-config <file>'))
  .addOption(opt('logrotateState', '--logrotate-state <file>'))
  .addOption(opt('mongodConfig', '--mongod-config <file>'))
  .addOption(opt('mongodUser', '--mongod-user <user>'))
  .addOption(opt('mongodUri', '--mongod-uri <uri>'))
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags) => agentCommand(flags));

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
  .addOption(configOpt())
  .addOption(logOpt())
  .action((flags) => simulateCommand(flags));

program
  .command('collect')
  .description("print one snapshot of the host collectors' raw gauges and states")
  .addOption(opt('root', '--root <dir>'))
  .addOption(opt('logrotateConfig', '--logrotate-config <file>'))
  .addOption(opt('logrotateState', '--logrotate-state <file>'))
  .addOption(opt('mongodConfig', '--mongod-config <file>'))
  .addOption(opt('mongodUser', '--mongod-user <user>'))
  .addOption(opt('mongodUri', '--mongod-uri <uri>'))
  .option('--json', 'print JSON')
  .addOption(configOpt())
  .action(async (flags) => {
    process.exitCode = await collectCommand(flags);
  });

program
  .command('rules')
  .description('alert rules')
  .command('check')
  .argument('<file...>', 'rule files to validate')
  .description('validate rule files: each error as file:line with the reason; exit 0 when all are valid, 1 otherwise')
  .action(async (files: string[]) => {
    process.exitCode = (await import('./rules.js')).rulesCheckCommand(files);
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
  .option('--json', 'print JSON')
  .option('-v, --verbose', 'also print what is fine')
  .action(async (flags) => {
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
  .action(async (flags) => {
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
  .action(async (flags) => {
    process.exitCode = await (await import('./check-mongod.js')).checkReplsetCommand(flags);
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
  .action(async (flags) => {
    process.exitCode = await (await import('./check-mongod.js')).checkMongodCommand(flags);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`tidemark: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tidemark: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
