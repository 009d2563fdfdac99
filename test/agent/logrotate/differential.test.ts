import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostEnv, runLogrotateCheck } from '../../../agent/logrotate/run.js';

/**
 * Differential test against the real logrotate: each scenario builds a temp
 * tree, `tidemark check logrotate` judges it, then `logrotate -s STATE -f
 * CONFIG` runs for real. The check must report a problem exactly when the real
 * run fails (non-zero exit) or leaves a target unrotated.
 */

interface Built {
  config: string;
  /** Existing log files the configuration means to rotate. */
  targets: string[];
  state?: string;
  /** Directories other than the target's own where rotated files may land (olddir). */
  rotatedInto?: string[];
  /** An fstab for the check (logrotate does not read fstab): mount points that should be mounted and are not. */
  fstab?: string;
}
interface Scenario {
  name: string;
  build: (d: string) => Built;
}

/** Mounts a small tmpfs (root only) so a full filesystem is real; unmounted after the run. */
const mounts: string[] = [];
function tinyFs(p: string, kb: number): string {
  mkdirSync(p, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tidemark-test', p]);
  if (r.status !== 0) throw new Error(`mount failed: ${r.stderr.toString()}`);
  mounts.push(p);
  return p;
}
/** Fills a filesystem until writes fail. */
function fill(p: string): void {
  const chunk = Buffer.alloc(4096, 120);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(path.join(p, `fill-${i}`), chunk);
    } catch {
      return;
    }
  }
}

const isRoot = process.getuid?.() === 0;
const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/tidemark-') : null;

function log(p: string, text = 'a line\n'): string {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}
function dir(p: string, mode?: number, gid?: number): string {
  mkdirSync(p, { recursive: true });
  if (mode !== undefined) chmodSync(p, mode);
  if (gid !== undefined) chownSync(p, 0, gid);
  return p;
}
function conf(d: string, text: string, mode = 0o644, uid = 0): string {
  const file = path.join(d, 'logrotate.conf');
  writeFileSync(file, text);
  chmodSync(file, mode);
  if (uid !== 0) chownSync(file, uid, 0);
  return file;
}
/** A block; `rotate 1` unless the scenario sets a count, so a rotated copy stays behind to be seen. */
const block = (paths: string, ...lines: string[]) => {
  const body = lines.some((l) => /^rotate\b/.test(l)) ? lines : ['rotate 1', ...lines];
  return `${paths} {\n${body.map((l) => `    ${l}`).join('\n')}\n}\n`;
};
const NOBODY = 65534;

/** An fstab naming `mountPoint` as a mount that is not mounted (a removed array). */
function fstab(d: string, mountPoint: string): string {
  const file = path.join(d, 'fstab');
  writeFileSync(file, `# constructed for the test\n/dev/md9 ${mountPoint} xfs defaults,nofail 0 2\n`);
  return file;
}
/** A process that ignores SIGUSR1, with its pid in a pid file, for the mongod postrotate idiom. */
const children: ChildProcess[] = [];
function pidFile(p: string): string {
  const child = spawn('sh', ['-c', 'trap "" USR1; sleep 600'], { stdio: 'ignore' });
  children.push(child);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, `${child.pid}\n`);
  return p;
}
const script = (kind: string, ...lines: string[]) => [kind, ...lines.map((l) => `  ${l}`), 'endscript'];

const scenarios: Scenario[] = [
  {
    name: 'one log, rotates',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'rotate 2')) }),
  },
  {
    name: 'missing log without missingok',
    build: (d) => ({ targets: [], config: conf(d, block(`${d}/app.log`, 'rotate 2')) }),
  },
  {
    name: 'missing log with missingok',
    build: (d) => ({ targets: [], config: conf(d, block(`${d}/app.log`, 'rotate 2', 'missingok')) }),
  },
  { name: 'glob matching nothing', build: (d) => ({ targets: [], config: conf(d, block(`${d}/*.log`, 'rotate 2')) }) },
  {
    name: 'glob matching nothing with missingok',
    build: (d) => ({ targets: [], config: conf(d, block(`${d}/*.log`, 'missingok')) }),
  },
  {
    name: 'glob matching three logs',
    build: (d) => ({
      targets: [log(`${d}/a.log`), log(`${d}/b.log`), log(`${d}/c.log`)],
      config: conf(d, block(`${d}/*.log`, 'rotate 1')),
    }),
  },
  {
    name: 'parent directory removed',
    build: (d) => ({ targets: [], config: conf(d, block(`${d}/gone/mongod.log`, 'rotate 1')) }),
  },
  {
    name: 'parent directory removed, missingok',
    build: (d) => ({ targets: [], config: conf(d, block(`${d}/gone/mongod.log`, 'missingok')) }),
  },
  {
    name: 'olddir missing',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, `olddir ${d}/old`)) }),
  },
  {
    name: 'olddir missing with createolddir',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [`${d}/old`],
      config: conf(d, block(`${d}/app.log`, `olddir ${d}/old`, 'createolddir 0755 root root')),
    }),
  },
  {
    name: 'olddir present',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [dir(`${d}/old`)],
      config: conf(d, block(`${d}/app.log`, `olddir ${d}/old`)),
    }),
  },
  {
    name: 'relative olddir present',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [dir(`${d}/archive`)],
      config: conf(d, block(`${d}/app.log`, 'olddir archive')),
    }),
  },
  {
    name: 'relative olddir missing',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'olddir archive')) }),
  },
  {
    name: 'olddir on another filesystem',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [dir(`${shm}/${path.basename(d)}-1`)],
      config: conf(d, block(`${d}/app.log`, `olddir ${shm}/${path.basename(d)}-1`)),
    }),
  },
  {
    name: 'olddir on another filesystem with copytruncate',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [dir(`${shm}/${path.basename(d)}-2`)],
      config: conf(d, block(`${d}/app.log`, `olddir ${shm}/${path.basename(d)}-2`, 'copytruncate')),
    }),
  },
  {
    name: 'olddir on another filesystem with copy',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [dir(`${shm}/${path.basename(d)}-3`)],
      config: conf(d, block(`${d}/app.log`, `olddir ${shm}/${path.basename(d)}-3`, 'copy')),
    }),
  },
  {
    name: 'olddir on another filesystem with renamecopy',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [dir(`${shm}/${path.basename(d)}-4`)],
      config: conf(d, block(`${d}/app.log`, `olddir ${shm}/${path.basename(d)}-4`, 'renamecopy')),
    }),
  },
  {
    name: 'create with an unknown user',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'create 0640 tidemark-no-such-user root')),
    }),
  },
  {
    name: 'create with an unknown group',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'create 0640 root tidemark-no-such-group')),
    }),
  },
  {
    name: 'create with nobody:nogroup',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'create 0640 nobody nogroup')),
    }),
  },
  {
    name: 'create with numeric ids',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'create 0600 65534 65534')),
    }),
  },
  {
    name: 'create mode with a non-octal digit',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'create 0999 root root')) }),
  },
  {
    name: 'su with an unknown user',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'su tidemark-no-such-user root')),
    }),
  },
  {
    name: 'su with an unknown group',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'su root tidemark-no-such-group')),
    }),
  },
  {
    name: 'su root root',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'su root root')) }),
  },
  {
    name: 'createolddir with an unknown user',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, `olddir ${d}/old`, 'createolddir 0755 tidemark-no-such-user root')),
    }),
  },
  {
    name: 'world-writable parent directory, no su',
    build: (d) => ({ targets: [log(`${dir(`${d}/w`, 0o777)}/app.log`)], config: conf(d, block(`${d}/w/app.log`)) }),
  },
  {
    name: 'sticky world-writable parent (like /tmp), no su',
    build: (d) => ({ targets: [log(`${dir(`${d}/t`, 0o1777)}/app.log`)], config: conf(d, block(`${d}/t/app.log`)) }),
  },
  {
    name: 'parent writable by a non-root group, no su',
    build: (d) => ({
      targets: [log(`${dir(`${d}/g`, 0o775, NOBODY)}/app.log`)],
      config: conf(d, block(`${d}/g/app.log`)),
    }),
  },
  {
    name: 'parent writable by the root group',
    build: (d) => ({ targets: [log(`${dir(`${d}/r`, 0o775, 0)}/app.log`)], config: conf(d, block(`${d}/r/app.log`)) }),
  },
  {
    name: 'world-writable parent with su',
    build: (d) => ({
      targets: [log(`${dir(`${d}/w`, 0o777)}/app.log`)],
      config: conf(d, block(`${d}/w/app.log`, 'su root root')),
    }),
  },
  {
    name: 'config writable by others',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`), 0o666) }),
  },
  {
    name: 'config writable by group',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`), 0o664) }),
  },
  {
    name: 'config owned by nobody',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`), 0o644, NOBODY) }),
  },
  {
    name: 'ignored config whose logs do not exist',
    build: (d) => ({ targets: [], config: conf(d, block(`${d}/app.log`, 'missingok'), 0o666) }),
  },
  {
    name: 'include of a directory, taboo files skipped',
    build: (d) => {
      dir(`${d}/conf.d`);
      writeFileSync(`${d}/conf.d/app`, block(`${d}/app.log`, 'rotate 1'));
      writeFileSync(`${d}/conf.d/old.dpkg-old`, block(`${d}/nothere.log`));
      writeFileSync(`${d}/conf.d/backup~`, block(`${d}/nothere2.log`));
      writeFileSync(`${d}/conf.d/off.disabled`, block(`${d}/nothere3.log`));
      return { targets: [log(`${d}/app.log`)], config: conf(d, `rotate 3\ninclude ${d}/conf.d\n`) };
    },
  },
  {
    name: 'include of a directory reads dot files',
    build: (d) => {
      dir(`${d}/conf.d`);
      writeFileSync(`${d}/conf.d/.hidden`, block(`${d}/nothere.log`));
      return { targets: [], config: conf(d, `include ${d}/conf.d\n`) };
    },
  },
  {
    name: 'include of a missing file',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, `include ${d}/nothere.conf\n${block(`${d}/app.log`)}`),
    }),
  },
  {
    name: 'tabooext replaced, so .dpkg-old is read',
    build: (d) => {
      dir(`${d}/conf.d`);
      writeFileSync(`${d}/conf.d/x.dpkg-old`, block(`${d}/nothere.log`));
      return { targets: [], config: conf(d, `tabooext .bak\ninclude ${d}/conf.d\n`) };
    },
  },
  {
    // fnmatch with FNM_PERIOD: the pattern "*.swp" cannot match the leading dot of ".swp", so the file is read.
    name: 'a dot file named like a taboo extension is read',
    build: (d) => {
      dir(`${d}/conf.d`);
      writeFileSync(`${d}/conf.d/.swp`, block(`${d}/nothere.log`));
      return { targets: [], config: conf(d, `include ${d}/conf.d\n`) };
    },
  },
  {
    // "[!x]" is any character but x, so "old-app" is taboo and its block (for a missing log) is never read.
    name: 'taboopat with a negated bracket',
    build: (d) => {
      dir(`${d}/conf.d`);
      writeFileSync(`${d}/conf.d/old-app`, block(`${d}/nothere.log`));
      writeFileSync(`${d}/conf.d/app`, block(`${d}/app.log`, 'rotate 1'));
      return { targets: [log(`${d}/app.log`)], config: conf(d, `taboopat + [!x]ld*\ninclude ${d}/conf.d\n`) };
    },
  },
  {
    name: 'state file in a missing directory',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      state: `${d}/nodir/state`,
      config: conf(d, block(`${d}/app.log`)),
    }),
  },
  {
    name: 'state file is a directory',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      state: dir(`${d}/state.d`),
      config: conf(d, block(`${d}/app.log`)),
    }),
  },
  {
    name: 'state file below a regular file',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      state: `${log(`${d}/plain`)}/state`,
      config: conf(d, block(`${d}/app.log`)),
    }),
  },
  {
    name: 'quoted path with a space',
    build: (d) => ({ targets: [log(`${d}/my app.log`)], config: conf(d, block(`"${d}/my app.log"`)) }),
  },
  {
    name: 'quoted path with a space, missing',
    build: (d) => ({ targets: [], config: conf(d, block(`"${d}/my app.log"`)) }),
  },
  {
    name: 'two paths, one missing',
    build: (d) => ({ targets: [log(`${d}/a.log`)], config: conf(d, block(`${d}/a.log ${d}/b.log`)) }),
  },
  {
    name: 'global missingok inherited',
    build: (d) => ({ targets: [log(`${d}/a.log`)], config: conf(d, `missingok\n${block(`${d}/a.log ${d}/b.log`)}`) }),
  },
  {
    name: 'global missingok after the block is not inherited',
    build: (d) => ({ targets: [log(`${d}/a.log`)], config: conf(d, `${block(`${d}/a.log ${d}/b.log`)}missingok\n`) }),
  },
  {
    name: 'nomissingok overrides the global',
    build: (d) => ({ targets: [], config: conf(d, `missingok\n${block(`${d}/b.log`, 'nomissingok')}`) }),
  },
  {
    name: 'unknown directive is only printed',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'frobnicate 3')) }),
  },
  {
    name: 'unexpected closing brace',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, `${block(`${d}/app.log`)}}\n`) }),
  },
  {
    name: 'the same log in two blocks',
    build: (d) => ({
      targets: [log(`${d}/a.log`), log(`${d}/b.log`)],
      config: conf(d, block(`${d}/a.log`) + block(`${d}/a.log ${d}/b.log`)),
    }),
  },
  {
    name: 'log is a symlink',
    build: (d) => {
      log(`${d}/real.log`);
      symlinkSync(`${d}/real.log`, `${d}/app.log`);
      return { targets: [`${d}/app.log`], config: conf(d, block(`${d}/app.log`)) };
    },
  },
  {
    name: 'log path is a directory',
    build: (d) => ({ targets: [dir(`${d}/logs.log`)], config: conf(d, block(`${d}/logs.log`)) }),
  },
  {
    name: 'glob also matching a directory',
    build: (d) => ({ targets: [log(`${d}/a.log`)], config: (dir(`${d}/b.log`), conf(d, block(`${d}/*.log`))) }),
  },
  {
    name: 'bad rotate count',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'rotate many')) }),
  },
  {
    name: 'relative log path',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, `app.log {\n  rotate 1\n}\n`) }),
  },
  {
    name: 'block without closing brace',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, `${d}/app.log {\n  rotate 1\n`) }),
  },
  {
    name: 'taboopat inside a block',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'taboopat +*.x')) }),
  },
  {
    name: 'brace on the next line',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, `${d}/app.log\n{\n  rotate 1\n}\n`) }),
  },
  {
    name: 'copytruncate, compress and dateext',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'copytruncate', 'compress', 'dateext', 'rotate 3')),
    }),
  },
  {
    name: 'postrotate script that succeeds',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'postrotate', `  touch ${d}/rotated`, 'endscript')),
    }),
  },
  {
    name: 'full filesystem, copytruncate needs room for the copy',
    build: (d) => {
      const fs = tinyFs(`${d}/full`, 128);
      const t = log(`${fs}/app.log`, 'x'.repeat(20_000));
      fill(fs);
      return { targets: [t], config: conf(d, block(t, 'copytruncate')) };
    },
  },
  {
    name: 'full filesystem, a plain rename still works',
    build: (d) => {
      const fs = tinyFs(`${d}/full2`, 128);
      const t = log(`${fs}/app.log`, 'x'.repeat(20_000));
      fill(fs);
      return { targets: [t], config: conf(d, block(t)) };
    },
  },
  {
    name: 'compresscmd that does not exist',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'compress', `compresscmd ${d}/bin/no-such-gzip`)),
    }),
  },
  {
    name: 'compresscmd as a bare name on PATH',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'compress', 'compresscmd gzip')),
    }),
  },
  {
    name: 'uncompresscmd that does not exist (used only for mail)',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, 'compress', `uncompresscmd ${d}/bin/no-such-gunzip`)),
    }),
  },
  {
    name: 'postrotate kill -USR1 $(cat PIDFILE), pid file missing',
    build: (d) => ({
      targets: [log(`${d}/mongod.log`)],
      config: conf(
        d,
        block(`${d}/mongod.log`, 'create', ...script('postrotate', `kill -USR1 $(cat ${d}/run/mongod.pid)`)),
      ),
    }),
  },
  {
    name: 'postrotate kill -USR1 $(cat PIDFILE), pid file present',
    build: (d) => ({
      targets: [log(`${d}/mongod.log`)],
      config: conf(
        d,
        block(
          `${d}/mongod.log`,
          'create',
          ...script('postrotate', `kill -USR1 $(cat ${pidFile(`${d}/run/mongod.pid`)})`),
        ),
      ),
    }),
  },
  {
    name: 'postrotate with a missing pid file caught by || true',
    build: (d) => ({
      targets: [log(`${d}/mongod.log`)],
      config: conf(
        d,
        block(
          `${d}/mongod.log`,
          ...script('postrotate', `kill -USR1 \`cat ${d}/run/mongod.pid 2>/dev/null\` 2> /dev/null || true`),
        ),
      ),
    }),
  },
  {
    name: 'postrotate calling a program that is not on PATH',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, ...script('postrotate', 'tidemark-no-such-program --reopen'))),
    }),
  },
  {
    name: 'prerotate reading a missing file, not as its last command',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      config: conf(d, block(`${d}/app.log`, ...script('prerotate', `cat ${d}/no-such-file`, 'true'))),
    }),
  },
  {
    name: 'olddir on a gone mount',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      fstab: fstab(d, `${d}/array`),
      config: conf(d, block(`${d}/app.log`, `olddir ${d}/array/old`)),
    }),
  },
  {
    name: 'log and olddir on a gone mount',
    build: (d) => ({
      targets: [],
      fstab: fstab(d, `${d}/array`),
      config: conf(d, block(`${d}/array/log/mongod.log`, `olddir ${d}/array/old`)),
    }),
  },
  {
    name: 'log and olddir on a gone mount, missingok',
    build: (d) => ({
      targets: [],
      fstab: fstab(d, `${d}/array`),
      config: conf(d, block(`${d}/array/log/mongod.log`, `olddir ${d}/array/old`, 'missingok')),
    }),
  },
  {
    name: 'missingok under an unmounted mount point',
    build: (d) => ({
      targets: [],
      fstab: fstab(dir(`${d}/data`) && d, `${d}/data`),
      config: conf(d, block(`${d}/data/mongod.log`, 'missingok')),
    }),
  },
  {
    name: 'createolddir on a gone mount (made on the disk below)',
    build: (d) => ({
      targets: [log(`${d}/app.log`)],
      rotatedInto: [`${d}/array/old`],
      fstab: fstab(d, `${d}/array`),
      config: conf(d, block(`${d}/app.log`, `olddir ${d}/array/old`, 'createolddir 0755 root root')),
    }),
  },
  {
    name: 'bad maxage',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'maxage 3x')) }),
  },
  {
    name: 'weekly with a weekday past 7',
    build: (d) => ({ targets: [log(`${d}/app.log`)], config: conf(d, block(`${d}/app.log`, 'weekly 9')) }),
  },
  {
    name: 'rotate -1 (keep all), and rotate in hex',
    build: (d) => ({
      targets: [log(`${d}/a.log`), log(`${d}/b.log`)],
      config: conf(d, block(`${d}/a.log`, 'rotate -1') + block(`${d}/b.log`, 'rotate 0x2')),
    }),
  },
  {
    name: 'one good block, one with an insecure parent',
    build: (d) => ({
      targets: [log(`${d}/ok.log`), log(`${dir(`${d}/w`, 0o777)}/bad.log`)],
      config: conf(d, block(`${d}/ok.log`) + block(`${d}/w/bad.log`)),
    }),
  },
];

function listing(dirs: string[]): Set<string> {
  const out = new Set<string>();
  for (const d of dirs) {
    try {
      for (const n of readdirSync(d)) out.add(path.join(d, n));
    } catch {
      // a directory that does not exist yet (createolddir)
    }
  }
  return out;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'tidemark-lr-'));
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
  if (shm) rmSync(shm, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('tidemark check logrotate against the real logrotate', () => {
  const results: { name: string; real: boolean; ours: boolean; why: string }[] = [];

  it('has at least 40 scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(40);
  });

  it.each(scenarios.map((s, i) => [i + 1, s.name, s] as const))('%i. %s', (i, _name, s) => {
    const d = path.join(root, `s${i}`);
    mkdirSync(d);
    const b = s.build(d);
    const state = b.state ?? path.join(d, 'logrotate.status');
    const env = { ...hostEnv(b.fstab ? { fstab: b.fstab } : {}), runsAsRoot: true, mongod: null };
    const ours = runLogrotateCheck({ config: b.config, state, env });

    const watch = [...new Set([...b.targets.map((t) => path.dirname(t)), ...(b.rotatedInto ?? [])])];
    const before = listing(watch);
    const run = spawnSync('logrotate', ['-s', state, '-f', b.config], { encoding: 'utf8', timeout: 30_000 });
    const after = listing(watch);
    const fresh = [...after].filter((f) => !before.has(f));
    // Every target starts with content. Rotated means its content moved: a rotated copy appeared, or the
    // file is gone (rotate 0 deletes the old copy) or empty (create, copytruncate).
    const moved = (t: string) => {
      try {
        const st = lstatSync(t);
        return st.isFile() && st.size === 0;
      } catch {
        return true;
      }
    };
    const unrotated = b.targets.filter(
      (t) =>
        !moved(t) &&
        !fresh.some(
          (f) =>
            path.basename(f).startsWith(path.basename(t) + '.') || path.basename(f).startsWith(path.basename(t) + '-'),
        ),
    );
    const realProblem = run.status !== 0 || unrotated.length > 0;
    const why = `logrotate exit ${run.status}${unrotated.length ? `, unrotated ${unrotated.map((u) => path.basename(u)).join(', ')}` : ''}; stderr: ${run.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
    results.push({ name: s.name, real: realProblem, ours: !ours.ok, why });
    const oursText = ours.findings
      .filter((f) => f.severity === 'error')
      .map((f) => `${f.code}: ${f.message}`)
      .join(' | ');
    expect(!ours.ok, `real: ${why}\nours: ${oursText || 'no errors'}`).toBe(realProblem);
  });

  it('agrees with logrotate on every scenario', () => {
    const agree = results.filter((r) => r.real === r.ours).length;
    const problems = results.filter((r) => r.real).length;
    console.log(
      `tidemark check logrotate vs logrotate -f: agreement ${agree}/${results.length} (${((100 * agree) / results.length).toFixed(1)} %), ${problems} scenarios where the real run fails or leaves a log unrotated`,
    );
    for (const r of results)
      console.log(
        `${r.real === r.ours ? 'agree' : 'DIFFER'}  real ${r.real ? 'problem' : 'ok     '}  ours ${r.ours ? 'problem' : 'ok     '}  ${r.name}`,
      );
    expect(results).toHaveLength(scenarios.length);
    expect(agree).toBe(results.length);
  });
});
