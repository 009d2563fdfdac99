/**
 * Which window each open `when` alert rests on, both ways: the engine's map
 * from id to window (staleness: when did its series last arrive?) and each
 * window's own short list of the alerts open on it (Window.open, which an
 * evaluation reads instead of hashing an id for every window and rule). An
 * alert's id (a hash) is made when it opens; windows without an open alert,
 * nearly all of them, hold none.
 */
import { alertId } from './instance.js';
import type { Instances } from './instances.js';
import type { Window } from './windows.js';

export class AlertLinks {
  private readonly windowOf = new Map<string, Window>();

  constructor(private readonly instances: Instances) {}

  /** The window the open alert `id` rests on, if it has one yet. */
  of(id: string): Window | undefined {
    return this.windowOf.get(id);
  }

  /** The alert `id` of `rule` rests on `w`. */
  link(id: string, rule: string, w: Window): void {
    this.windowOf.set(id, w);
    w.opened(rule, id);
  }

  /** The alert `id` is no longer open. */
  unlink(id: string): void {
    this.windowOf.get(id)?.closed(id);
    this.windowOf.delete(id);
  }

  /**
   * A new plan of `host` feeds `rule` on window `w`: if that alert is open
   * (restored from the state file, or its rule or series redefined), it now
   * rests on `w`. An alert's id is its rule, host and label set (alertId), so
   * the host's open alerts are matched by rule and labels, and only a match
   * is hashed, to be sure: a plan of a host with no alert open hashes nothing.
   */
  relink(host: string, rule: string, w: Window): void {
    if (this.instances.openOn(host) === 0) return;
    const linked = w.openId(rule);
    if (linked !== undefined) {
      if (this.instances.has(linked)) this.windowOf.set(linked, w);
      return;
    }
    for (const inst of this.instances.on(host))
      if (inst.rule === rule && sameLabels(inst.labels, w.labels) && inst.id === alertId(rule, host, w.labels))
        return this.link(inst.id, rule, w);
  }
}

/** The same label set (what the alert id reads of labels: their seriesKey). */
function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  let n = 0;
  for (const k in a) {
    if (b[k] !== a[k] || !Object.hasOwn(b, k)) return false;
    n++;
  }
  for (const k in b) if (Object.hasOwn(b, k)) n--;
  return n === 0;
}
