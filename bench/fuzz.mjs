// Fuzzes the agent endpoint of a real server process with mutated hellos and batches (protocol 1 and 2),
// random bytes, prototype keys, huge and negative numbers and every text encoding, while one good agent
// streams beside them. Reports whether the server stayed up, its peak RSS, whether every batch the good
// agent sent is stored, and any stored metric name outside the catalogue.
//
//   node bench/fuzz.mjs [--frames 1000000] [--connections 20] [--seed 1] [--json]
//
// Exit 0 when the server stayed up and the good agent's data is complete; 1 otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { machine, numberArg, procStats, spawnServer } from './lib.mjs';

const FRAMES = numberArg('frames', 1_000_000);
const CONNECTIONS = numberArg('connections', 20);
const SEED = numberArg('seed', 1);
const JSON_OUT = process.argv.includes('--json');

/** A small deterministic PRNG (mulberry32), so a failing run can be repeated with its seed. */
let state = SEED >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];
const int = (n) => Math.floor(rand() * n);

const NAMES = [
  'disk_util_percent',
  'cpu_iowait_percent',
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'x'.repeat(300),
  '',
  'a b',
  'ünï',
  '\u0000',
  'zz_not_in_catalogue',
];
const NUMBERS = [0, -1, 1, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 53), 0.5, 1e20, -1e20, 4294967296];
const ODD = [null, true, 'x', 'x'.repeat(100_000), [], {}, { __proto__: null }, [[[[[]]]]], -0];
const value = () => (rand() < 0.6 ? pick(NUMBERS) : pick(ODD));
const key = () => pick(['__proto__', 'constructor', 'prototype', 'device', 'cpu', '', 'k'.repeat(200), 'ä']);

function labels() {
  if (rand() < 0.3) return pick(ODD);
  const l = {};
  for (let i = int(4); i > 0; i--) l[key()] = rand() < 0.7 ? `v${int(1000)}` : value();
  return l;
}

function hello(session) {
  return {
    type: 'hello',
    protocol: pick([1, 2, 2, 2]),
    agentId: `fuzz-${int(50)}`,
    session,
    hostname: 'fuzz',
    agentVersion: 'fuzz',
    inventory: null,
  };
}

/**
 * JSON text of a value nested `depth` deep (the server bounds depth; JSON.stringify of 5 000 levels once killed it).
 * Written as text: stringifying such a value overflows this process's stack too.
 */
function nestedText(depth) {
  const open = Array.from({ length: depth }, () => (rand() < 0.5 ? '{"a":' : '['));
  return (
    open.join('') +
    '{}' +
    open
      .reverse()
      .map((o) => (o === '[' ? ']' : '}'))
      .join('')
  );
}
const NESTED = '\u0000nested';

/** A timestamp the server must refuse: far in the future (2100) or before its retention. */
const outOfRange = () => pick([Date.UTC(2100, 0, 1), Date.now() + 3_600_000, 1, Date.now() - 400 * 86_400_000]);

/** A frame that is a valid hello or batch with one thing wrong, or not JSON at all. */
function mutated(session, seq) {
  const r = rand();
  if (r < 0.08) return Buffer.from(Array.from({ length: int(2000) }, () => int(256))); // random bytes
  /** @type {Record<string, any>} */
  let msg;
  if (r < 0.2) {
    msg = hello(session);
    if (rand() < 0.5) delete msg[pick(Object.keys(msg))];
    else msg[pick(Object.keys(msg))] = value();
    if (rand() < 0.3) msg.series = Array.from({ length: int(20) }, () => [pick(NAMES), labels()]);
  } else if (r < 0.6) {
    const samples = Array.from({ length: int(30) }, () => ({ m: pick(NAMES), l: labels(), v: value() }));
    const ts = rand() < 0.7 ? Date.now() : rand() < 0.5 ? outOfRange() : value();
    msg = { type: 'batch', seq: rand() < 0.7 ? seq : value(), ts, samples };
  } else {
    const n = int(20);
    const defs = Array.from({ length: int(5) }, () => [rand() < 0.8 ? int(10) : value(), pick(NAMES), labels()]);
    const bytes = Buffer.alloc(n * 8 + (rand() < 0.2 ? int(7) : 0));
    for (let i = 0; i < n; i++) bytes.writeDoubleLE(pick(NUMBERS), i * 8);
    msg = {
      type: 'batch',
      seq,
      ts: Date.now(),
      defs,
      v: rand() < 0.9 ? bytes.toString('base64') : pick(['%%%', value()]),
    };
    if (rand() < 0.4) msg.i = Array.from({ length: n }, () => (rand() < 0.9 ? int(12) : value()));
  }
  if (rand() < 0.1)
    msg.states = [
      { kind: pick(['logpaths', '__proto__', 'raid_array']), key: key(), value: rand() < 0.5 ? {} : value() },
    ];
  if (rand() < 0.03) msg.states = [{ kind: 'raid_array', key: 'md0', value: NESTED }];
  if (msg.type === 'hello' && rand() < 0.05) msg.inventory = NESTED;
  if (rand() < 0.1) msg.stateKinds = [pick(['logpaths', '__proto__', 'constructor'])];
  let text = JSON.stringify(msg).replace(JSON.stringify(NESTED), () => nestedText(pick([20, 500, 5000])));
  if (rand() < 0.05) text = text.replace('{', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},');
  if (rand() < 0.05) text = text.slice(0, int(text.length)); // truncated
  const enc = rand();
  if (enc < 0.04) return { text: Buffer.from('\ufeff' + text, 'utf16le'), binary: false }; // UTF-16 with BOM
  if (enc < 0.08) return { text: Buffer.from(text, 'latin1'), binary: false };
  if (enc < 0.1) return { text: Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0xfe, 0xc0])]), binary: false }; // invalid UTF-8
  if (enc < 0.12) return { text: Buffer.from(text), binary: true };
  return text;
}

/** The good agent: a batch every 100 ms, kept until acknowledged, replayed after any reconnect. */
function startGoodAgent(url, headers) {
  const good = {
    sent: new Map(),
    acked: 0,
    seq: 0,
    ws: /** @type {WebSocket | null} */ (null),
    timer: /** @type {NodeJS.Timeout | null} */ (null),
  };
  const goodConnect = () => {
    const ws = new WebSocket(url, { headers });
    good.ws = ws;
    ws.on('open', () => ws.send(JSON.stringify({ ...hello('good'), agentId: 'good-agent', protocol: 1 })));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'ack') good.acked = Math.max(good.acked, m.seq);
      if (process.env.FUZZ_DEBUG && m.type !== 'ack') console.error('good agent got', d.toString().slice(0, 300));
      if (m.type === 'welcome') for (const [seq, f] of good.sent) if (seq > m.lastSeq) ws.send(f);
    });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      if (process.env.FUZZ_DEBUG) console.error('good agent closed', code, reason.toString(), good.acked, good.seq);
      setTimeout(goodConnect, 200);
    });
  };
  goodConnect();
  good.timer = setInterval(() => {
    const seq = ++good.seq;
    const frame = JSON.stringify({
      type: 'batch',
      seq,
      ts: Date.now(),
      samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v: seq }],
    });
    good.sent.set(seq, frame);
    if (good.ws?.readyState === WebSocket.OPEN) good.ws.send(frame);
  }, 100);
  return good;
}

/** One fuzzing connection after another, until `progress.sent` reaches FRAMES or the server is gone. */
async function fuzzConnections(w, url, headers, server, progress) {
  while (progress.sent < FRAMES && server.exitCode === null) {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => {});
    const open = await new Promise((r) => (ws.once('open', () => r(true)), ws.once('close', () => r(false))));
    if (!open) continue;
    const session = `s${w}-${int(1e9)}`;
    if (rand() < 0.8) ws.send(JSON.stringify(hello(session)));
    for (let seq = 1; seq < 2000 && ws.readyState === WebSocket.OPEN && progress.sent < FRAMES; seq++) {
      const f = mutated(session, seq);
      if (typeof f === 'string' || Buffer.isBuffer(f)) ws.send(f);
      else ws.send(f.text, { binary: f.binary });
      progress.sent++;
      // Let the socket drain now and then, so the fuzzer measures the server rather than its own buffers.
      if (ws.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 5));
      if (seq % 50 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    ws.terminate();
  }
}

/** Every metric name the store holds, straight from its series table, that the catalogue does not know. */
async function foreignNames(dataDir) {
  /** @type {Set<string>} names read back from the store are any string */
  const catalogue = new Set((await import('../dist/shared/catalogue.js')).METRICS.map((m) => m.name));
  const db = new Database(path.join(dataDir, 'tidemark.db'), { readonly: true });
  const names = db
    .prepare('SELECT DISTINCT metric FROM series')
    .all()
    .map((r) => /** @type {{ metric: string }} */ (r).metric);
  db.close();
  return names.filter((n) => !catalogue.has(n));
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-fuzz-'));
  const { server, port, base } = await spawnServer({ dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
  // Stopped early (Ctrl-C, timeout): the server goes too.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (server.kill('SIGKILL'), process.exit(1)));
  let serverLog = '';
  server.stderr.on('data', (d) => (serverLog = (serverLog + d.toString()).slice(-20_000)));
  const url = `ws://127.0.0.1:${port}/ws/agent`;
  const headers = { Authorization: 'Bearer t' };

  const good = startGoodAgent(url, headers);

  const progress = { sent: 0 };
  let maxRss = 0;
  const started = Date.now();
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, procStats(server.pid)?.rssMB ?? 0)), 500);
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => fuzzConnections(w, url, headers, server, progress)));
  clearInterval(good.timer);
  const alive = server.exitCode === null;

  // The good agent's every batch must be acknowledged and stored.
  const deadline = Date.now() + 30_000;
  while (alive && good.acked < good.seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const health = /** @type {{ status: string; storeFailure: string | null } | null} */ (
    alive ? await (await fetch(`${base}/healthz`)).json() : null
  );
  let missing = good.seq;
  let foreign = [];
  if (alive) {
    const res = /** @type {{ series: { points: [number, number][] }[] }} */ (
      await (
        await fetch(`${base}/api/series?host=good-agent&metric=disk_util_percent&from=${started - 1000}&to=now`)
      ).json()
    );
    const stored = new Set((res.series[0]?.points ?? []).map(([, v]) => v));
    missing = 0;
    for (let s = 1; s <= good.seq; s++) if (!stored.has(s)) missing++;
  }
  clearInterval(rssTimer);
  good.ws?.removeAllListeners('close');
  good.ws?.terminate();
  server.kill('SIGKILL');
  await new Promise((r) => server.once('exit', r));
  if (alive) foreign = await foreignNames(dataDir);
  rmSync(dataDir, { recursive: true, force: true });

  const result = {
    machine: machine(),
    seed: SEED,
    frames: progress.sent,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    serverAlive: alive,
    serverMaxRssMB: Math.round(maxRss),
    goodBatches: good.seq,
    goodAcked: good.acked,
    goodMissing: missing,
    foreignNamesStored: foreign.length,
    foreignNamesSample: foreign.slice(0, 10),
    health: health && { status: health.status, storeFailure: health.storeFailure },
    serverLogTail: alive ? undefined : serverLog.slice(-2000),
  };
  if (JSON_OUT) console.log(JSON.stringify(result));
  else console.log(result);
  process.exit(alive && missing === 0 ? 0 : 1);
}

await main();
