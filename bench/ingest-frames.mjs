// The samples of bench/ingest-peers.mjs and the bytes that carry them, built once and patched in place:
// a fleet of simulated hosts (the series and levels of `tidemark simulate`'s hosts, 93 series each) whose
// values take a seeded random walk, so every run of the same fleet produces the same values at the same
// relative timestamps; as Tidemark batch frames (protocol 3 binary, or protocol 2 JSON), and as Prometheus
// remote-write requests.
import { SimulatedHost } from '../dist/agent/simulator.js';
import { encodeLabels, remoteLabels } from '../dist/server/remote-write/encode.js';
import { silentLogger } from '../dist/shared/log.js';
import { BINARY_HEADER_BYTES, writeBinaryBatch } from '../dist/shared/wire-binary.js';

/** A host of the simulator's that is never in an episode (index not a multiple of 10, 17 or 23): its steady series. */
const STEADY_HOST = 1;

/** The collectors whose series a simulated host reports, each with the status an agent sends with every batch. */
const COLLECTORS = ['cpu', 'disks', 'raid', 'pressure', 'mongod'].map((name) => ({ name, state: 'ok' }));

/**
 * A live mongod's gauges as the agent reports them in its status state (agent/mongod/server-status.ts
 * `gauges`): its uptime rises every second, so a real DB host's extras are never the same bytes twice. The
 * simulator's state has none; without them every frame's extras repeated and the server's memo of a
 * session's last extras (server/extras-memo.ts) skipped the parse and check of a state a real mongod host
 * changes every second.
 * `uptimeMs` keeps ten digits for 10^5 days of sequence numbers, so it is patched in place.
 */
const UPTIME_START = 1_000_000_000;
const mongodGauges = () => ({
  version: '7.0.12',
  pid: 4242,
  uptimeMs: UPTIME_START,
  queued: { total: 0, readers: 0, writers: 0 },
  active: { total: 12, readers: 3, writers: 1 },
  tickets: {
    source: 'queues.execution',
    read: { out: 3, available: 125, total: 128, utilPercent: 2.34375, queueLength: 0 },
    write: { out: 1, available: 127, total: 128, utilPercent: 0.78125, queueLength: 0 },
  },
  ticketQueue: { readers: 0, writers: 0 },
  connections: { current: 57, available: 838_803 },
});

/** The simulator's series (metric, labels) and their levels, as one steady host reports them. */
export function hostShape() {
  const sim = new SimulatedHost(STEADY_HOST, 'shape', 'ws://127.0.0.1:9', 't', silentLogger);
  const { samples, states } = sim.sample(60_000);
  for (const st of states) if (st.kind === 'mongod') st.value = { ...st.value, gauges: mongodGauges() };
  return {
    /** Protocol-2 series table: [metric] or [metric, labels]. */
    table: samples.map((s) => (s.l ? [s.m, { ...s.l }] : [s.m])),
    levels: Float64Array.from(samples, (s) => s.v ?? 0),
    /**
     * What an agent sends with every batch besides its values (agent/agent.ts tick()): its collectors'
     * statuses and the raid and mongod states, the same bytes second after second on a steady host.
     */
    extras: { collectors: COLLECTORS, stateKinds: ['raid_array', 'mongod'], states },
  };
}

/** Host ids as the simulator names them. */
export const hostId = (i) => `sim-${String(i).padStart(5, '0')}`;

/** `n` of a fleet's `hosts` host ids, spread evenly over it (what a dashboard in the benches watches). */
export const spreadHostIds = (hosts, n) =>
  Array.from({ length: Math.min(hosts, n) }, (_, i) => hostId(Math.floor((i * hosts) / Math.min(hosts, n))));

/**
 * Every host's current values in one Float64Array (host i's at i × perHost), stepped once per host and
 * second: a walk back towards the level for series whose level is not a whole number (rates, percentages,
 * latencies), constants for the rest (disk counts, flags, limits), as the simulator has them.
 */
export class FleetValues {
  constructor(hosts, levels) {
    this.hosts = hosts;
    this.perHost = levels.length;
    this.levels = levels;
    this.values = new Float64Array(hosts * this.perHost);
    this.rng = new Uint32Array(hosts);
    for (let i = 0; i < hosts; i++) {
      this.values.set(levels, i * this.perHost);
      this.rng[i] = (i + 1) * 2_654_435_761; // xorshift32 must not start at 0
    }
  }

  /** Host `i`'s next values: the same sequence for the same host in every run. */
  step(i) {
    const { perHost, levels, values } = this;
    let x = this.rng[i];
    const base = i * perHost;
    for (let j = 0; j < perHost; j++) {
      const level = levels[j];
      if (Number.isInteger(level)) continue;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const r = (x >>> 0) / 4_294_967_296 - 0.5;
      const v = values[base + j];
      values[base + j] = Math.max(0, v + r * 0.1 * level + (level - v) * 0.05);
    }
    this.rng[i] = x;
  }

  /** Host `i`'s values as bytes (little-endian float64s), a view into the fleet's array. */
  bytesOf(i) {
    return Buffer.from(this.values.buffer, i * this.perHost * 8, this.perHost * 8);
  }
}

/** The hello of an agent session (protocol 2 or 3) that names its whole series table up front. */
export function helloFrame(id, session, table, protocol = 3) {
  return JSON.stringify({
    type: 'hello',
    protocol,
    agentId: id,
    session,
    hostname: id,
    agentVersion: 'bench-ingest-peers',
    inventory: null,
    series: table,
  });
}

/** The mongod uptime a host reports with batch `seq`: a second more with every batch. */
const uptimeAt = (seq) => UPTIME_START + 1000 * seq;

/** A protocol-2 batch: the table's series in order (no `i`), values packed as float64s in base64, then the extras. */
export function batchFrame(seq, ts, valueBytes, extrasJson) {
  const extras = extrasJson.replace(`"uptimeMs":${UPTIME_START}`, `"uptimeMs":${uptimeAt(seq)}`);
  return `{"type":"batch","seq":${seq},"ts":${ts},"v":"${valueBytes.toString('base64')}",${extras.slice(1)}`;
}

/**
 * A protocol-3 batch frame of the table's series in order (no indexes) with `extras` at its end, laid out
 * once per host (shared/wire-binary.ts): `patch` writes seq, ts and the values into it; the same bytes go
 * out every second.
 */
export class BinaryBatch {
  constructor(perHost, extras) {
    this.frame = writeBinaryBatch(0, 0, new Float64Array(perHost), perHost, null, extras);
    const digits = this.frame.indexOf(`"uptimeMs":${UPTIME_START}`);
    /** Where the mongod uptime's ten digits are (-1: extras without one). */
    this.uptimeAt = digits < 0 ? -1 : digits + '"uptimeMs":'.length;
  }

  /** Host `i`'s current values from `fleet`, with its sequence number and timestamp. */
  patch(seq, ts, valueBytes) {
    valueBytes.copy(this.frame, BINARY_HEADER_BYTES);
    patchBatch(this.frame, 0, this.uptimeAt, seq, ts);
    return this.frame;
  }
}

/** Writes seq, ts and the mongod uptime of batch `seq` into a batch frame whose header is at `at` of `buf`. */
function patchBatch(buf, at, uptimeDigitsAt, seq, ts) {
  buf.writeDoubleLE(seq, at + 8);
  buf.writeDoubleLE(ts, at + 16);
  if (uptimeDigitsAt < 0) return;
  // The uptime's ten digits, written in place (no string per frame).
  let n = uptimeAt(seq);
  for (let k = uptimeDigitsAt + 9; k >= uptimeDigitsAt; k--, n = Math.floor(n / 10)) buf[k] = 48 + (n % 10);
}

/**
 * A client's WebSocket frame header for one binary message of `length` bytes (RFC 6455 5.2: FIN, opcode 2,
 * the mask bit, the length in 7, 7+16 or 7+64 bits), then the zero masking key the agent uses
 * (agent/transport.ts): masked with it, the payload goes out as it is.
 */
export function zeroMaskedHeader(length) {
  const ext = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + 4);
  head[0] = 0x82;
  head[1] = 0x80 | (ext === 0 ? length : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(length, 2);
  else if (ext === 8) head.writeBigUInt64BE(BigInt(length), 2);
  return head;
}

/**
 * Every host's protocol-3 batch as a whole WebSocket frame (zeroMaskedHeader, then BinaryBatch's layout),
 * laid out once per host and written to its socket as it is: `patch` writes the host's seq, ts, values and
 * uptime into its frame. A frame its socket still holds (`held`: not yet handed to the kernel) is left
 * alone; the host gets a new one.
 */
export class WireBatches {
  constructor(fleet, extras) {
    const batch = new BinaryBatch(fleet.perHost, extras);
    const head = zeroMaskedHeader(batch.frame.length);
    this.fleet = fleet;
    this.template = Buffer.concat([head, batch.frame]);
    this.payloadAt = head.length;
    this.uptimeAt = batch.uptimeAt < 0 ? -1 : head.length + batch.uptimeAt;
    /** @type {(Buffer | undefined)[]} */
    this.frames = new Array(fleet.hosts);
    /** @type {(Float64Array | undefined)[]} each frame's values, where a host's are copied one by one */
    this.values = new Array(fleet.hosts);
  }

  /** Host `i`'s frame with its current values from the fleet, sequence number `seq` and timestamp `ts`. */
  patch(i, seq, ts, held) {
    let frame = this.frames[i];
    let values = this.values[i];
    if (frame === undefined || values === undefined || held) {
      // A frame of its own, placed so that its values are 8-byte aligned: a Float64Array can view them.
      const valuesAt = this.payloadAt + BINARY_HEADER_BYTES;
      const shift = (8 - (valuesAt % 8)) % 8;
      const memory = new ArrayBuffer(shift + this.template.length);
      frame = this.frames[i] = Buffer.from(memory, shift, this.template.length);
      this.template.copy(frame);
      values = this.values[i] = new Float64Array(memory, shift + valuesAt, this.fleet.perHost);
    }
    const { perHost, values: fleetValues } = this.fleet;
    for (let j = 0, at = i * perHost; j < perHost; j++, at++) values[j] = fleetValues[at];
    patchBatch(frame, this.payloadAt, this.uptimeAt, seq, ts);
    return frame;
  }
}

const varintSize = (n) => {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
};
function writeVarint(buf, at, n) {
  while (n >= 128) {
    buf[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** Millisecond timestamps from 2^35 (1971) to 2^42 (2109) are 6-byte varints: a request keeps its size. */
const TS_BYTES = 6;
const SAMPLE_BYTES = 1 + 8 + 1 + TS_BYTES; // Sample { double value = 1; int64 timestamp = 2; }

/**
 * Snappy's block format with one literal (a valid stream any decoder reads, without compressing): the
 * header is the uncompressed length, then a literal tag with a 1-4 byte length.
 */
function literalSnappyHeader(rawLength) {
  const lenBytes = rawLength - 1 < 2 ** 8 ? 1 : rawLength - 1 < 2 ** 16 ? 2 : rawLength - 1 < 2 ** 24 ? 3 : 4;
  const head = Buffer.alloc(varintSize(rawLength) + 1 + lenBytes);
  let at = writeVarint(head, 0, rawLength);
  head[at++] = (59 + lenBytes) << 2;
  head.writeUIntLE(rawLength - 1, at, lenBytes);
  return head;
}

/**
 * One remote-write request for a group of hosts (each series with one sample), laid out once: `body` is the
 * snappy-framed WriteRequest, `raw` the protobuf inside it (a view of the same bytes). `patch` writes the
 * group's current values and one timestamp into it; nothing else changes from second to second. Labels are
 * those Tidemark's own remote write sends (`tidemark_<metric>`, host, the series' labels).
 */
export class RemoteWriteGroup {
  constructor(hostIndexes, table) {
    this.hosts = hostIndexes;
    this.perHost = table.length;
    const labels = hostIndexes.flatMap((i) => table.map(([m, l]) => encodeLabels(remoteLabels(hostId(i), m, l))));
    let rawLength = 0;
    for (const l of labels) {
      const inner = l.length + 2 + SAMPLE_BYTES;
      rawLength += 1 + varintSize(inner) + inner;
    }
    const head = literalSnappyHeader(rawLength);
    this.body = Buffer.alloc(head.length + rawLength);
    head.copy(this.body);
    this.raw = this.body.subarray(head.length);
    /** Offset of each sample's value in `raw`; its timestamp follows 9 bytes later. */
    this.valueAt = new Uint32Array(labels.length);
    let at = 0;
    labels.forEach((l, k) => {
      const inner = l.length + 2 + SAMPLE_BYTES;
      at = writeVarint(this.raw, at, (1 << 3) | 2); // WriteRequest.timeseries
      at = writeVarint(this.raw, at, inner);
      at += l.copy(this.raw, at);
      this.raw[at++] = (2 << 3) | 2; // TimeSeries.samples
      this.raw[at++] = SAMPLE_BYTES;
      this.raw[at++] = (1 << 3) | 1; // Sample.value, fixed 64-bit
      this.valueAt[k] = at;
      at += 8;
      this.raw[at++] = 2 << 3; // Sample.timestamp, varint
      at += TS_BYTES;
    });
    if (at !== rawLength) throw new Error(`remote-write layout: wrote ${at} of ${rawLength} bytes`);
    this.tsBytes = Buffer.alloc(TS_BYTES);
  }

  /** Writes every host's current values (from `fleet`) and timestamp `ts` (ms) into the request. */
  patch(fleet, ts) {
    if (writeVarint(this.tsBytes, 0, ts) !== TS_BYTES)
      throw new Error(`timestamp ${ts} is not a ${TS_BYTES}-byte varint`);
    const { raw, valueAt, perHost, tsBytes } = this;
    const values = fleet.values;
    let k = 0;
    for (const i of this.hosts) {
      const base = i * fleet.perHost;
      for (let j = 0; j < perHost; j++, k++) {
        const at = valueAt[k];
        raw.writeDoubleLE(values[base + j], at);
        tsBytes.copy(raw, at + 9);
      }
    }
  }
}

/** Hosts in send groups: `groups` slots a second, host i in slot floor(i × groups / hosts), as the simulator spreads its ticks. */
export function sendGroups(hosts, groups) {
  const g = Math.min(groups, hosts);
  const out = Array.from({ length: g }, () => []);
  for (let i = 0; i < hosts; i++) out[Math.floor((i * g) / hosts)].push(i);
  return out;
}
