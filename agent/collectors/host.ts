import type { Collector } from './collector.js';
import { HostSettings, type DiskSettings, type LogPathSettings } from '../host-settings.js';
import { enabledCollectors, type CollectorChoice } from './registry.js';
// Each module registers its collectors as it loads; this order is the order of the output.
import './cpu.js';
import './disks.js';
import './pressure.js';
import './raid.js';
import './logpaths.js';
import './logrotate-schedule.js';
import './mongod-instances.js';
import './filesystems.js';

export { collectorNames, registeredCollectors, type CollectorChoice } from './registry.js';

/** The enabled collectors for a root directory, in a stable order. */
export function hostCollectors(
  root: string,
  logPaths: LogPathSettings = {},
  diskSettings: DiskSettings = {},
  choice: CollectorChoice = {},
  stateDir: string | null = null,
): Collector[] {
  const host = new HostSettings(root, logPaths, diskSettings, stateDir);
  return enabledCollectors(choice).flatMap((d) => d.create(host));
}
