import { existsSync } from 'node:fs';
import { formatFindings, countBySeverity, type Finding } from '../shared/findings.js';
import { hostEnv, runLogrotateCheck, type LogrotateReport } from '../agent/logrotate/run.js';
import { checkMongodConfig, loadMongodConfig, mongodLogSettings } from '../agent/mongod/config-check.js';
import { describeNext, logrotateSchedule, type RotationSchedule } from '../agent/logrotate/schedule.js';
import {
  DEFAULT_LOGROTATE_CONFIG,
  DEFAULT_MONGOD_CONFIG,
  defaultLogrotateState,
  defaultMongodUser,
} from '../agent/logrotate/defaults.js';
import { CannotCheck, EXIT_OK, EXIT_PROBLEM } from './errors.js';
import { errorMessage } from '../shared/errors.js';

function summary(counts: Record<Finding['severity'], number>, okText: string, badText: string): string {
  return `${counts.error} error(s), ${counts.warning} warning(s): ${counts.error ? badText : okText}`;
}

export function formatLogrotateReport(r: LogrotateReport, verbose = false): string {
  const lines = [`logrotate check of ${r.config} (state ${r.state})`, ''];
  const body = formatFindings(r.findings, verbose);
  lines.push(...(body.length ? body : ['no problems found']), '');
  const rotating = r.targets.filter((t) => t.status === 'rotates').length;
  lines.push(
    `${r.targets.length} target(s): ${rotating} would rotate, ${r.targets.filter((t) => t.status === 'problem').length} would fail or be skipped, ${r.targets.filter((t) => t.status === 'absent').length} absent (missingok)`,
  );
  if (r.secondOpinion) {
    if (!r.secondOpinion.available) lines.push('second opinion: logrotate is not installed here');
    else if (r.secondOpinion.errors.length === 0)
      lines.push(`second opinion (logrotate -d): no errors (exit ${r.secondOpinion.exitCode})`);
    else
      lines.push(
        `second opinion (logrotate -d, exit ${r.secondOpinion.exitCode}):`,
        ...r.secondOpinion.errors.map((e) => `  ${e}`),
      );
  }
  lines.push(summary(r.counts, 'every rotation would succeed', 'at least one rotation would fail or be skipped'));
  return lines.join('\n') + '\n';
}

/** How a check prints: JSON, or text that with --verbose also shows what is fine. */
interface OutputFlags {
  json?: boolean;
  verbose?: boolean;
}

export async function checkLogrotateCommand(
  flags: OutputFlags & {
    config?: string;
    state?: string;
    mongodConfig?: string;
    secondOpinion?: boolean;
    scheduleRoot?: string;
  },
): Promise<number> {
  const config = flags.config ?? DEFAULT_LOGROTATE_CONFIG;
  if (!existsSync(config)) {
    throw new CannotCheck(`cannot check: ${config} does not exist (pass --config FILE)`);
  }
  let mongod = null;
  const mongodFile = flags.mongodConfig ?? (existsSync(DEFAULT_MONGOD_CONFIG) ? DEFAULT_MONGOD_CONFIG : null);
  if (mongodFile) {
    try {
      mongod = mongodLogSettings(loadMongodConfig(mongodFile));
    } catch (err) {
      throw new CannotCheck(`cannot read the mongod config: ${errorMessage(err)}`);
    }
  }
  const report = runLogrotateCheck({
    config,
    state: flags.state ?? defaultLogrotateState(),
    env: { ...hostEnv(), mongod },
    secondOpinion: flags.secondOpinion !== false,
  });
  const now = new Date();
  let schedule: RotationSchedule | null = null;
  let scheduleError: string | null = null;
  try {
    schedule = logrotateSchedule(flags.scheduleRoot ?? '/', now);
  } catch (err) {
    scheduleError = errorMessage(err);
  }
  const failing = report.targets.filter((t) => t.status === 'problem').length;
  const when = schedule
    ? `${describeNext(schedule, now)} (${schedule.detail}, ${schedule.source})${failing ? `: ${failing} target(s) would fail or be skipped` : ''}`
    : `next rotation: ${scheduleError ?? 'no cron job or systemd timer runs logrotate here'}`;
  process.stdout.write(
    flags.json
      ? JSON.stringify({ ...report, schedule, scheduleError }, null, 2) + '\n'
      : formatLogrotateReport(report, flags.verbose) + when + '\n',
  );
  return report.ok ? EXIT_OK : EXIT_PROBLEM;
}

export async function checkMongodConfigCommand(
  flags: OutputFlags & { mongodConfig?: string; mongodUser?: string },
): Promise<number> {
  const file = flags.mongodConfig ?? DEFAULT_MONGOD_CONFIG;
  let config;
  try {
    config = loadMongodConfig(file);
  } catch (err) {
    throw new CannotCheck(`cannot check: ${errorMessage(err)}`);
  }
  const env = hostEnv();
  const user = flags.mongodUser ?? defaultMongodUser();
  const findings = checkMongodConfig(config, { ...env, accounts: env.accounts, user });
  const counts = countBySeverity(findings);
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ config: file, user, ok: counts.error === 0, counts, findings, settings: config }, null, 2) +
        '\n',
    );
  } else {
    const body = formatFindings(findings, flags.verbose);
    process.stdout.write(
      [
        `mongod config check of ${file} (mongod runs as ${user})`,
        '',
        ...(body.length ? body : ['no problems found']),
        '',
        summary(counts, 'mongod can start and keep logging', 'mongod would fail to start or lose its log'),
      ].join('\n') + '\n',
    );
  }
  return counts.error === 0 ? EXIT_OK : EXIT_PROBLEM;
}
