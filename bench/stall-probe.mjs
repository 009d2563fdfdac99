// Preloaded into a server by bench/stall-trace.mjs (`--import bench/stall-probe.mjs` in the launcher's flags): logs
// every stretch in which the main thread's event loop did not get to its timers for $STALL_PROBE_MIN_MS or more
// (default 40): a 5 ms interval timer that fires late by that much measures one long turn of the loop. One JSON
// line a second to $STALL_PROBE_LOG: [[end ms since the epoch, end µs on the monotonic clock, length ms], …] —
// the monotonic clock is the one a --cpu-prof profile's timestamps use, so a stall can be looked up in it.
// With $STALL_PROBE_ACK_LOG (and $STALL_PROBE_TREE, the checkout whose `ws` the server loads) it also logs when
// each ack to an agent goes out (ws's send wrapped), one JSON line a second of ms since the epoch: whether a
// fleet's acks go out spread or in bursts. Nothing in the server knows of it. In worker threads (which --import
// preloads too) it does nothing.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const file = process.env.STALL_PROBE_LOG;
const minMs = Number(process.env.STALL_PROBE_MIN_MS ?? 40);
const EVERY_MS = 5;

if (isMainThread && file) {
  /** @type {[number, number, number][]} */
  let stalls = [];
  let last = process.hrtime.bigint();
  setInterval(() => {
    const now = process.hrtime.bigint();
    const ms = Number(now - last) / 1e6 - EVERY_MS;
    last = now;
    if (ms >= minMs) stalls.push([Date.now(), Number(now / 1000n), Math.round(ms * 10) / 10]);
  }, EVERY_MS).unref();
  setInterval(() => {
    if (!stalls.length) return;
    appendFileSync(file, JSON.stringify(stalls) + '\n');
    stalls = [];
  }, 1000).unref();
}

const ackLog = process.env.STALL_PROBE_ACK_LOG;
if (isMainThread && ackLog) {
  const ws = createRequire(path.join(process.env.STALL_PROBE_TREE ?? process.cwd(), 'package.json'))('ws');
  const send = ws.prototype.send;
  /** @type {number[]} */
  let acks = [];
  ws.prototype.send = function (data, ...rest) {
    if (typeof data === 'string' && data.startsWith('{"type":"ack"'))
      acks.push(performance.timeOrigin + performance.now());
    return send.call(this, data, ...rest);
  };
  setInterval(() => {
    if (!acks.length) return;
    appendFileSync(ackLog, JSON.stringify(acks) + '\n');
    acks = [];
  }, 1000).unref();
}
