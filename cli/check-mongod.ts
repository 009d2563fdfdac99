import { readFileSync } from 'node:fs';
import type { Document } from 'bson';
import { parseRecordedReply } from '../agent/mongod/ejson.js';
import { MongodSource, redactUri } from '../agent/mongod/client.js';
import { atRisk, quorum, type Quorum } from '../agent/mongod/replset.js';
import { gauges, intervalFigures, missingFigures, type Gauges, type Interval } from '../agent/mongod/server-status.js';
import { CannotCheck, EXIT_OK, EXIT_PROBLEM } from './errors.js';
import { errorMessage } from '../shared/errors.js';
import { crossedThresholds } from './mongod-thresholds.js';

function readReply(file: string, what: string): Document {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CannotCheck(`cannot read ${what} ${file}: ${errorMessage(err)}`);
  }
  try {
    return parseRecordedReply(text);
  } catch (err) {
    throw new CannotCheck(`${file} is not JSON or Extended JSON: ${errorMessage(err)}`);
  }
}

async function withSource<T>(uri: string, fn: (s: MongodSource) => Promise<T>): Promise<T> {
  const source = new MongodSource(uri);
  try {
    return await fn(source);
  } catch (err) {
    throw new CannotCheck(`cannot query ${redactUri(uri)}: ${errorMessage(err)}`);
  } finally {
    await source.close();
  }
}

/** Whatever stops a check from running is "cannot check" (exit 2), reported by the CLI's one error path. */
function fail(err: unknown): never {
  throw err instanceof CannotCheck ? err : new CannotCheck(`cannot check: ${errorMessage(err)}`);
}

const f1 = (v: number | null | undefined, unit = '') =>
  v === null || v === undefined ? '–' : `${Number.isInteger(v) ? v : v.toFixed(2)}${unit}`;

export function formatQuorum(q: Quorum, reasons: string[]): string {
  const lines = [
    `replica set ${q.set ?? '(unnamed)'} (${q.source === 'config' ? 'votes and priorities from the config' : 'no config: counts from the status'})`,
    '',
  ];
  lines.push('  member                                   state        health votes prio  lag');
  for (const m of q.members) {
    lines.push(
      `  ${m.name.padEnd(40).slice(0, 40)} ${(m.stateStr ?? '?').padEnd(12)} ${String(m.health ?? '?').padStart(6)} ${String(m.votes).padStart(5)} ${String(m.priority).padStart(4)}${m.arbiter ? ' arb' : '    '} ${m.lagSeconds === null ? '' : `${m.lagSeconds} s`}`,
    );
  }
  lines.push('', q.summary, '');
  for (const w of q.warnings) lines.push(`warning: ${w}`);
  lines.push(
    reasons.length
      ? `AT RISK: ${reasons.join('; ')}`
      : 'ok: a primary exists and the set survives the loss of any one voting member, for elections and majority writes',
  );
  return lines.join('\n') + '\n';
}

export async function checkReplsetCommand(flags: {
  uri?: string;
  status?: string;
  config?: string;
  json?: boolean;
}): Promise<number> {
  let q: Quorum;
  try {
    if (flags.status) {
      q = quorum(readReply(flags.status, 'status'), flags.config ? readReply(flags.config, 'config') : null);
    } else if (flags.uri) {
      q = await withSource(flags.uri, async (s) => {
        const status = await s.replSetGetStatus(5000);
        if (!status) throw new Error('this mongod is not a replica-set member');
        // Without the config (no privilege, or an old server) the counts the status reports still answer.
        return quorum(status, await s.replSetGetConfig(5000).catch(() => null));
      });
    } else {
      throw new CannotCheck('give --uri URI, or --status FILE [--config FILE]');
    }
  } catch (err) {
    fail(err);
  }
  const reasons = atRisk(q);
  process.stdout.write(
    flags.json ? JSON.stringify({ ...q, atRisk: reasons }, null, 2) + '\n' : formatQuorum(q, reasons),
  );
  return reasons.length ? EXIT_PROBLEM : EXIT_OK;
}

export function formatMongodFigures(g: Gauges, iv: Interval, missing: string[]): string {
  const lines = [`mongod ${g.version ?? '(version unknown)'}, pid ${g.pid ?? '?'}`];
  if (!iv.ok) lines.push(`interval discarded: ${iv.reason}`);
  else {
    const f = iv.figures;
    const name =
      f.lockKind === 'locked'
        ? 'global lock held (≤ 2.6 globalLock.lockTime)'
        : f.lockKind === 'wait'
          ? 'lock wait % (time waiting to acquire locks)'
          : 'lock %';
    lines.push(
      `${name}: ${f1(f.lockPercent, ' %')}${f.lockPercentUncapped !== null && f.lockPercentUncapped > 100 ? ` (uncapped ${f1(f.lockPercentUncapped, ' %')})` : ''} over ${f.intervalMs} ms`,
    );
    if (f.contendedPercent !== null) lines.push(`contended acquisitions: ${f1(f.contendedPercent, ' %')}`);
    for (const [type, t] of Object.entries(f.lockTypes)) {
      if (t.contendedPercent === null && t.waitUs === 0) continue;
      lines.push(
        `  ${type.padEnd(28)} contended ${f1(t.contendedPercent, ' %').padStart(9)}  avg wait ${f1(t.avgContendedWaitUs, ' µs')}`,
      );
    }
    lines.push(
      `operations/s: ${
        Object.entries(f.opcounterRates)
          .map(([op, r]) => `${op} ${f1(r)}`)
          .join(', ') || '–'
      }`,
    );
  }
  lines.push(
    `queued: readers ${f1(g.queued.readers)}, writers ${f1(g.queued.writers)}; active: readers ${f1(g.active.readers)}, writers ${f1(g.active.writers)}`,
  );
  if (g.tickets.source) {
    const t = (x: typeof g.tickets.read) =>
      x
        ? `${x.out}/${x.total} out (${f1(x.utilPercent, ' %')})${x.queueLength !== null ? `, ${x.queueLength} waiting` : ''}`
        : '–';
    lines.push(`tickets (${g.tickets.source}): read ${t(g.tickets.read)}, write ${t(g.tickets.write)}`);
  }
  if (g.ticketQueue) lines.push(`ticket queue (mongostat qr|qw): ${g.ticketQueue.readers}|${g.ticketQueue.writers}`);
  lines.push(`connections: ${f1(g.connections.current)} current, ${f1(g.connections.available)} available`);
  for (const m of missing) lines.push(`not available from this version: ${m}`);
  return lines.join('\n') + '\n';
}

export async function checkMongodCommand(flags: {
  uri?: string;
  serverStatus?: string[];
  intervalMs?: string;
  json?: boolean;
}): Promise<number> {
  let prev: Document;
  let cur: Document;
  try {
    if (flags.serverStatus?.length) {
      if (flags.serverStatus.length !== 2)
        throw new CannotCheck('give --server-status twice: the earlier reply, then the later one');
      prev = readReply(flags.serverStatus[0]!, 'serverStatus');
      cur = readReply(flags.serverStatus[1]!, 'serverStatus');
    } else if (flags.uri) {
      const interval = Number(flags.intervalMs ?? 1000);
      if (!(interval >= 100 && interval <= 600_000)) throw new CannotCheck('--interval-ms must be from 100 to 600000');
      [prev, cur] = await withSource(flags.uri, async (s) => {
        const a = await s.serverStatus(5000);
        await new Promise((r) => setTimeout(r, interval));
        return [a, await s.serverStatus(5000)];
      });
    } else {
      throw new CannotCheck('give --uri URI, or --server-status PREV.json --server-status CUR.json');
    }
  } catch (err) {
    fail(err);
  }
  const g = gauges(cur);
  const iv = intervalFigures(prev, cur);
  const missing = missingFigures(cur);
  const crossed = crossedThresholds(g, iv);
  const over = crossed.map(
    (c) => `over the shipped threshold of ${c.rule}: ${c.figure} ${Math.round(c.value * 10) / 10} (${c.threshold})`,
  );
  process.stdout.write(
    flags.json
      ? JSON.stringify({ gauges: g, interval: iv, missing, crossed }, null, 2) + '\n'
      : formatMongodFigures(g, iv, missing) + over.map((l) => `${l}\n`).join(''),
  );
  return iv.ok && crossed.length === 0 ? EXIT_OK : EXIT_PROBLEM;
}
