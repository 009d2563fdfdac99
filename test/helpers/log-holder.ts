import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A real process that behaves like mongod towards its log: it holds the log
 * file open and appends to it, and reopens it at a new path when told (as
 * mongod does on logRotate: reopen). Its argv[0] is "mongod" and it carries
 * mongod's options, so /proc discovery takes it for one.
 */
const SCRIPT = `
const fs = require('node:fs');
let fd = null;
const open = (p) => { if (fd !== null) fs.closeSync(fd); fd = fs.openSync(p, 'a'); console.log('opened ' + p); };
if (process.env.LOG_PATH) open(process.env.LOG_PATH);
setInterval(() => { if (fd !== null) try { fs.writeSync(fd, new Date().toISOString() + ' I CONTROL tick\\n'); } catch {} }, 200);
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); if (line.startsWith('open ')) open(line.slice(5)); }
});
console.log('ready');
`;

export interface LogHolder {
  proc: ChildProcess;
  pid: number;
  /** Close the current log and open this one; resolves once the child says so. */
  reopen(path: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startLogHolder(logPath: string | null, mongodArgs: string[] = []): Promise<LogHolder> {
  const proc = spawn(process.execPath, ['-e', SCRIPT, '--', ...mongodArgs], {
    argv0: 'mongod',
    env: { ...process.env, ...(logPath ? { LOG_PATH: logPath } : {}) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const waiters: [string, () => void][] = [];
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters])
      if (out.includes(w[0])) {
        waiters.splice(waiters.indexOf(w), 1);
        w[1]();
      }
  });
  const saw = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.includes(text)) return resolve();
      waiters.push([text, resolve]);
      setTimeout(() => reject(new Error(`log holder never said "${text}"; said: ${out}`)), 10_000).unref();
    });
  await saw(logPath ? `opened ${logPath}` : 'ready');
  return {
    proc,
    pid: proc.pid!,
    reopen: async (p) => {
      proc.stdin.write(`open ${p}\n`);
      await saw(`opened ${p}`);
    },
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}
