import type { RemoteWriteStats } from './index.js';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

const PER_TARGET: [
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  key: 'pending' | 'sent' | 'failed' | 'dropped' | 'retries' | 'lagSeconds',
][] = [
  ['remote_write_pending_samples', 'gauge', 'Samples queued for the target and not yet sent.', 'pending'],
  ['remote_write_sent_samples_total', 'counter', 'Samples the target accepted.', 'sent'],
  [
    'remote_write_failed_samples_total',
    'counter',
    'Samples the target refused for good (HTTP 4xx other than 429); not retried.',
    'failed',
  ],
  [
    'remote_write_dropped_samples_total',
    'counter',
    'Samples deleted from the disk queue past its bound before they were sent.',
    'dropped',
  ],
  [
    'remote_write_retries_total',
    'counter',
    'Requests that failed and were retried (network errors, 5xx, 429).',
    'retries',
  ],
  ['remote_write_lag_seconds', 'gauge', 'Age of the oldest sample not yet sent (0 when none waits).', 'lagSeconds'],
];

/** The remote-write queue in the Prometheus text format, for /metrics. */
export function remoteWriteMetricsText(stats: RemoteWriteStats): string {
  const lines: string[] = [];
  for (const [name, type, help, key] of PER_TARGET) {
    lines.push(`# HELP tidemark_${name} ${help}`, `# TYPE tidemark_${name} ${type}`);
    for (const t of stats.targets) lines.push(`tidemark_${name}{target="${escapeLabel(t.name)}"} ${t[key]}`);
  }
  lines.push(
    '# HELP tidemark_remote_write_queue_bytes Bytes of the remote-write queue on disk.',
    '# TYPE tidemark_remote_write_queue_bytes gauge',
    `tidemark_remote_write_queue_bytes ${stats.queueBytes}`,
  );
  return lines.join('\n') + '\n';
}
