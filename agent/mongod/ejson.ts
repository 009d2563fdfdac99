import { EJSON, Long, Timestamp, type Document } from 'bson';
import { isInteger, parse as parseLossless } from 'lossless-json';

/**
 * Recorded replies come in every encoding tools save them in: mongosh's
 * Extended JSON v2 ({"$numberLong": "…"}), pymongo's legacy extended JSON
 * ({"$date": <ms>}, {"$timestamp": …}, {"$binary": …, "$type": …}), and plain
 * JSON from Go or hand edits, where a 64-bit integer is a bare number past
 * 2^53. Parsing keeps every integer exact: bare integers beyond the safe range
 * become Long, like $numberLong does.
 */
export function parseRecordedReply(text: string): Document {
  const tree = parseLossless(text, undefined, (s: string) => {
    if (isInteger(s)) {
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : { $numberLong: s };
    }
    return Number(s);
  });
  // relaxed: false keeps $numberLong as Long (no rounding through a double).
  // legacy: true also accepts pymongo's {"$binary": "…", "$type": "00"}.
  return EJSON.deserialize(tree as Document, { relaxed: false, legacy: true }) as Document;
}

/** A counter or gauge as a number, whatever BSON or JSON type carried it (Int32, Long, Double, decimal string). */
export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : null;
  if (v instanceof Long) return v.toNumber();
  if (typeof v === 'object' && v !== null && '_bsontype' in v) {
    const t = (v as { _bsontype: string })._bsontype;
    if (t === 'Int32' || t === 'Double') return (v as { valueOf(): number }).valueOf();
    if (t === 'Decimal128') return Number((v as { toString(): string }).toString());
  }
  return null;
}

/** A date from a BSON Date, an ISO/RFC 3339 string, epoch ms, or a Timestamp (seconds). */
export function toDate(v: unknown): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v === 'string') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (typeof v === 'number') return new Date(v);
  if (v instanceof Timestamp) return new Date(v.high * 1000);
  return null;
}

/** Reads a dotted path of a document; undefined when any step is missing. */
export function at(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
