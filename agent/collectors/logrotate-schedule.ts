import { logrotateSchedule } from '../logrotate/schedule.js';
import type { CollectResult, Collector } from './collector.js';
import { registerCollector } from './registry.js';

import { LOGROTATE_SCHEDULE_STATE_KIND as SCHEDULE_STATE_KIND } from '../../shared/states.js';
import { errorMessage } from '../../shared/errors.js';
const RECOMPUTE_MS = 60_000;

/** When logrotate next runs (systemd timer, anacron or cron), worked out once a minute for the dashboard. */
export class LogrotateScheduleCollector implements Collector {
  readonly name = 'logrotate_schedule';
  private last: Record<string, unknown> | null = null;
  private at = -Infinity;

  constructor(
    private readonly root: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private compute(): Record<string, unknown> {
    try {
      const s = logrotateSchedule(this.root, this.clock());
      return s ? { ...s } : { error: 'no cron job or systemd timer runs logrotate here' };
    } catch (err) {
      return { error: errorMessage(err) };
    }
  }

  snapshot(): Promise<unknown> {
    return Promise.resolve(this.compute());
  }

  collect(): Promise<CollectResult> {
    const now = this.clock().getTime();
    // a run that has started is recomputed at once, so "in 0 min" never lingers
    const passed = typeof this.last?.next === 'number' && now >= this.last.next;
    if (now - this.at >= RECOMPUTE_MS || passed) {
      this.at = now;
      this.last = this.compute();
    }
    return Promise.resolve({
      samples: [],
      states: [{ kind: SCHEDULE_STATE_KIND, key: 'next', value: this.last! }],
      stateKinds: [SCHEDULE_STATE_KIND],
      status: { name: this.name, state: 'ok' },
    });
  }
}

registerCollector({
  name: 'logrotate_schedule',
  help: 'when logrotate next runs (systemd timer, anacron or cron); only with a logrotate configuration',
  defaultEnabled: true,
  create: (host) => (host.logPathOptions.logrotateConfig ? [new LogrotateScheduleCollector(host.root)] : []),
});
