import { errorMessage } from './errors.js';
/**
 * The dependency-free half of the protocol: versions, frame limits, error codes
 * and the server → agent messages with their hand-written validator. The agent
 * needs only this, so it does not load the schema library (about a quarter of
 * an idle agent's memory); shared/protocol.ts holds the schemas the server
 * validates agent frames with, and re-exports everything here.
 */

/**
 * 3: batches travel as binary WebSocket frames (shared/wire-binary.ts): seq,
 * ts and the values as raw float64s in series-table order (or with u16
 * indexes), the rare parts — new series, collector statuses, states — as JSON
 * inside the frame. Neither side builds an object or a string per sample.
 * Hellos, inventories and everything the server sends stay JSON, and a
 * protocol-3 agent may still send JSON batches. The server welcomes an agent
 * with the agent's own version; an agent refused with `unsupported_protocol`
 * (an older server) says hello again with 2 and sends its batches as JSON.
 * 2: batches name each series once per session (`defs`, and the whole table
 * in the hello) and then carry the samples' series indexes (`i`) and their
 * values packed as float64s in base64 (`v`) instead of a metric name, labels
 * and a decimal number per sample — a fifth of the bytes, and no number
 * formatting or parsing. 1: every sample carries its name and labels
 * (`samples`); still accepted.
 */
export const PROTOCOL_VERSION = 3;
export const MIN_PROTOCOL_VERSION = 1;

export * from './wire-limits.js';

/**
 * Bytes one session's series table may take as JSON. The hello carries the
 * whole table and the host's inventory, so the table must leave room in one
 * frame: series with very long label values reach this before
 * MAX_SERIES_PER_SESSION, and a hello over the frame limit would be refused on
 * every reconnect.
 */
export const MAX_SERIES_TABLE_BYTES = 768 * 1024;

/** Largest agent frame the server accepts (a replayed batch of a busy host fits easily). */
export const MAX_AGENT_FRAME_BYTES = 1024 * 1024;
/** Largest dashboard frame the server accepts (subscriptions are small). */
export const MAX_DASHBOARD_FRAME_BYTES = 16 * 1024;

export const ERROR_CODES = [
  'bad_json',
  'bad_frame',
  'unsupported_protocol',
  'hello_required',
  'rate_limited',
  'series_limit',
  'internal',
  /** The credential may not write as the agent id the hello names. */
  'forbidden',
  /** A batch stamped too far ahead of or behind the server's clock; it is refused, not stored. */
  'bad_timestamp',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ServerToAgent =
  /** protocol: the version the agent may speak on this connection. lastSeq: highest contiguous sequence already stored for this agent session, 0 if none. */
  | { type: 'welcome'; protocol: number; serverVersion: string; lastSeq: number }
  | { type: 'ack'; seq: number }
  | { type: 'error'; code: ErrorCode; message: string };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Validates a frame from the server; a readable reason instead of a throw. */
export function decodeServerToAgent(raw: string): { ok: true; value: ServerToAgent } | { ok: false; message: string } {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, message: `frame is not JSON: ${errorMessage(err)}` };
  }
  if (m === null || typeof m !== 'object') return { ok: false, message: 'frame is not an object' };
  switch (m.type) {
    case 'welcome':
      if (!isCount(m.protocol) || typeof m.serverVersion !== 'string' || !isCount(m.lastSeq))
        return { ok: false, message: 'welcome needs protocol, serverVersion and lastSeq' };
      return {
        ok: true,
        value: { type: 'welcome', protocol: m.protocol, serverVersion: m.serverVersion, lastSeq: m.lastSeq },
      };
    case 'ack':
      if (!isCount(m.seq)) return { ok: false, message: 'ack needs a whole seq' };
      return { ok: true, value: { type: 'ack', seq: m.seq } };
    case 'error':
      if (!ERROR_CODES.includes(m.code as ErrorCode) || typeof m.message !== 'string')
        return { ok: false, message: 'error needs a known code and a message' };
      return { ok: true, value: { type: 'error', code: m.code as ErrorCode, message: m.message } };
    default:
      return { ok: false, message: `unknown message type ${JSON.stringify(m.type)}` };
  }
}
