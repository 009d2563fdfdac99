/**
 * What an agent frame may hold: the patterns and bounds of names, ids,
 * labels, batches and states, defined once. Both validators of agent frames
 * use them — the schemas (shared/protocol.ts, shared/batch-schema.ts) and the
 * hand-written batch decoder (server/agent-frames.ts) — and a property test
 * holds the two to the same answers. No dependencies: the agent loads this.
 */

/** Metric, label, collector and state-kind names (as Prometheus names, without the colon). */
export const NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_NAME_LENGTH = 128;

/** Agent ids and session ids. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
export const MAX_ID_LENGTH = 128;

/** Labels of one series (besides host), and characters of one label value. */
export const MAX_LABELS = 16;
export const MAX_LABEL_VALUE_LENGTH = 256;

/** Samples of one batch. */
export const MAX_BATCH_SAMPLES = 20_000;

/**
 * Distinct series one agent session may name (protocol 2); a host has a few
 * hundred. Every hello carries the whole table, so it must fit in one frame:
 * 10 000 series of typical names and labels are ~700 kB, under
 * MAX_AGENT_FRAME_BYTES.
 */
export const MAX_SERIES_PER_SESSION = 10_000;

/** A protocol-2 batch's values (`v`): standard base64 with its padding, as Buffer and btoa write it. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Which character codes below 128 are base64 digits (A–Z, a–z, 0–9, + and /). */
const BASE64_DIGIT = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_DIGIT[c.charCodeAt(0)] = 1;

/**
 * Whether `s` matches BASE64_PATTERN: whole groups of four digits, the last
 * ending in `=` or `==`. A loop over the characters: the server checks every
 * batch's values, and the regular expression took 7 % of its main thread.
 */
export function isBase64(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && s.charCodeAt(n - 1) === 61) end = s.charCodeAt(n - 2) === 61 ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) if (BASE64_DIGIT[s.charCodeAt(i)] !== 1) return false;
  return true;
}
/** Characters of `v` for MAX_BATCH_SAMPLES float64 values. */
export const MAX_BATCH_VALUES_CHARS = 4 * Math.ceil((8 * MAX_BATCH_SAMPLES) / 3);

/** Collector statuses of one batch, and characters of one status message. */
export const MAX_COLLECTORS = 64;
export const MAX_COLLECTOR_MESSAGE_LENGTH = 2000;
/** State kinds and states of one batch, and characters of one state key. */
export const MAX_STATE_KINDS = 64;
export const MAX_STATES = 2000;
export const MAX_STATE_KEY_LENGTH = 256;

/** A hello's hostname and agent version. */
export const MAX_HOSTNAME_LENGTH = 255;
export const MAX_AGENT_VERSION_LENGTH = 64;
