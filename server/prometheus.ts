import { METRICS, type MetricDef } from '../shared/catalogue.js';
import type { Store } from './store/store.js';
import type { HostRegistry } from './hosts.js';

/** Series not updated for this long are left out, so a vanished disk does not linger in Prometheus. */
export const STALE_AFTER_MS = 5 * 60_000;
export const PREFIX = 'tidemark_';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * The latest value of every series in the Prometheus text exposition format
 * (version 0.0.4), with the catalogue's help and unit, so Prometheus or
 * Grafana can scrape the server: `tidemark_disk_util_percent{host="db1",device="sda"} 12.5`.
 */
export function prometheusText(store: Store, hosts: HostRegistry, now = Date.now()): string {
  const byMetric = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const s of store.latest()) {
    if (s.value === null || now - s.ts > STALE_AFTER_MS) continue;
    let list = byMetric.get(s.metric);
    if (!list) byMetric.set(s.metric, (list = []));
    list.push({ labels: { host: s.host, ...s.labels }, value: s.value });
  }
  const lines: string[] = [];
  const emit = (
    def: Pick<MetricDef, 'name' | 'help' | 'unit' | 'kind'>,
    series: { labels: Record<string, string>; value: number }[],
  ) => {
    const name = PREFIX + def.name;
    lines.push(`# HELP ${name} ${escapeHelp(`${def.help} Unit: ${def.unit}.`)}`);
    lines.push(`# TYPE ${name} ${def.kind}`);
    for (const s of series) {
      const labels = Object.entries(s.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      lines.push(`${name}{${labels}} ${formatValue(s.value)}`);
    }
  };
  for (const def of METRICS) {
    const series = byMetric.get(def.name);
    if (series?.length) emit(def, series);
  }
  emit(
    {
      name: 'agent_connected',
      help: '1 while the host’s agent is connected to this server.',
      unit: 'boolean',
      kind: 'gauge',
    },
    hosts.list().map((h) => ({ labels: { host: h.id }, value: h.connected ? 1 : 0 })),
  );
  return lines.join('\n') + '\n';
}
