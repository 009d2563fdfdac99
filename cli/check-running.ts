import { formatFindings, countBySeverity } from '../shared/findings.js';
import { hostEnv } from '../agent/logrotate/run.js';
import { defaultMongodUser } from '../agent/logrotate/defaults.js';
import { MongodSource, redactUri } from '../agent/mongod/client.js';
import { parseCmdLineOpts } from '../agent/mongod/cmdline.js';
import { loadMongodConfig } from '../agent/mongod/config-check.js';
import { checkRunningMongod } from '../agent/mongod/running-check.js';
import { CannotCheck, EXIT_OK, EXIT_PROBLEM } from './errors.js';
import { errorMessage } from '../shared/errors.js';

/**
 * `tidemark check mongod-running`: the running mongod judged by what it uses
 * (getCmdLineOpts, the log it holds open), compared with its config file.
 * Exit 0 it can keep logging (a file changed without a restart is a warning),
 * 1 it cannot, 2 cannot check.
 */
export async function checkRunningCommand(flags: {
  uri?: string;
  mongodConfig?: string;
  mongodUser?: string;
  pid?: string;
  root?: string;
  json?: boolean;
}): Promise<number> {
  const uri = flags.uri ?? 'mongodb://127.0.0.1:27017';
  const source = new MongodSource(uri);
  let running;
  let pid: number | null = flags.pid ? Number(flags.pid) : null;
  try {
    running = parseCmdLineOpts(await source.getCmdLineOpts(3000));
    if (!pid) {
      const p = Number((await source.serverStatus(3000)).pid);
      pid = Number.isInteger(p) && p > 0 ? p : null;
    }
  } catch (err) {
    throw new CannotCheck(`cannot check: cannot query ${redactUri(uri)}: ${errorMessage(err)}`);
  } finally {
    await source.close();
  }
  const configFile = flags.mongodConfig ?? running.configFile;
  let file = null;
  if (configFile)
    try {
      file = loadMongodConfig(configFile);
    } catch (err) {
      throw new CannotCheck(`cannot read the config file: ${errorMessage(err)}`);
    }
  const env = { ...hostEnv(), user: flags.mongodUser ?? defaultMongodUser() };
  const r = checkRunningMongod({ running, pid, root: flags.root ?? '/', file, env });
  const counts = countBySeverity(r.findings);
  if (flags.json)
    process.stdout.write(JSON.stringify({ uri: redactUri(uri), pid, running, ...r, counts }, null, 2) + '\n');
  else {
    const lines = [`running mongod at ${redactUri(uri)}${pid ? ` (pid ${pid})` : ''}`, ''];
    const body = formatFindings(r.findings);
    lines.push(...(body.length ? body : ['no problems found']), '');
    if (r.openLog) lines.push(`log written through fd ${r.openLog.fd} → ${r.openLog.target}`);
    lines.push(
      `${counts.error} error(s), ${counts.warning} warning(s): ${counts.error ? 'mongod cannot keep logging where it does' : 'mongod can keep logging'}`,
    );
    process.stdout.write(lines.join('\n') + '\n');
  }
  return counts.error ? EXIT_PROBLEM : EXIT_OK;
}
