import type { MetricDef } from './types.js';

/** The agent's own health: buffer, drops, collection time. */
export const AGENT_METRICS = [
  {
    name: 'agent_buffer_batches',
    unit: 'batches',
    kind: 'gauge',
    labels: [],
    domain: 'agent',
    title: 'Unacknowledged batches',
    help: 'Batches the agent holds that the server has not acknowledged yet; grows while the server is unreachable.',
  },
  {
    name: 'agent_buffer_dropped_total',
    unit: 'batches',
    kind: 'counter',
    labels: [],
    domain: 'agent',
    title: 'Batches dropped',
    help: 'Batches the agent dropped, oldest first, because its buffer was full during an outage longer than it covers.',
  },
  {
    name: 'agent_collect_ms',
    unit: 'ms',
    kind: 'gauge',
    labels: [],
    domain: 'agent',
    title: 'Collection time',
    help: 'Wall time the agent spent reading and computing one sample.',
  },
] as const satisfies readonly MetricDef[];
