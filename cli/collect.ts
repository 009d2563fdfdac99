import { hostCollectors } from '../agent/collectors/host.js';
import type { Collector } from '../agent/collectors/collector.js';
import type { ArrayReport } from '../agent/raid/arrays.js';
import { Sampler } from '../agent/sampler.js';
import type { WireSample } from '../shared/protocol.js';
import { collectorChoice } from './collector-flags.js';
import type { Flags } from './commands.js';
import { resolveSettings } from './config.js';
import { HOST_SOURCES } from './setting-flags.js';
import { errorMessage } from '../shared/errors.js';

/**
 * `tidemark collect`: each enabled collector's raw state once, or with
 * `--samples` the metric samples an agent would send (two readings
 * `--interval-ms` apart, so rates have an interval).
 */
export async function collectCommand(flags: Flags): Promise<number> {
  const s = resolveSettings(['intervalMs', ...HOST_SOURCES], flags);
  const root = s.root;
  const collectors = hostCollectors(root, s, s, collectorChoice(flags));
  if (flags.samples) return collectSamples(root, collectors, s.intervalMs, flags.json === true);
  const out: Record<string, unknown> = {};
  let failed = false;
  for (const c of collectors) {
    try {
      out[c.name] = await c.snapshot();
    } catch (err) {
      failed = true;
      out[c.name] = { state: 'error', message: errorMessage(err) };
    }
    await c.close?.();
  }
  const report = { root, collectedAt: new Date().toISOString(), collectors: out };
  if (flags.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stdout.write(formatCollect(report.collectors));
  }
  return failed ? 1 : 0;
}

/** Two sampling rounds, as the agent's first batches; exit 1 when a collector reports an error. */
async function collectSamples(root: string, collectors: Collector[], intervalMs: number, json: boolean) {
  const sampler = new Sampler(collectors);
  try {
    await sampler.sample();
    await new Promise((r) => setTimeout(r, intervalMs));
    const s = await sampler.sample();
    const report = { root, collectedAt: new Date(s.ts).toISOString(), collectors: s.collectors, samples: s.samples };
    if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(formatSamples(report.collectors, s.samples));
    return s.collectors.some((c) => c.state === 'error') ? 1 : 0;
  } finally {
    await Promise.all(collectors.map(async (c) => c.close?.()));
  }
}

/** Prometheus' text exposition, near enough for reading: `name{label="value"} value`, statuses as comments. */
function formatSamples(statuses: { name: string; state: string; message?: string }[], samples: WireSample[]): string {
  const lines = statuses.map((c) => `# collector ${c.name}: ${c.state}${c.message ? ` — ${c.message}` : ''}`);
  for (const x of samples) {
    const labels = Object.entries(x.l ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    lines.push(`${x.m}${labels.length ? `{${labels.join(',')}}` : ''} ${x.v ?? 'NaN'}`);
  }
  return lines.join('\n') + '\n';
}

type Snapshot = {
  state?: string;
  message?: string;
  devices?: { name: string; inFlight: number | null; reads: number; writes: number; ioMs: number | null }[];
  arrays?: ArrayReport[];
  errors?: string[];
  some?: { avg10: number; avg60: number; avg300: number };
  full?: { avg10: number; avg60: number; avg300: number } | null;
};

function formatCollect(collectors: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(collectors)) {
    const v = value as Snapshot;
    if (v.state) {
      lines.push(`${name}: ${v.state}${v.message ? ` — ${v.message}` : ''}`);
    } else if (v.devices) {
      lines.push(`${name}:`);
      lines.push('  device            reads       writes    io_ms  in_flight');
      for (const d of v.devices) {
        lines.push(
          `  ${d.name.padEnd(12)} ${String(d.reads).padStart(10)} ${String(d.writes).padStart(12)} ${String(d.ioMs ?? '-').padStart(8)} ${String(d.inFlight ?? '-').padStart(10)}`,
        );
      }
    } else if (v.arrays) {
      lines.push(`${name}: ${v.arrays.length} array(s)`);
      for (const e of v.errors ?? []) lines.push(`  error: ${e}`);
      for (const a of v.arrays) lines.push(...describeArray(a).map((l) => '  ' + l));
    } else if (v.some) {
      const f = (p: { avg10: number; avg60: number; avg300: number }) =>
        `avg10 ${p.avg10} % avg60 ${p.avg60} % avg300 ${p.avg300} %`;
      lines.push(`${name}: some ${f(v.some)}${v.full ? `; full ${f(v.full)}` : ''}`);
    } else {
      lines.push(`${name}: ok`);
    }
  }
  return lines.join('\n') + '\n';
}

/** An array in words: "md6 raid1 rebuilding: 1 of 2 disks working, slot 1 missing, failed sdb2; recovery 8.5 % at 259783 kB/s, 17 min left". */
export function describeArray(a: ArrayReport): string[] {
  if (a.error && a.sources.length === 0) return [`${a.name}: unreadable — ${a.error}`];
  const parts: string[] = [];
  if (a.disks.expected !== null && a.disks.active !== null)
    parts.push(`${a.disks.active} of ${a.disks.expected} disks working`);
  if (a.missingSlots.length) parts.push(`slot ${a.missingSlots.join(', ')} missing`);
  const named = (state: string) => a.members.filter((m) => m.state === state).map((m) => m.name);
  if (named('faulty').length) parts.push(`failed ${named('faulty').join(', ')}`);
  if (named('rebuilding').length) parts.push(`rebuilding onto ${named('rebuilding').join(', ')}`);
  if (named('spare').length) parts.push(`${a.kind === 'container' ? 'disks' : 'spare'} ${named('spare').join(', ')}`);
  if (named('journal').length) parts.push(`journal ${named('journal').join(', ')}`);
  if (named('replacement').length) parts.push(`replacing onto ${named('replacement').join(', ')}`);
  if (a.container) parts.push(`in container ${a.container}`);
  let line = `${a.name} ${a.level ?? '?'} ${a.health}${a.readOnly ? ' (read-only)' : ''}: ${parts.join(', ')}`;
  if (a.sync) {
    const s = a.sync;
    line +=
      s.status === 'running'
        ? `; ${s.action} ${s.percent ?? '?'} %${s.speedKBps !== null ? ` at ${s.speedKBps} kB/s` : ''}${s.etaSeconds !== null ? `, ${Math.round(s.etaSeconds / 60)} min left` : ''}`
        : `; ${s.action} ${s.status}`;
  }
  const out = [line];
  if (a.mismatchCnt) out.push(`  mismatch_cnt ${a.mismatchCnt}`);
  for (const d of a.disagreements) out.push(`  disagreement: ${d}`);
  if (a.error) out.push(`  error: ${a.error}`);
  return out;
}
