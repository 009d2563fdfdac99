import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Looks users and groups up as getpwnam/getgrnam would: /etc/passwd and /etc/group, then NSS through getent. */
export interface Accounts {
  user(name: string): { uid: number; gid: number } | null;
  group(name: string): { gid: number } | null;
}

function fromFile(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0]) out.set(f[0], f);
    }
  } catch {
    // no file: rely on getent
  }
  return out;
}

function getent(db: 'passwd' | 'group', name: string): string[] | null {
  try {
    return execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
      .trim()
      .split(':');
  } catch {
    return null;
  }
}

export function systemAccounts(): Accounts {
  const passwd = fromFile('/etc/passwd');
  const group = fromFile('/etc/group');
  return {
    user(name) {
      if (/^\d+$/.test(name)) return { uid: Number(name), gid: -1 };
      const f = passwd.get(name) ?? getent('passwd', name);
      return f && f[2] !== undefined ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
    },
    group(name) {
      if (/^\d+$/.test(name)) return { gid: Number(name) };
      const f = group.get(name) ?? getent('group', name);
      return f && f[2] !== undefined ? { gid: Number(f[2]) } : null;
    },
  };
}
