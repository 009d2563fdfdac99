// The load generator of bench/ingest-peers.mjs, one process: N simulated hosts of 93 series sending one
// sample per series and second, to a Tidemark server over its agent protocol (a WebSocket per host,
// protocol-3 binary batch frames as the agent sends them, with the collector statuses and states an agent
// sends every second, or protocol-2 JSON with TIDEMARK_BENCH_PROTOCOL=2) or to VictoriaMetrics over
// Prometheus remote write (one request per send group; samples only, as remote write carries no more).
// The same fleet (ingest-frames.mjs) feeds both: same series, same values, same relative timestamps.
// Frames and requests are laid out once; each second only values and timestamps change. Protocol-3 batches
// go out as whole WebSocket frames (zero mask key, ingest-frames.mjs WireBatches) written to each host's socket.
// Started by ingest-peers.mjs with fork(); talks to it over IPC ('ready', then 'stats' on request).
// Usage (by hand): node bench/ingest-load.mjs tidemark|vm URL HOSTS [literal|snappyjs]
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { compress } from 'snappyjs';
import {
  FleetValues,
  RemoteWriteGroup,
  WireBatches,
  batchFrame,
  helloFrame,
  hostId,
  hostShape,
  sendGroups,
} from './ingest-frames.mjs';

const [target, url, hostsArg, snappy = 'literal'] = process.argv.slice(2);
const hosts = Number(hostsArg);
/** The agent protocol the hosts speak: 3 (binary batches, the agent's own) unless asked for 2. */
const protocol = Number(process.env.TIDEMARK_BENCH_PROTOCOL ?? 3);
if (![2, 3].includes(protocol)) {
  console.error('TIDEMARK_BENCH_PROTOCOL: 2 or 3');
  process.exit(2);
}
if (!['tidemark', 'vm'].includes(target) || !url || !(hosts > 0) || !['literal', 'snappyjs'].includes(snappy)) {
  console.error('usage: node bench/ingest-load.mjs tidemark|vm URL HOSTS [literal|snappyjs]');
  process.exit(2);
}

/** Ticks of a second: hosts in the same slot share a timestamp (and, for remote write, a request). */
const SLOTS = 100;
/** A host's unsent bytes past which its sample is dropped and counted, as a real sender sheds load. */
const SOCKET_HIGH_WATER = 256 * 1024;
/** Remote-write connections (vmagent's default queues on 2 cores: 4; Prometheus' shards scale up to 50). */
const MAX_IN_FLIGHT = 8;
/** Remote-write requests queued past which the oldest is dropped and counted: 10 s of the fleet's samples. */
const MAX_PENDING = 1000;

const { table, levels, extras } = hostShape();
const extrasJson = JSON.stringify(extras);
const perHost = table.length;
const fleet = new FleetValues(hosts, levels);
const groups = sendGroups(hosts, SLOTS);
/** Samples generated, handed to a socket (`sent`), acknowledged by the target (`acked`: Tidemark's acks, a 2xx answer). */
const stats = {
  generated: 0,
  sent: 0,
  acked: 0,
  dropped: 0,
  errors: 0,
  lastError: '',
  closed: 0,
  maxLagMs: 0,
  requests: 0,
};

/** Tidemark: one agent session per host, hello with the whole series table, then batches of values. */
async function connectAgents() {
  const sockets = new Array(hosts);
  /** Each host's TCP socket under its WebSocket, where its batches go as whole frames (protocol 3). */
  const wires = new Array(hosts);
  const seqs = new Uint32Array(hosts);
  const ackedSeqs = new Uint32Array(hosts);
  const wsUrl = `${url.replace(/^http/, 'ws')}/ws/agent`;
  const open = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, {
        headers: { Authorization: `Bearer ${process.env.TIDEMARK_TOKEN ?? 't'}` },
        perMessageDeflate: false,
        // The agent's zero masking key (agent/transport.ts): ws then neither masks nor unmasks, on either side.
        // Random keys charged the server an unmasking of every byte that real agents never cause.
        generateMask: (mask) => mask.fill(0),
      });
      let ready = false;
      ws.on('upgrade', (res) => (wires[i] = res.socket));
      ws.on('open', () => ws.send(helloFrame(hostId(i), randomBytes(8).toString('hex'), table, protocol)));
      ws.on('message', (data) => {
        let seq = ackSeq(/** @type {Buffer} */ (data));
        const text = seq < 0 ? data.toString() : '';
        if (seq < 0 && text.startsWith('{"type":"ack"')) seq = JSON.parse(text).seq;
        if (seq >= 0) {
          // An ack covers every batch of the session up to its seq: stored by the server.
          if (seq > ackedSeqs[i]) {
            stats.acked += (seq - ackedSeqs[i]) * perHost;
            ackedSeqs[i] = seq;
          }
        } else if (!ready && text.includes('"welcome"')) {
          ready = true;
          sockets[i] = ws;
          resolve(undefined);
        } else if (text.includes('"type":"error"')) {
          stats.errors++;
          stats.lastError = text.slice(0, 300);
        }
      });
      ws.on('error', (err) => (ready ? (stats.lastError = err.message) : reject(err)));
      ws.on('close', () => {
        stats.closed++;
        if (!ready) reject(new Error(`agent ${hostId(i)} closed before its welcome`));
      });
    });
  /** A refused or reset handshake is tried again after a pause, as an agent reconnects; the fifth failure ends the run. */
  const openWithRetries = async (i) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open(i);
      } catch (err) {
        if (attempt === 5) throw err;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  };
  // A hundred handshakes at a time: the server's accept queue, not the generator, sets the pace.
  for (let from = 0; from < hosts; from += 100)
    await Promise.all(Array.from({ length: Math.min(100, hosts - from) }, (_, k) => openWithRetries(from + k)));
  // Protocol 3: each host's frame is written to its socket whole (header, zero mask, batch), the bytes ws's
  // send would write for it, without ws's framing, a copy and a two-buffer write per batch (session 30:
  // that was most of the generator's CPU). ws still reads the server's frames and answers its pings.
  const wire = protocol === 3 ? new WireBatches(fleet, extras) : null;
  return (group, ts) => {
    for (const i of group) {
      const ws = sockets[i];
      // bufferedAmount counts what the socket holds, these frames included.
      if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > SOCKET_HIGH_WATER) {
        stats.dropped += perHost;
        continue;
      }
      if (wire) {
        const socket = wires[i];
        socket.write(wire.patch(i, ++seqs[i], ts, socket.writableLength > 0));
      } else ws.send(batchFrame(++seqs[i], ts, fleet.bytesOf(i), extrasJson));
      stats.sent += perHost;
    }
  };
}

const ACK_PREFIX = Buffer.from('{"type":"ack","seq":');
/** The seq of a server's ack as it sends it (`{"type":"ack","seq":N}`), read without a string or a parse; else -1. */
function ackSeq(data) {
  const from = ACK_PREFIX.length;
  if (data.length < from + 2 || data[data.length - 1] !== 125 || data.compare(ACK_PREFIX, 0, from, 0, from) !== 0)
    return -1;
  let seq = 0;
  for (let at = from; at < data.length - 1; at++) {
    if (data[at] < 48 || data[at] > 57) return -1;
    seq = seq * 10 + data[at] - 48;
  }
  return seq;
}

/** VictoriaMetrics: each slot's hosts in one remote-write request, laid out once and patched. */
function remoteWriter() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const requests = groups.map((g) => new RemoteWriteGroup(g, table));
  const endpoint = new URL('/api/v1/write', url);
  /** Requests waiting for a connection, oldest first, as a remote-write client's queue holds them. */
  const pending = [];
  let inFlight = 0;
  const post = () => {
    if (inFlight >= MAX_IN_FLIGHT || !pending.length) return;
    const { body, samples } = pending.shift();
    inFlight++;
    stats.requests++;
    const done = (error) => {
      inFlight--;
      if (error) {
        stats.errors++;
        stats.lastError = error;
      } else stats.acked += samples;
      post();
    };
    const req = http.request(endpoint, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
        'Content-Length': body.length,
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode >= 300 ? `HTTP ${res.statusCode}` : null));
    });
    req.on('error', (err) => done(err.message));
    req.end(body);
    stats.sent += samples;
  };
  return (group, ts, slot) => {
    const samples = group.length * perHost;
    if (pending.length >= MAX_PENDING) {
      stats.dropped += pending.shift().samples;
    }
    const rq = requests[slot];
    rq.patch(fleet, ts);
    // A copy: the layout is patched again next second, maybe before a queued request has gone out.
    // snappyjs: a real compressor in JavaScript, for checking what the literal framing saves the receiver.
    const body = snappy === 'literal' ? Buffer.from(rq.body) : Buffer.from(compress(rq.raw));
    pending.push({ body, samples });
    post();
  };
}

/** Sends every slot at its time, from the next whole second on; a late timer sends the slots it missed at once. */
function run(send) {
  const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  let second = 0;
  let slot = 0;
  const slotMs = 1000 / groups.length;
  const due = () => t0 + second * 1000 + Math.floor(slot * slotMs);
  const loop = () => {
    const now = Date.now();
    while (due() <= now) {
      const ts = due();
      stats.maxLagMs = Math.max(stats.maxLagMs, now - ts);
      const group = groups[slot];
      for (const i of group) fleet.step(i);
      stats.generated += group.length * perHost;
      send(group, ts, slot);
      if (++slot === groups.length) {
        slot = 0;
        second++;
      }
    }
    setTimeout(loop, Math.max(0, due() - Date.now()));
  };
  setTimeout(loop, t0 - Date.now());
}

const send = target === 'tidemark' ? await connectAgents() : remoteWriter();
run(send);
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ type: 'stats', stats });
});
// The fleet's levels (random per process, from the simulator) let a checker model every value it is sent.
process.send?.({ type: 'ready', perHost, levels: Array.from(levels) });
process.on('disconnect', () => process.exit(0));
