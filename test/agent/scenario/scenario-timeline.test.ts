import { describe, expect, it } from 'vitest';
import { buildTimeline, lead, timelineText, when, type SeenPage } from '../../../agent/scenario/timeline.js';

/** The replay's timeline (agent/scenario/timeline.ts): links matched to their first page, and the text. */
const local = (day: number, h: number, m: number, s = 0) => new Date(2016, 5, day, h, m, s).getTime();
const outage = { at: local(25, 3, 0), what: 'the outage', pages: [{ rule: 'MongodDown', host: 'db1' }] };
const links = [
  { link: 'array saturated', rule: 'RaidArraySaturated', host: 'db1', causeAt: local(21, 14, 2) },
  { link: 'log on the old array', rule: 'MongodRunningLogInvalid', host: 'db2', causeAt: local(24, 22, 30) },
];
const page = (rule: string, host: string, firedAt: number, facts: string[] = []): SeenPage => ({
  rule,
  host,
  firedAt,
  summary: `${rule} on ${host}`,
  facts,
});

describe('buildTimeline', () => {
  it('takes the first page of the rule on the host at or after the cause, and null when none', () => {
    const t = buildTimeline(
      links,
      outage,
      [],
      [
        page('RaidArraySaturated', 'db1', local(21, 9, 0)), // before the cause: another episode
        page('RaidArraySaturated', 'db1', local(21, 14, 5)),
        page('RaidArraySaturated', 'db1', local(21, 14, 2, 30), ['md2 holds mongod dbPath /data']),
        page('RaidArraySaturated', 'db2', local(21, 14, 2)), // another host
        page('MongodRunningLogInvalid', 'db1', local(24, 22, 30)), // the rule, on the wrong host
      ],
    );
    expect(t.links[0]).toMatchObject({
      paged_at: local(21, 14, 2, 30),
      cause_at: local(21, 14, 2),
      outage_at: local(25, 3, 0),
      alert: 'RaidArraySaturated on db1 — md2 holds mongod dbPath /data',
    });
    expect(t.links[1]).toMatchObject({ paged_at: null, alert: null, summary: null, facts: [] });
    expect(t.outage.pages[0]!.paged_at).toBeNull();
  });

  it('prints each link with its lead over the outage, "never" for a link nothing paged', () => {
    const t = buildTimeline(
      links,
      outage,
      [{ at: local(22, 1, 0), what: 'the migration' }],
      [page('RaidArraySaturated', 'db1', local(21, 14, 2, 30), ['md2 holds mongod dbPath /data'])],
    );
    const text = timelineText(t, 'title').split('\n');
    // 14:02:30 on the 21st to 03:00 on the 25th: 3 d 12 h 57.5 min, rounded to 58 min
    expect(text).toContain('   paged   Tue 21 14:02:30, 3 d 12 h 58 min before the outage (RaidArraySaturated on db1)');
    expect(text).toContain('           • md2 holds mongod dbPath /data');
    expect(text).toContain('   paged   never (MongodRunningLogInvalid on db2 did not fire)');
    // the note sits between the links by its time, the outage last
    expect(text.indexOf('-- Wed 22 01:00 the migration')).toBeGreaterThan(text.indexOf('1. array saturated'));
    expect(text.indexOf('-- Wed 22 01:00 the migration')).toBeLessThan(text.indexOf('2. log on the old array'));
    expect(text.at(-2)).toBe('OUTAGE  Sat 25 03:00: the outage');
    expect(text.at(-1)).toBe('   MongodDown on db1: not paged');
  });

  it('lead and when', () => {
    expect(lead(45_000)).toBe('45 s');
    expect(lead(-45_000)).toBe('−45 s');
    expect(lead((5 * 60 + 12) * 60_000)).toBe('5 h 12 min');
    expect(lead(((4 * 24 + 17) * 60 + 50) * 60_000)).toBe('4 d 17 h 50 min');
    expect(when(local(25, 3, 0))).toBe('Sat 25 03:00');
    expect(when(local(25, 3, 0, 15))).toBe('Sat 25 03:00:15');
  });
});
