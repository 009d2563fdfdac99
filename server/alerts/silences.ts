/**
 * Silences, like Alertmanager's: label matchers over an alert's labels plus
 * `alertname` and `host`, a time span, who and why. An active silence holds
 * back an alert's notifications; expired ones are kept a day for the record.
 */
import { randomUUID } from 'node:crypto';
import { compileFullMatch, type FullMatcher } from '../../shared/safe-regex.js';
import type { AlertInstance } from './instance.js';

export interface Silence {
  id: string;
  matchers: { label: string; value: string; regex: boolean }[];
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
}

/** How long an expired silence stays listed. */
const KEEP_EXPIRED_MS = 24 * 3_600_000;

/** A silence's matchers as tests, compiled once per silence (they are checked on every tick for every firing alert). */
const silenceTests = new WeakMap<Silence, ((labels: Record<string, string>) => boolean)[]>();
export function silenceMatches(s: Silence, labels: Record<string, string>): boolean {
  let tests = silenceTests.get(s);
  if (!tests) {
    tests = s.matchers.map((m) => {
      const value = (l: Record<string, string>) => (Object.hasOwn(l, m.label) ? String(l[m.label]) : '');
      if (!m.regex) return (l: Record<string, string>) => value(l) === m.value;
      // RE2 semantics: linear time, so no silence (even one persisted before patterns were checked) can hang a tick.
      let re: FullMatcher;
      try {
        re = compileFullMatch(m.value);
      } catch {
        return () => false; // a pattern RE2 cannot run silences nothing
      }
      return (l: Record<string, string>) => re.test(value(l));
    });
    silenceTests.set(s, tests);
  }
  return tests.every((t) => t(labels));
}

/** The silences of one engine; `changed` is called after every change (the engine saves its state then). */
export class Silences {
  private list: Silence[] = [];

  constructor(private readonly changed: () => void) {}

  /** Replaces them all (a restored state). */
  restore(list: Silence[]): void {
    this.list = list;
  }

  all(): Silence[] {
    return [...this.list];
  }

  /** The silence covering an alert now, or null. */
  covering(inst: Pick<AlertInstance, 'rule' | 'host' | 'labels'>, now: number): Silence | null {
    const labels: Record<string, string> = { alertname: inst.rule, host: inst.host, ...inst.labels };
    return this.list.find((s) => s.startsAt <= now && now < s.endsAt && silenceMatches(s, labels)) ?? null;
  }

  add(s: Omit<Silence, 'id'>): Silence {
    const silence = { ...s, id: randomUUID() };
    this.list.push(silence);
    this.changed();
    return silence;
  }

  expire(id: string, now: number): boolean {
    const s = this.list.find((x) => x.id === id);
    if (!s) return false;
    s.endsAt = Math.min(s.endsAt, now);
    this.changed();
    return true;
  }

  /** Forgets silences that ended more than a day ago. */
  prune(now: number): void {
    const before = this.list.length;
    this.list = this.list.filter((s) => s.endsAt > now - KEEP_EXPIRED_MS);
    if (this.list.length !== before) this.changed();
  }
}
