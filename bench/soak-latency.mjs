// The good agent's latency while dashboards that never read pile up on the server (bench/soak.mjs --latency).
//
// One server, one run, two phases of equal length: a good agent streams a batch every 100 ms (20 samples) and one
// dashboard that reads is subscribed to it; a simulated fleet of 10 hosts streams every 200 ms as background
// traffic. Phase "baseline" has nothing else; phase "loaded" adds N dashboards subscribed to every host that never
// read their socket. For each phase: the good agent's batch -> ack latency and its sample -> reading-dashboard
// latency (both measured in this process, one clock), p50 and p99, and the loaded/baseline ratio.
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { summary } from './lib.mjs';

const BATCH_EVERY_MS = 100;
const SAMPLES_PER_BATCH = 20;
const FLEET = 10;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The good agent (protocol 1): batch seq n carries value n for devices g0..g19; sent and acknowledged times by seq. */
async function goodAgent(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
  const sentAt = new Map();
  const ackAt = new Map();
  let closes = 0;
  ws.on('close', () => closes++);
  ws.on('error', () => {});
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    // Acks are cumulative: one ack covers every earlier batch not yet acknowledged.
    if (m.type === 'ack') for (const [seq] of sentAt) if (seq <= m.seq && !ackAt.has(seq)) ackAt.set(seq, Date.now());
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const hello = { type: 'hello', protocol: 1, agentId: 'good', session: 's', hostname: 'good', agentVersion: 'soak' };
  ws.send(JSON.stringify({ ...hello, inventory: null }));
  let seq = 0;
  return {
    sentAt,
    ackAt,
    closes: () => closes,
    /** Sends the next batch; its ts is its send time, which the dashboard push carries back. */
    send() {
      seq++;
      const ts = Date.now();
      const samples = [];
      for (let i = 0; i < SAMPLES_PER_BATCH; i++)
        samples.push({ m: 'disk_util_percent', l: { device: `g${i}` }, v: seq });
      sentAt.set(seq, ts);
      ws.send(JSON.stringify({ type: 'batch', seq, ts, samples }));
    },
    close: () => ws.terminate(),
  };
}

/** A dashboard subscribed to `hosts`; a reading one records when each of the good host's pushes arrived, by ts. */
function dashboard(port, hosts, read) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/dashboard`);
    const arrived = new Map();
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', hosts }));
      if (!read) ws.pause(); // the TCP socket stops being read: the server's sends pile up
      resolve({ ws, arrived });
    });
    if (read)
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.type === 'samples' && m.host === 'good' && m.samples.length === SAMPLES_PER_BATCH)
          arrived.set(m.ts, Date.now());
      });
  });
}

async function phase(agent, seconds) {
  const first = agent.sentAt.size + 1;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    agent.send();
    await sleep(BATCH_EVERY_MS);
  }
  return { first, last: agent.sentAt.size };
}

function latencies(agent, reader, { first, last }) {
  const ack = [];
  const push = [];
  for (let seq = first; seq <= last; seq++) {
    const sent = agent.sentAt.get(seq);
    if (agent.ackAt.has(seq)) ack.push(agent.ackAt.get(seq) - sent);
    if (reader.arrived.has(sent)) push.push(reader.arrived.get(sent) - sent);
  }
  return { batches: last - first + 1, ackMs: summary(ack), pushMs: summary(push) };
}

/**
 * Runs both phases against the server at `port`; `cli` is dist/cli/main.js for the simulated fleet.
 * Returns the figures and whether the good agent's data is complete (every batch acknowledged and pushed).
 */
export async function latencyRun({ port, cli, dashboards, seconds, metric }) {
  const fleet = spawn(
    process.execPath,
    [cli, 'simulate', '--agents', String(FLEET), '--server', `ws://127.0.0.1:${port}`, '--interval-ms', '200'],
    { stdio: 'ignore', env: { ...process.env, TIDEMARK_TOKEN: 't' } },
  );
  try {
    const hosts = ['good', ...Array.from({ length: FLEET }, (_, i) => `sim-${String(i).padStart(5, '0')}`)];
    const agent = await goodAgent(port);
    const reader = await dashboard(port, ['good'], true);
    await sleep(3000); // the fleet connects and settles before the baseline
    const baseline = await phase(agent, seconds);
    const bad = [];
    for (let i = 0; i < dashboards; i++) bad.push(await dashboard(port, hosts, false));
    const loaded = await phase(agent, seconds);
    const droppedDuringLoad = await metric('tidemark_server_dashboards_dropped_total');
    await sleep(2000); // the last batches' acks and pushes
    const all = { first: 1, last: agent.sentAt.size };
    const missingAcks = all.last - agent.ackAt.size;
    const missingPushes = [...agent.sentAt.values()].filter((ts) => !reader.arrived.has(ts)).length;
    for (const d of bad) d.ws.terminate();
    reader.ws.terminate();
    agent.close();
    const b = latencies(agent, reader, baseline);
    const l = latencies(agent, reader, loaded);
    const ratio = (x, y) => Math.round((x / y) * 100) / 100;
    return {
      dashboards,
      seconds,
      baseline: b,
      loaded: l,
      ratio: {
        ackP50: ratio(l.ackMs.median, b.ackMs.median),
        ackP99: ratio(l.ackMs.p99, b.ackMs.p99),
        pushP50: ratio(l.pushMs.median, b.pushMs.median),
        pushP99: ratio(l.pushMs.p99, b.pushMs.p99),
      },
      droppedDuringLoad,
      goodBatches: all.last,
      missingAcks,
      missingPushes,
      agentReconnects: agent.closes(),
    };
  } finally {
    fleet.kill('SIGKILL');
  }
}
