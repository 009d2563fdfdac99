import { existsSync } from 'node:fs';
import { systemAccounts } from './accounts.js';

export const DEFAULT_LOGROTATE_CONFIG = '/etc/logrotate.conf';
/** Debian and Ubuntu keep state in /var/lib/logrotate/status; RHEL-family systems in logrotate.status. */
export function defaultLogrotateState(): string {
  return existsSync('/var/lib/logrotate/logrotate.status')
    ? '/var/lib/logrotate/logrotate.status'
    : '/var/lib/logrotate/status';
}
export const DEFAULT_MONGOD_CONFIG = '/etc/mongod.conf';

/** The account mongod runs as: packages create mongod (MongoDB, RHEL) or mongodb (Debian); root if neither exists. */
export function defaultMongodUser(): string {
  const accounts = systemAccounts();
  return ['mongod', 'mongodb'].find((u) => accounts.user(u)) ?? 'root';
}
