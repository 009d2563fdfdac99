import type { MetricDef } from './types.js';

/** Log-path checks: can mongod and logrotate write where they are told to. */
export const LOGPATH_METRICS = [
  {
    name: 'logpath_check_ok',
    unit: 'boolean',
    kind: 'gauge',
    labels: ['check'],
    domain: 'logpath',
    title: 'Log-path check passes',
    help: '1 when the check passes: check="logrotate" means every rotation of the next logrotate run would succeed; check="mongod-config" means mongod.conf lets mongod start and keep logging. Run every minute and when the files change.',
  },
  {
    name: 'logpath_check_errors',
    unit: 'count',
    kind: 'gauge',
    labels: ['check'],
    domain: 'logpath',
    title: 'Log-path errors',
    help: 'Findings that make a rotation fail or be skipped, or keep mongod from starting or logging (see tidemark check logrotate / mongod-config).',
  },
  {
    name: 'logpath_check_warnings',
    unit: 'count',
    kind: 'gauge',
    labels: ['check'],
    domain: 'logpath',
    title: 'Log-path warnings',
    help: 'Risky or ignored settings that do not make the next rotation fail (e.g. a nearly full disk, copytruncate with SIGUSR1).',
  },
] as const satisfies readonly MetricDef[];
