import type { AgentEndpoint } from './agent-endpoint.js';
import type { ConnectionGuard } from './connection-limits.js';
import type { DashboardEndpoint } from './dashboard-endpoint.js';

type Sample = [labels: Record<string, string>, value: number];

function family(name: string, kind: 'gauge' | 'counter', help: string, samples: Sample[]): string {
  const full = `tidemark_server_${name}`;
  const lines = [`# HELP ${full} ${help}`, `# TYPE ${full} ${kind}`];
  for (const [labels, value] of samples) {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    lines.push(`${full}${l ? `{${l}}` : ''} ${value}`);
  }
  return lines.join('\n') + '\n';
}

/** The server's own bounds and what they turned away, in the Prometheus text format (appended to /metrics). */
export function resourceMetricsText(
  connections: ConnectionGuard,
  agents: AgentEndpoint,
  dashboards: DashboardEndpoint,
): string {
  const c = connections.counters;
  const series = agents.seriesLimits;
  return [
    family('limit', 'gauge', 'Each configured resource limit (see the README, Durability and limits).', [
      [{ limit: 'max_connections' }, connections.limits.maxConnections],
      [{ limit: 'max_connections_per_address' }, connections.limits.maxPerAddress],
      [{ limit: 'handshake_timeout_ms' }, connections.limits.handshakeTimeoutMs],
      [{ limit: 'max_series_per_agent' }, series.limits.perAgent],
      [{ limit: 'max_series' }, series.limits.total],
    ]),
    family('connections_open', 'gauge', 'Open TCP connections.', [[{}, connections.open]]),
    family('connections_refused_total', 'counter', 'Connections closed at once because a cap was reached.', [
      [{ limit: 'max_connections' }, c.refusedTotal],
      [{ limit: 'max_connections_per_address' }, c.refusedPerAddress],
    ]),
    family('handshake_timeouts_total', 'counter', 'Connections closed for not completing their handshake in time.', [
      [{ stage: 'http' }, c.handshakeTimeouts],
      [{ stage: 'agent_hello' }, agents.helloTimeouts],
    ]),
    family('series', 'gauge', 'Series in the store.', [[{}, series.count()]]),
    family('series_refused_total', 'counter', 'New series refused by a series limit.', [
      [{ limit: 'max_series_per_agent' }, series.refused.perAgent],
      [{ limit: 'max_series' }, series.refused.total],
    ]),
    family('states_set_aside_total', 'counter', "Agents' states set aside for not having their kind's shape.", [
      [{}, agents.badStates],
    ]),
    family('dashboards_connected', 'gauge', 'Dashboard WebSocket clients.', [[{}, dashboards.clientCount]]),
    family('dashboards_dropped_total', 'counter', 'Dashboard clients dropped for not reading.', [
      [{}, dashboards.dropped],
    ]),
    family('log_lines_held_back_total', 'counter', 'Rate-limited log lines not written (bad frames, slow clients).', [
      [{}, agents.limitedLog.suppressed + dashboards.limitedLog.suppressed],
    ]),
  ].join('');
}
