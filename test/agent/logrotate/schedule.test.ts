import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CalendarError, nextMatch, parseCronFields, parseOnCalendar } from '../../../agent/logrotate/cron.js';
import { anacronSchedule, describeNext, logrotateSchedule, parseTimespan } from '../../../agent/logrotate/schedule.js';
import { CLI, REPO, tempDir } from '../../helpers/process.js';

// Cron and timers work in local time; the expected times below are worked out in UTC.
process.env.TZ = 'UTC';
const TREES = path.join(REPO, 'test/fixtures-local/schedule');
// Tuesday 10 March 2026, 21:48 — an injected clock, not today
const NOW = new Date('2026-03-10T21:48:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('when logrotate runs next', () => {
  it("systemd's logrotate.timer (OnCalendar=daily, AccuracySec=1h): next midnight, up to an hour later", () => {
    const s = logrotateSchedule(path.join(TREES, 'systemd'), NOW)!;
    expect(s.mechanism).toBe('systemd-timer');
    expect(s.source).toBe('/lib/systemd/system/logrotate.timer:6');
    expect(iso(s.next)).toBe('2026-03-11T00:00:00.000Z');
    expect(iso(s.latest)).toBe('2026-03-11T01:00:00.000Z');
    expect(describeNext(s, NOW)).toBe('next rotation 00:00, in 2 h 12 min (up to 60 min later)');
  });

  it('anacron: due since midnight, but 22:30 is outside START_HOURS_RANGE=3-22, so 07:30 tomorrow + 5 min delay (+45 random)', () => {
    const s = logrotateSchedule(path.join(TREES, 'anacron'), NOW)!;
    expect(s.mechanism).toBe('anacron');
    expect(s.source).toBe('/etc/anacrontab:10');
    expect(iso(s.next)).toBe('2026-03-11T07:35:00.000Z');
    expect(iso(s.latest)).toBe('2026-03-11T08:20:00.000Z');
  });

  it('anacron: a job that ran today waits for tomorrow; a weekly one for 7 days after its last run', () => {
    const invocation = parseCronFields('30 7-23 * * *'.split(' '));
    const tab = '1\t5\tcron.daily\trun-parts /etc/cron.daily\n7\t10\tcron.weekly\trun-parts /etc/cron.weekly\n';
    const daily = anacronSchedule({
      anacrontab: tab,
      file: 'a',
      job: 'cron.daily',
      lastRun: '20260310',
      invocation,
      now: NOW,
    })!;
    expect(iso(daily.next)).toBe('2026-03-11T07:35:00.000Z');
    expect(daily.latest).toBe(daily.next);
    // last ran Sunday 8 March: due Sunday 15 March, first anacron start 07:30, +10 min
    const weekly = anacronSchedule({
      anacrontab: tab,
      file: 'a',
      job: 'cron.weekly',
      lastRun: '20260308',
      invocation,
      now: NOW,
    })!;
    expect(iso(weekly.next)).toBe('2026-03-15T07:40:00.000Z');
    // never ran: due at once, the next start is 22:30 tonight (no START_HOURS_RANGE here)
    const never = anacronSchedule({
      anacrontab: tab,
      file: 'a',
      job: 'cron.daily',
      lastRun: null,
      invocation,
      now: NOW,
    })!;
    expect(iso(never.next)).toBe('2026-03-10T22:35:00.000Z');
  });

  it("/etc/crontab's cron.weekly line (47 6 * * 7) without anacron: Sunday 06:47", () => {
    const s = logrotateSchedule(path.join(TREES, 'cron-weekly'), NOW)!;
    expect(s.mechanism).toBe('cron');
    expect(s.source).toBe('/etc/crontab:9');
    expect(iso(s.next)).toBe('2026-03-15T06:47:00.000Z');
    expect(describeNext(s, NOW)).toBe('next rotation 06:47 on Sun Mar 15 2026, in 4 d 8 h 59 min');
  });

  it('nothing scheduled on a tree without logrotate jobs', () => {
    expect(logrotateSchedule(path.join(TREES, 'no-such-tree'), NOW)).toBeNull();
  });
});

describe('calendar expressions', () => {
  const next = (spec: ReturnType<typeof parseCronFields>) => iso(nextMatch(spec, NOW)!.getTime());
  it('cron fields: steps, and day-of-month OR day-of-week when both are set', () => {
    expect(next(parseCronFields('*/15 * * * *'.split(' ')))).toBe('2026-03-10T22:00:00.000Z');
    expect(next(parseCronFields('0 0 1 * 3'.split(' ')))).toBe('2026-03-11T00:00:00.000Z'); // a Wednesday
    expect(next(parseCronFields('0 3 * mar,apr sun'.split(' ')))).toBe('2026-03-15T03:00:00.000Z');
  });
  it('OnCalendar: weekly, weekday ranges and hour ranges', () => {
    expect(next(parseOnCalendar('weekly'))).toBe('2026-03-16T00:00:00.000Z'); // Monday
    expect(next(parseOnCalendar('Mon..Fri 03:30'))).toBe('2026-03-11T03:30:00.000Z');
    expect(next(parseOnCalendar('*-*-* 07..23:30'))).toBe('2026-03-10T22:30:00.000Z');
  });
  it('rejects what it cannot read, with a reason', () => {
    expect(() => parseCronFields('61 * * * *'.split(' '))).toThrow(CalendarError);
    expect(() => parseCronFields(['*'])).toThrow(/5 time fields/);
    expect(() => parseOnCalendar('2027-*-* 00:00')).toThrow(/unsupported date/);
    expect(() => parseTimespan('5 fortnights')).toThrow(/unknown time unit/);
    expect(parseTimespan('1h 30min')).toBe(5_400_000);
  });
});

describe('tidemark check logrotate names the next run', () => {
  it('prints when and by what, and carries it in --json', () => {
    const d = tempDir();
    writeFileSync(path.join(d, 'lr.conf'), `${d}/gone/app.log {\n  daily\n}\n`);
    const args = ['check', 'logrotate', '--config', path.join(d, 'lr.conf'), '--state', path.join(d, 'status')];
    const root = ['--schedule-root', path.join(TREES, 'systemd'), '--no-second-opinion'];
    const human = spawnSync(process.execPath, [CLI, ...args, ...root], { encoding: 'utf8' });
    expect(human.status).toBe(1); // the log's directory is gone
    // the real clock: only the shape and the failing count are fixed
    expect(human.stdout).toMatch(
      /next rotation 00:00(?: on .+)?, in (?:\d+ h )?\d+ min \(up to 60 min later\) \(logrotate\.timer OnCalendar=daily, \/lib\/systemd\/system\/logrotate\.timer:6\): 1 target\(s\) would fail or be skipped/,
    );
    const json = spawnSync(process.execPath, [CLI, ...args, ...root, '--json'], { encoding: 'utf8' });
    const report = JSON.parse(json.stdout) as { schedule: { mechanism: string; next: number; latest: number } };
    expect(report.schedule.mechanism).toBe('systemd-timer');
    expect(report.schedule.latest - report.schedule.next).toBe(3600_000);
  });
});

describe('the agent reports the next run', () => {
  it('as a state, recomputed once the run it announced has started', async () => {
    const { LogrotateScheduleCollector } = await import('../../../agent/collectors/logrotate-schedule.js');
    let now = NOW;
    const c = new LogrotateScheduleCollector(path.join(TREES, 'cron-weekly'), () => now);
    const first = await c.collect();
    expect(first.stateKinds).toEqual(['logrotate_schedule']);
    expect(iso(first.states![0]!.value.next as number)).toBe('2026-03-15T06:47:00.000Z');
    now = new Date('2026-03-15T06:47:30Z'); // the run has started: the next one is a week on
    const second = await c.collect();
    expect(iso(second.states![0]!.value.next as number)).toBe('2026-03-22T06:47:00.000Z');
    const none = await new LogrotateScheduleCollector(path.join(TREES, 'no-such-tree'), () => NOW).collect();
    expect(none.states![0]!.value).toEqual({ error: 'no cron job or systemd timer runs logrotate here' });
  });
});
