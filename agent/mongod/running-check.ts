import type { Finding } from '../../shared/findings.js';
import { firstMissingAncestor } from '../fs/paths.js';
import type { MongodConfig } from './config.js';
import { checkMongodConfig, type MongodCheckEnv } from './config-check.js';
import { runningAsConfig, type RunningOptions } from './cmdline.js';
import { identityOf, judgeOpenLog, readOpenFiles, type OpenFile } from './open-log.js';

export interface RunningCheckInput {
  running: RunningOptions;
  /** mongod's pid (serverStatus.pid or /proc discovery); null when unknown. */
  pid: number | null;
  /** Where /proc is read from (`--root`). */
  root: string;
  /** The config file this instance is said to run from, parsed; null when none. */
  file: MongodConfig | null;
  env: MongodCheckEnv;
}

export interface RunningCheckResult {
  findings: Finding[];
  /** The descriptor the log is written through, if found. */
  openLog: OpenFile | null;
  /** Settings where the config file and the running process disagree. */
  differences: Difference[];
}

export interface Difference {
  setting: string;
  file: string | null;
  running: string | null;
  line: number;
}

/**
 * The running mongod, judged by what it uses: its parsed options (the same
 * checks as mongod.conf's: directory exists, writable, mounted, space) and the
 * log file it holds open. A config file that disagrees with the process is a
 * warning: the file was edited and mongod not restarted, so the file's check
 * says nothing about the running process.
 */
export function checkRunningMongod(input: RunningCheckInput): RunningCheckResult {
  const { running, pid } = input;
  const source = `running mongod${pid ? ` (pid ${pid})` : ''}`;
  const findings = checkMongodConfig(runningAsConfig(running, source), input.env).filter(
    (f) => f.code !== 'mongod-user-unknown' || !input.file, // said once, by the file's check
  );
  let openLog: OpenFile | null = null;
  if (pid && running.logPath && running.destination === 'file') {
    const verdict = judgeOpenLog(
      {
        pid,
        logPath: running.logPath,
        open: readOpenFiles(input.root, pid),
        atPath: identityOf(running.logPath),
        missingDir: firstMissingAncestor(running.logPath),
      },
      source,
    );
    openLog = verdict.fd;
    findings.unshift(...verdict.findings);
  }
  const differences = input.file ? compareWithFile(input.file, running) : [];
  for (const d of differences)
    findings.push({
      severity: 'warning',
      code: 'config-not-applied',
      file: input.file!.file,
      line: d.line,
      target: d.setting,
      message: `${d.setting} is ${show(d.file)} in the file but ${show(d.running)} in the running mongod${pid ? ` (pid ${pid})` : ''}: the file was changed and mongod not restarted (or a command-line option overrides it)`,
      fix: 'restart mongod in a maintenance window, or revert the file; until then judge the running process, not the file',
    });
  return { findings, openLog, differences };
}

const show = (v: string | null) => (v === null ? 'unset' : JSON.stringify(v));

/** Settings the file sets (with mongod's defaults) that the running process does not use. */
export function compareWithFile(file: MongodConfig, running: RunningOptions): Difference[] {
  const rows: [string, { value: unknown; line: number } | null, string | null, string | null][] = [
    ['systemLog.path', file.logPath, file.logPath?.value ?? null, running.logPath],
    ['systemLog.destination', file.destination, file.destination?.value ?? null, running.destination],
    ['systemLog.logAppend', file.logAppend, String(file.logAppend?.value ?? false), String(running.logAppend)],
    ['systemLog.logRotate', file.logRotate, file.logRotate?.value ?? 'rename', running.logRotate],
    ['storage.dbPath', file.dbPath, file.dbPath?.value ?? null, running.dbPath],
    ['processManagement.pidFilePath', file.pidFilePath, file.pidFilePath?.value ?? null, running.pidFilePath],
  ];
  const out: Difference[] = [];
  for (const [setting, node, inFile, inProcess] of rows) {
    // a setting the file leaves out takes mongod's default, which getCmdLineOpts does not list: only compare what the file sets
    if (!node || inFile === inProcess) continue;
    out.push({ setting, file: inFile, running: inProcess, line: node.line });
  }
  return out;
}
