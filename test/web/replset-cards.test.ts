import { describe, expect, it } from 'vitest';
import type { ReplsetView } from '../../shared/overview.js';
import { unknownQuorum } from '../../agent/mongod/absence.js';
import { replsetBadge, setHeadline, unknownReplsetLines } from '../../web/src/replset-words.js';
import { replset } from '../helpers/scripted-fleet.js';

// Noon UTC: the same calendar day in every time zone the dashboard might run in.
const SINCE = Date.UTC(2026, 10, 30, 12, 0, 0);

describe("a replica set's card on the host page", () => {
  it('says an unknown view is unknown, never "at risk" or "no primary" from its null figures', () => {
    const named = unknownQuorum('rs0', 'db-a:27017', 'replSetGetStatus: timed out', SINCE);
    expect(replsetBadge(named)).toEqual({ ok: false, health: 'rebuilding', text: 'state unknown' });
    const none = unknownQuorum('rs0', null, 'mongod down: connect ECONNREFUSED', SINCE);
    expect(replsetBadge(none)).toEqual({ ok: false, health: 'degraded', text: 'state unknown' });
  });

  it('says since when and why, and the primary serverStatus still names', () => {
    const [why, primary] = unknownReplsetLines(
      unknownQuorum('rs0', 'db-a:27017', 'replSetGetStatus: timed out', SINCE),
    );
    expect(why).toMatch(/^state unknown since Nov 30 \d\d:\d\d: replSetGetStatus: timed out$/);
    expect(primary).toBe('primary db-a:27017, as this member sees it');
    expect(unknownReplsetLines(unknownQuorum('rs0', null, 'mongod down', SINCE))[1]).toBe('no primary known');
  });

  it('judges a known view by its figures', () => {
    // 3 voters, majority 2: all up survives 1 failure; one down survives none; no primary is no primary.
    expect(replsetBadge(replset('rs0', ['a:1', 'b:1', 'c:1']))).toEqual({
      ok: true,
      health: 'clean',
      text: 'survives 1 failure',
    });
    const oneDown = replset('rs0', ['a:1', 'b:1', 'c:1'], ['c:1']);
    expect(replsetBadge(oneDown)).toEqual({ ok: false, health: 'rebuilding', text: 'at risk' });
    expect(replsetBadge({ ...oneDown, primary: null })).toEqual({ ok: false, health: 'degraded', text: 'no primary' });
  });
});

describe("a replica set's card on the replica-sets page", () => {
  const view = (over: Partial<ReplsetView>): ReplsetView => ({
    set: 'rs0',
    reportedBy: 'db-1',
    known: true,
    primary: 'db-1:27017',
    summary: '',
    warnings: [],
    health: 'ok',
    members: [],
    ...over,
  });

  it('says a view no agent could read is unknown, and a primary not named is not known to be none', () => {
    expect(setHeadline(view({ known: false, primary: null, health: 'bad' }))).toEqual({
      badge: 'state unknown',
      byline: "as seen by db-1, which cannot read the set's state; no primary known",
    });
    expect(setHeadline(view({ known: false, health: 'warn' }))).toEqual({
      badge: 'state unknown',
      byline: "as seen by db-1, which cannot read the set's state; primary db-1:27017, as db-1's mongod sees it",
    });
  });

  it('shows a known view by its verdict and primary', () => {
    expect(setHeadline(view({}))).toEqual({ badge: 'ok', byline: 'as seen by db-1; primary db-1:27017' });
    expect(setHeadline(view({ primary: null, health: 'bad' }))).toEqual({
      badge: 'bad',
      byline: 'as seen by db-1; primary none',
    });
  });
});
