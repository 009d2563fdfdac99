import type { ServerOptions } from '../server/server.js';
import type { Setting } from './config.js';

/**
 * The server's resource limits as settings (flag, TIDEMARK_* variable, or
 * `server.limits.*` in the config file). The defaults repeat the server's own
 * (connection-limits.ts, series-limits.ts, dashboard-endpoint.ts,
 * agent-endpoint.ts) so `--help` can show them; README "Limit flags" explains
 * what happens at each bound.
 */

const MIB = 1024 * 1024;

/** A whole number within bounds; "1e3", "10s", "-1" and "" are refused, so a typo never becomes 0 or NaN. */
function whole(min: number, max: number, unit: string): (raw: unknown) => number {
  return (raw) => {
    const text = String(raw).trim();
    const n = typeof raw === 'number' ? raw : /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new Error(`must be a whole number of ${unit} from ${min} to ${max}`);
    return n;
  };
}

function limit(
  key: string,
  env: string,
  parse: (raw: unknown) => number,
  byDefault: number,
  describe: string,
): Setting<number> {
  return { yaml: `server.limits.${key}`, env, flag: key, parse, default: () => byDefault, describe };
}

const HOUR = 3_600_000;

export const LIMIT_SETTINGS = {
  maxConnections: limit(
    'maxConnections',
    'TIDEMARK_MAX_CONNECTIONS',
    whole(1, 1_000_000, 'connections'),
    20_000,
    'open TCP connections in total; further ones are closed at once',
  ),
  maxConnectionsPerAddress: limit(
    'maxConnectionsPerAddress',
    'TIDEMARK_MAX_CONNECTIONS_PER_ADDRESS',
    whole(1, 1_000_000, 'connections'),
    10_000,
    'open TCP connections from one remote address; further ones are closed at once',
  ),
  handshakeTimeoutMs: limit(
    'handshakeTimeoutMs',
    'TIDEMARK_HANDSHAKE_TIMEOUT_MS',
    whole(100, HOUR, 'ms'),
    10_000,
    'a connection must complete its request headers or upgrade, and an agent send its hello, within this',
  ),
  headersTimeoutMs: limit(
    'headersTimeoutMs',
    'TIDEMARK_HEADERS_TIMEOUT_MS',
    whole(100, HOUR, 'ms'),
    10_000,
    "an HTTP request's headers must arrive within this (408 and closed)",
  ),
  requestTimeoutMs: limit(
    'requestTimeoutMs',
    'TIDEMARK_REQUEST_TIMEOUT_MS',
    whole(100, HOUR, 'ms'),
    30_000,
    'a whole HTTP request must arrive within this (408 and closed); at least --headers-timeout-ms',
  ),
  maxSeriesPerAgent: limit(
    'maxSeriesPerAgent',
    'TIDEMARK_MAX_SERIES_PER_AGENT',
    whole(1, 100_000_000, 'series'),
    20_000,
    'series one agent may have; new ones past it are refused with an error naming the limit',
  ),
  maxSeries: limit(
    'maxSeries',
    'TIDEMARK_MAX_SERIES',
    whole(1, 100_000_000, 'series'),
    1_000_000,
    'series in the whole server; new ones past it are refused with an error naming the limit',
  ),
  dashboardMaxQueuedBytes: limit(
    'dashboardMaxQueuedBytes',
    'TIDEMARK_DASHBOARD_MAX_QUEUED_BYTES',
    whole(64 * 1024, 4096 * MIB, 'bytes'),
    4 * MIB,
    'unread bytes one dashboard may hold for --dashboard-slow-grace-ms (or 16 times as much at all) before it is dropped',
  ),
  dashboardSlowGraceMs: limit(
    'dashboardSlowGraceMs',
    'TIDEMARK_DASHBOARD_SLOW_GRACE_MS',
    whole(0, HOUR, 'ms'),
    10_000,
    'how long a dashboard may stay over --dashboard-max-queued-bytes before it is dropped',
  ),
  dashboardMaxTotalQueuedBytes: limit(
    'dashboardMaxTotalQueuedBytes',
    'TIDEMARK_DASHBOARD_MAX_TOTAL_QUEUED_BYTES',
    whole(64 * 1024, 64 * 1024 * MIB, 'bytes'),
    64 * MIB,
    'unread bytes all dashboards together may hold; past it the furthest behind are dropped',
  ),
  agentRate: limit(
    'agentRate',
    'TIDEMARK_AGENT_RATE',
    whole(1, 1_000_000, 'frames a second'),
    50,
    'frames a second one agent may send, sustained; past it and its burst it is told so and disconnected',
  ),
  agentBurst: limit(
    'agentBurst',
    'TIDEMARK_AGENT_BURST',
    whole(1, 10_000_000, 'frames'),
    5000,
    'frames one agent may send above --agent-rate at once (a replay after an outage)',
  ),
  maxBadFrames: limit(
    'maxBadFrames',
    'TIDEMARK_MAX_BAD_FRAMES',
    whole(1, 1_000_000, 'frames'),
    20,
    'bad frames in a row after which an agent connection is closed',
  ),
  maxFutureMs: limit(
    'maxFutureMs',
    'TIDEMARK_MAX_FUTURE_MS',
    whole(1000, 365 * 24 * HOUR, 'ms'),
    5 * 60_000,
    "batches stamped further ahead of the server's clock are refused",
  ),
  maxPastMs: limit(
    'maxPastMs',
    'TIDEMARK_MAX_PAST_MS',
    whole(1000, 10 * 365 * 24 * HOUR, 'ms'),
    48 * HOUR,
    "batches stamped further behind the server's clock are refused",
  ),
  logLinesPerMinute: limit(
    'logLinesPerMinute',
    'TIDEMARK_LOG_LINES_PER_MINUTE',
    whole(1, 1_000_000, 'lines'),
    10,
    'log lines of one kind a peer can cause (bad frames, slow dashboards) a minute; the rest are counted',
  ),
} satisfies Record<string, Setting<number>>;

export type LimitName = keyof typeof LIMIT_SETTINGS;
export const LIMIT_NAMES = Object.keys(LIMIT_SETTINGS) as LimitName[];

/** The flag of a setting, as commander spells it: maxSeriesPerAgent -> --max-series-per-agent. */
export function flagOf(name: LimitName): string {
  return `--${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}

/** TidemarkServer's options from the resolved limits; settings that only make sense together are checked here. */
export function serverLimitOptions(
  l: Record<LimitName, number>,
): Pick<
  ServerOptions,
  | 'connectionLimits'
  | 'seriesLimits'
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'dashboardMaxQueuedBytes'
  | 'dashboardSlowGraceMs'
  | 'dashboardMaxTotalQueuedBytes'
  | 'agentRate'
  | 'maxBadFrames'
  | 'maxFutureMs'
  | 'maxPastMs'
  | 'logLinesPerMinute'
> {
  return {
    connectionLimits: {
      maxConnections: l.maxConnections,
      maxPerAddress: l.maxConnectionsPerAddress,
      handshakeTimeoutMs: l.handshakeTimeoutMs,
    },
    seriesLimits: { perAgent: l.maxSeriesPerAgent, total: l.maxSeries },
    headersTimeoutMs: l.headersTimeoutMs,
    requestTimeoutMs: l.requestTimeoutMs,
    dashboardMaxQueuedBytes: l.dashboardMaxQueuedBytes,
    dashboardSlowGraceMs: l.dashboardSlowGraceMs,
    dashboardMaxTotalQueuedBytes: l.dashboardMaxTotalQueuedBytes,
    agentRate: { perSecond: l.agentRate, burst: l.agentBurst },
    maxBadFrames: l.maxBadFrames,
    maxFutureMs: l.maxFutureMs,
    maxPastMs: l.maxPastMs,
    logLinesPerMinute: l.logLinesPerMinute,
  };
}
