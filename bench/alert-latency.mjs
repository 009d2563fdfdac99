// Alert latency: time from a sample crossing a threshold (its timestamp, taken when the
// agent side sends it) to the webhook notification arriving at a receiver, through the
// real server: WebSocket ingest, rule evaluation, notifier, HTTP.
// Usage: node bench/alert-latency.mjs [episodes]   (run `npm run build` first)
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { TidemarkServer } from '../dist/server/server.js';
import { silentLogger } from '../dist/shared/log.js';
import { machine, summary, fmt } from './lib.mjs';

const episodes = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-bench-'));
writeFileSync(
  path.join(dir, 'rule.yaml'),
  'rules:\n  - name: Bench\n    when: { metric: disk_util_percent, op: ">", value: 90 }\n    summary: "{{device}} busy"\n',
);

let waiting = null;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    res.writeHead(200).end();
    const msg = JSON.parse(body); // webhook version 2: a group and its alerts (ungrouped here: one alert)
    if (waiting && waiting.kind === msg.alerts[0].kind) {
      const w = waiting;
      waiting = null;
      w.resolve(at);
    }
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', () => r(undefined)));
const hook = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (receiver.address()).port}`;

const server = new TidemarkServer({
  host: '127.0.0.1',
  port: 0,
  agentToken: 't',
  apiToken: null,
  log: silentLogger,
  alerts: {
    rulePaths: [path.join(dir, 'rule.yaml')],
    receivers: [{ name: 'hook', type: 'webhook', url: hook }],
    stateFile: null,
  },
});
const port = await server.listen();
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/agent`, { headers: { Authorization: 'Bearer t' } });
await new Promise((r) => ws.once('open', r));
// Protocol 2, as agents speak it: the series is named in the hello, batches carry its packed value.
ws.send(
  JSON.stringify({
    type: 'hello',
    protocol: 2,
    agentId: 'bench',
    session: 's',
    hostname: 'bench',
    agentVersion: 'bench',
    inventory: null,
    series: [['disk_util_percent', { device: 'sda' }]],
  }),
);
await new Promise((r) => ws.once('message', r));

let seq = 0;
let lastTs = 0;
const send = (v) => {
  // Samples of one series need rising timestamps (a real agent sends one a second).
  const ts = (lastTs = Math.max(Date.now(), lastTs + 1));
  ws.send(
    JSON.stringify({ type: 'batch', seq: ++seq, ts, v: Buffer.from(new Float64Array([v]).buffer).toString('base64') }),
  );
  return performance.timeOrigin + performance.now();
};
const expect = (kind) => new Promise((resolve) => (waiting = { kind, resolve }));

const latencies = [];
for (let i = 0; i < episodes; i++) {
  const triggered = expect('trigger');
  const sentAt = send(99);
  latencies.push((await triggered) - sentAt);
  const resolved = expect('resolve');
  send(10);
  await resolved;
}
const s = summary(latencies);
const result = {
  figure: 'alert latency (sample over threshold → webhook received)',
  episodes,
  unit: 'ms',
  ...s,
  machine: machine(),
};
console.log(JSON.stringify(result));
console.log(
  `alert latency over ${episodes} episodes: median ${fmt(s.median, 2)} ms, p99 ${fmt(s.p99, 2)} ms, range ${fmt(s.min, 2)}–${fmt(s.max, 2)} ms`,
);
ws.close();
await server.close();
receiver.close();
