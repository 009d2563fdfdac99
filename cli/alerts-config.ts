import path from 'node:path';
import type { AlertsOptions } from '../server/alerts/index.js';
import type { Receiver } from '../server/alerts/notify.js';
import { PAGERDUTY_EVENTS_URL } from '../server/alerts/notify.js';
import { parseRouteMatch } from '../server/alerts/routing.js';
import { DEFAULT_GROUP_TIMING, type GroupTiming } from '../server/alerts/grouping.js';
import { parseDuration } from '../server/alerts/rules.js';
import { defaultRulesDir } from '../server/alerts/ruleset.js';
import { ConfigError, loadConfigFile, checkUrl } from './config.js';
import { errorMessage } from '../shared/errors.js';

/**
 * The alerting part of the configuration: `--webhook URL` (repeatable) sends
 * every notification as generic JSON; the YAML file's `alerts:` section does
 * the rest:
 *
 *   alerts:
 *     rules: [/etc/tidemark/rules.d]   # added to the shipped defaults
 *     defaultRules: true
 *     repeatInterval: 4h
 *     groupWait: 10s                   # webhooks and Slack: see server/alerts/grouping.ts
 *     groupInterval: 1m
 *     receivers:
 *       - { type: pagerduty, routingKey: R0UT1NGKEY }
 *       - { type: alertmanager, url: http://alertmanager:9093 }
 *       - { type: slack, url: https://hooks.slack.com/services/… }
 *       - { type: webhook, url: https://ops.example/hook }
 */
export function alertsOptions(
  flags: Record<string, unknown>,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): AlertsOptions {
  const file = (flags.config as string | undefined) ?? env.TIDEMARK_CONFIG;
  const section = (file ? (loadConfigFile(file).alerts as Record<string, unknown> | undefined) : undefined) ?? {};
  const where = (k: string) => `alerts.${k} in ${file}`;
  if (typeof section !== 'object' || Array.isArray(section)) throw new ConfigError(`${where('')}: must be a mapping`);

  const rulePaths: string[] = [];
  if (section.defaultRules !== false) rulePaths.push(defaultRulesDir());
  if (section.rules !== undefined) {
    if (!Array.isArray(section.rules) || section.rules.some((r) => typeof r !== 'string'))
      throw new ConfigError(`${where('rules')}: must be a list of files or directories`);
    rulePaths.push(...(section.rules as string[]).map((r) => path.resolve(path.dirname(file ?? '.'), r)));
  }

  const group = groupTiming(section, DEFAULT_GROUP_TIMING, where);
  const receivers: Receiver[] = [];
  const webhooks = (flags.webhook as string[] | undefined) ?? [];
  webhooks.forEach((url, i) =>
    receivers.push({ name: `webhook-${i + 1}`, type: 'webhook', url: checkUrl(url, '--webhook'), group }),
  );
  const list = section.receivers ?? [];
  if (!Array.isArray(list)) throw new ConfigError(`${where('receivers')}: must be a list`);
  list.forEach((raw, i) =>
    receivers.push(receiver(raw as Record<string, unknown>, i, `${where('receivers')}[${i}]`, group)),
  );

  let repeatIntervalMs: number | undefined;
  if (section.repeatInterval !== undefined) {
    const ms = parseDuration(section.repeatInterval);
    if (ms === null || ms < 60_000)
      throw new ConfigError(`${where('repeatInterval')}: a duration of at least 1m, e.g. 4h`);
    repeatIntervalMs = ms;
  }
  const external = (flags.externalUrl as string | undefined) ?? env.TIDEMARK_EXTERNAL_URL ?? section.externalUrl;
  const dashboardUrl = external === undefined ? null : checkUrl(external, '--external-url');
  return {
    rulePaths,
    receivers,
    stateFile: path.join(dataDir, 'alerts-state.json'),
    repeatIntervalMs,
    dashboardUrl,
  };
}

const TYPES = new Set(['webhook', 'pagerduty', 'alertmanager', 'slack']);
const SEVERITIES = new Set(['critical', 'warning', 'info']);

/** One entry of alerts.receivers, with its routing (severity, match), headers, signing secret and re-post interval. */
function receiver(r: Record<string, unknown>, i: number, at: string, group: GroupTiming): Receiver {
  const type = r.type as Receiver['type'];
  if (!TYPES.has(String(type))) throw new ConfigError(`${at}: type must be webhook, pagerduty, alertmanager or slack`);
  const url = type === 'pagerduty' && r.url === undefined ? PAGERDUTY_EVENTS_URL : checkUrl(r.url, at);
  if (type === 'pagerduty' && typeof r.routingKey !== 'string')
    throw new ConfigError(`${at}: pagerduty needs routingKey (the integration key)`);
  const out: Receiver = { name: typeof r.name === 'string' ? r.name : `${type}-${i + 1}`, type, url };
  if (type === 'pagerduty') out.routingKey = r.routingKey as string;
  const severity = r.severity === undefined ? undefined : ([] as unknown[]).concat(r.severity);
  if (severity?.some((s) => !SEVERITIES.has(String(s))))
    throw new ConfigError(`${at}.severity: critical, warning or info, or a list of them`);
  let match;
  try {
    match = r.match === undefined ? undefined : parseRouteMatch(r.match, `${at}.match`);
  } catch (e) {
    throw new ConfigError(errorMessage(e));
  }
  if (severity || match) out.route = { severity: severity as ('critical' | 'warning' | 'info')[] | undefined, match };
  if (r.headers !== undefined) {
    const h = r.headers as Record<string, unknown>;
    if (typeof h !== 'object' || h === null || Object.values(h).some((v) => typeof v !== 'string'))
      throw new ConfigError(`${at}.headers: a mapping of header names to strings`);
    if (type === 'pagerduty' || type === 'slack')
      throw new ConfigError(`${at}.headers: only for alertmanager and webhook receivers`);
    out.headers = h as Record<string, string>;
  }
  if (r.secret !== undefined) {
    if (type !== 'webhook' || typeof r.secret !== 'string' || r.secret.length < 16)
      throw new ConfigError(`${at}.secret: webhooks only, at least 16 characters`);
    out.secret = r.secret;
  }
  if (r.resendInterval !== undefined) {
    const ms = parseDuration(r.resendInterval);
    if (type !== 'alertmanager' || ms === null || ms < 1000 || ms > 240_000)
      throw new ConfigError(`${at}.resendInterval: alertmanager only, from 1s to 4m (under its resolve_timeout)`);
    out.resendMs = ms;
  }
  if (type === 'webhook' || type === 'slack') out.group = groupTiming(r, group, (k) => `${at}.${k}`);
  else if (r.groupWait !== undefined || r.groupInterval !== undefined)
    throw new ConfigError(
      `${at}: groupWait and groupInterval are for webhook and slack receivers (${type} groups itself)`,
    );
  return out;
}

/** Longest a page may wait for its group, and longest a group's follow-up may wait. */
const MAX_GROUP_WAIT_MS = 60_000;
const MAX_GROUP_INTERVAL_MS = 3_600_000;

/** groupWait and groupInterval of `m` (the alerts section or one receiver), over `base`. */
function groupTiming(m: Record<string, unknown>, base: GroupTiming, name: (key: string) => string): GroupTiming {
  const one = (key: string, fallback: number, max: number, hint: string): number => {
    if (m[key] === undefined) return fallback;
    const ms = parseDuration(m[key]);
    if (ms === null || ms > max) throw new ConfigError(`${name(key)}: ${hint}`);
    return ms;
  };
  return {
    waitMs: one('groupWait', base.waitMs, MAX_GROUP_WAIT_MS, 'a duration from 0s to 1m, e.g. 10s'),
    intervalMs: one('groupInterval', base.intervalMs, MAX_GROUP_INTERVAL_MS, 'a duration from 0s to 1h, e.g. 1m'),
  };
}
