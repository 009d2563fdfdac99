// The WebSocket layer's CPU per agent frame on the server (issue 20): ws's Receiver, the parser of every
// agent connection, with the agent endpoint's options, fed the ladder's frames (bench/ingest-frames.mjs: a
// protocol-3 batch of 93 series with the statuses, states and a live mongod's gauges an agent sends every
// second) in 64 KiB reads as a server's socket hands them over. `random`: each frame masked with a random
// key (ws's default: older agents, other clients; the ladder's generator until 76d53b4); `zero`: the agent's zero key (agent/transport.ts),
// which ws does not unmask. ws uses bufferutil's native unmask when the package is installed;
// WS_NO_BUFFER_UTIL=1 gives ws's JavaScript loop for the same frames. Prints CPU ns per frame (user+system
// of this process, one thread) and per byte. Unmasking works in place and XOR-ing twice gives the bytes
// back, so the same reads are handed over again and again without a copy.
// Usage: node bench/ws-receive.mjs [FRAMES=400000] [random|zero]   (after `npm run build`)
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { BinaryBatch, FleetValues, hostShape } from './ingest-frames.mjs';
import { MAX_AGENT_FRAME_BYTES } from '../dist/shared/protocol.js';

const frames = Number(process.argv[2] ?? 400_000);
const keys = process.argv[3] ?? 'random';
if (!(frames > 0) || !['random', 'zero'].includes(keys)) {
  console.error('usage: node bench/ws-receive.mjs [FRAMES] [random|zero]');
  process.exit(2);
}

const require = createRequire(import.meta.url);
/** ws's frame parser (exported by ws, not named by its types). */
const { Receiver } = /** @type {{ Receiver: new (options: object) => import('node:stream').Writable }} */ (
  require('ws')
);
/** Whether ws took bufferutil: it requires it from its own directory unless WS_NO_BUFFER_UTIL is set. */
const wsRequire = createRequire(require.resolve('ws'));
let unmask = 'JavaScript';
try {
  wsRequire('bufferutil');
  if (!process.env.WS_NO_BUFFER_UTIL) unmask = 'bufferutil';
} catch {
  // not installed: ws's JavaScript loop
}

const { table, levels, extras } = hostShape();
const fleet = new FleetValues(1, levels);
const payload = Buffer.from(new BinaryBatch(table.length, extras).patch(1, Date.now(), fleet.bytesOf(0)));

/** One client frame (RFC 6455 §5.2): FIN + binary opcode, the mask bit and the length, the key, the masked bytes. */
function maskedFrame(data, key) {
  const long = data.length > 125;
  const header = Buffer.alloc(long ? 4 : 2);
  header[0] = 0x82;
  header[1] = 0x80 | (long ? 126 : data.length);
  if (long) header.writeUInt16BE(data.length, 2);
  const body = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) body[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, key, body]);
}

const one = maskedFrame(payload, Buffer.alloc(4));
const perRead = Math.max(1, Math.floor(65_536 / one.length));
const read = Buffer.concat(
  Array.from({ length: perRead }, () => maskedFrame(payload, keys === 'zero' ? Buffer.alloc(4) : randomBytes(4))),
);

// As ws's server makes a connection's Receiver (websocket.js setSocket) with the endpoint's options.
const receiver = new Receiver({
  allowSynchronousEvents: true,
  binaryType: 'nodebuffer',
  extensions: {},
  isServer: true,
  maxPayload: MAX_AGENT_FRAME_BYTES,
  skipUTF8Validation: false,
});
let received = 0;
let bytes = 0;
receiver.on('message', (data) => {
  received++;
  bytes += data.length;
});
receiver.on('error', (err) => {
  console.error(err);
  process.exit(1);
});

const feed = (n) => {
  for (let sent = 0; sent < n; sent += perRead) receiver.write(read);
};
feed(Math.ceil(frames / 10)); // warm-up
const firstReceived = received;
const before = process.cpuUsage();
feed(frames);
const cpu = process.cpuUsage(before);
const n = received - firstReceived;
const ns = ((cpu.user + cpu.system) * 1000) / n;
console.log(
  `${keys} keys, unmask by ${keys === 'zero' ? 'none' : unmask}: ${n} frames of ` +
    `${one.length} bytes (${perRead} a read), ${ns.toFixed(0)} ns CPU per frame, ` +
    `${(ns / payload.length).toFixed(3)} ns per payload byte, ${bytes === received * payload.length ? 'every' : 'NOT every'} payload whole`,
);
