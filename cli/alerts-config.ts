import path from 'node:path';
import type { AlertsOptions } from '../server/alerts/index.js';
import type { Receiver } from '../server/alerts/notify.js';
import { PAGERDUTY_EVENTS_URL } from '../server/alerts/notify.js';
import { parseDuration } from '../server/alerts/rules.js';
import { defaultRulesDir } from '../server/alerts/ruleset.js';
import { ConfigError, loadConfigFile } from './config.js';

/**
 * The alerting part of the configuration: `--webhook URL` (repeatable) sends
 * every notification as generic JSON; the YAML file's `alerts:` section does
 * the rest:
 *
 *   alerts:
 *     rules: [/etc/tidemark/rules.d]   # added to the shipped defaults
 *     defaultRules: true
 *     repeatInterval: 4h
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

  const receivers: Receiver[] = [];
  const webhooks = (flags.webhook as string[] | undefined) ?? [];
  webhooks.forEach((url, i) =>
    receivers.push({ name: `webhook-${i + 1}`, type: 'webhook', url: checkUrl(url, '--webhook') }),
  );
  const list = section.receivers ?? [];
  if (!Array.isArray(list)) throw new ConfigError(`${where('receivers')}: must be a list`);
  list.forEach((raw, i) => {
    const r = raw as Record<string, unknown>;
    const at = `${where('receivers')}[${i}]`;
    const type = r.type;
    if (type !== 'webhook' && type !== 'pagerduty' && type !== 'alertmanager' && type !== 'slack')
      throw new ConfigError(`${at}: type must be webhook, pagerduty, alertmanager or slack`);
    const url = type === 'pagerduty' && r.url === undefined ? PAGERDUTY_EVENTS_URL : checkUrl(r.url, at);
    if (type === 'pagerduty' && typeof r.routingKey !== 'string')
      throw new ConfigError(`${at}: pagerduty needs routingKey (the integration key)`);
    receivers.push({
      name: typeof r.name === 'string' ? r.name : `${type}-${i + 1}`,
      type,
      url,
      ...(type === 'pagerduty' ? { routingKey: r.routingKey as string } : {}),
    });
  });

  let repeatIntervalMs: number | undefined;
  if (section.repeatInterval !== undefined) {
    const ms = parseDuration(section.repeatInterval);
    if (ms === null || ms < 60_000)
      throw new ConfigError(`${where('repeatInterval')}: a duration of at least 1m, e.g. 4h`);
    repeatIntervalMs = ms;
  }
  return { rulePaths, receivers, stateFile: path.join(dataDir, 'alerts-state.json'), repeatIntervalMs };
}

function checkUrl(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${where}: needs a url`);
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`${where}: "${v}" is not an http(s) URL`);
  }
  return v;
}
