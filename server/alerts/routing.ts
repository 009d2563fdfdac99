/**
 * Which receiver hears of which alert, like Alertmanager's routes: a receiver
 * may take only some severities and only alerts whose labels match
 * (`match: { alertname: '~Raid.*', host: '!db9' }`, the rule files' matcher
 * syntax). A receiver without filters hears everything.
 */
import { matches, type Matcher } from './rules.js';
import type { AlertSnapshot } from './notify.js';
import { errorMessage } from '../../shared/errors.js';

export interface Route {
  severity?: readonly AlertSnapshot['severity'][];
  match?: readonly Matcher[];
}

/** The labels routing and inhibition see: the alert's own, plus alertname, host and severity. */
function routingLabels(a: Pick<AlertSnapshot, 'rule' | 'host' | 'severity' | 'labels'>): Record<string, string> {
  return { ...a.labels, alertname: a.rule, host: a.host, severity: a.severity };
}

export function routes(r: Route, a: AlertSnapshot): boolean {
  if (r.severity && r.severity.length && !r.severity.includes(a.severity)) return false;
  return !r.match || matches(r.match, routingLabels(a));
}

/** `match:` of a receiver as matchers; the error names the label. */
export function parseRouteMatch(raw: unknown, where: string): Matcher[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${where}: match maps label names to values ("~regex", "!value")`);
  return Object.entries(raw as Record<string, unknown>).map(([label, v]) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${where}: match.${label} must be a string`);
    let value = String(v);
    const negate = value.startsWith('!');
    if (negate) value = value.slice(1);
    let re: RegExp | null = null;
    if (value.startsWith('~')) {
      try {
        re = new RegExp(`^(?:${value.slice(1)})$`);
      } catch (e) {
        throw new Error(`${where}: match.${label}: bad pattern: ${errorMessage(e)}`, { cause: e });
      }
    }
    return { label, value, negate, re };
  });
}
