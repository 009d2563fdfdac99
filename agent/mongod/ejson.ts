import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type Document,
} from 'bson';
import { isInteger, parse as parseLossless } from 'lossless-json';
import { errorMessage } from '../../shared/errors.js';

/**
 * Recorded replies come in every encoding tools save them in: mongosh's
 * Extended JSON v2 (`--json=relaxed|canonical`, EJSON.stringify), pymongo's
 * and old mongoexport's legacy extended JSON ({"$date": <ms>},
 * {"$binary": …, "$type": …}, {"$regex": …, "$options": …}), and plain JSON
 * from Go or hand edits, where a 64-bit integer is a bare number past 2^53.
 *
 * A `$`-key alone does not make a type wrapper: serverStatus from 4.4/5.0 on
 * has counters keyed by operator names (metrics.operatorCounters.match.$regex,
 * .$type, aggStageCounters.$match …). An object is a wrapper only when its
 * keys are exactly one wrapper's keys and its values have that wrapper's JSON
 * types (the spec's rule, minus its "extra keys are an error", which would
 * refuse those counters). A wrapper of the right shape with bad content (a
 * $numberLong that is not an integer) is an error naming where it is.
 */
export function parseRecordedReply(text: string): Document {
  const tree = parseLossless(text, undefined, (s: string) => {
    if (!isInteger(s)) return Number(s);
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
    // Exact as a Long when it fits 64 bits; beyond that only a double can hold it (as the spec says).
    return fitsInt64(s) ? Long.fromString(s) : n;
  });
  if (!isPlainObject(tree)) throw new Error('the reply is not a JSON object');
  return readDocument(tree, '');
}

/** Thrown for a wrapper of the right shape whose content is malformed. */
export class ExtendedJsonError extends Error {}

const NOT_A_WRAPPER = Symbol('not a wrapper');
type Plain = Record<string, unknown>;
type Reader = (o: Plain, where: string) => unknown;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const fitsInt64 = (s: string) => /^-?\d+$/.test(s) && BigInt(s) >= INT64_MIN && BigInt(s) <= INT64_MAX;
const isPlainObject = (v: unknown): v is Plain =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
const isString = (v: unknown): v is string => typeof v === 'string';
const hasExactKeys = (v: unknown, keys: string[]): v is Plain =>
  isPlainObject(v) && Object.keys(v).length === keys.length && keys.every((k) => k in v);
const isUint32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;

function bad(where: string, o: Plain, why: string): never {
  throw new ExtendedJsonError(`at ${where || '(top level)'}: ${JSON.stringify(o)} ${why}`);
}

function int64(s: string, where: string, o: Plain): Long {
  if (!fitsInt64(s)) bad(where, o, 'is not a 64-bit integer');
  return Long.fromString(s);
}

function date(v: unknown, where: string, o: Plain): Date | typeof NOT_A_WRAPPER {
  let ms: number;
  if (isString(v))
    ms = Date.parse(v); // relaxed v2 (RFC 3339), and legacy ISO strings
  else if (typeof v === 'number')
    ms = v; // legacy: epoch ms
  else if (hasExactKeys(v, ['$numberLong']) && isString(v.$numberLong))
    ms = int64(v.$numberLong, where, o).toNumber(); // canonical v2
  else return NOT_A_WRAPPER;
  if (!Number.isFinite(ms) || !Number.isInteger(ms)) bad(where, o, 'is not a date');
  return new Date(ms);
}

function binary(base64: string, subType: string, where: string, o: Plain): Binary {
  if (!/^[0-9a-f]{1,2}$/i.test(subType)) bad(where, o, 'has a subtype that is not one or two hex digits');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) bad(where, o, 'is not base64');
  return Binary.createFromBase64(base64, parseInt(subType, 16));
}

function regExp(pattern: string, options: string, where: string, o: Plain): BSONRegExp {
  try {
    return new BSONRegExp(pattern, options);
  } catch (err) {
    bad(where, o, `is not a BSON regular expression (${errorMessage(err)})`);
  }
}

/** Every wrapper shape, keyed by its sorted key set. Each reader returns NOT_A_WRAPPER when value types differ. */
const WRAPPERS = new Map<string, Reader>();
function wrapper(keys: string[], read: Reader): void {
  WRAPPERS.set([...keys].sort().join('\0'), read);
}

/**
 * A wrapper of two strings in both its forms: canonical, nested under one key
 * ({"$binary": {"base64": …, "subType": …}}), and legacy, flat ({"$binary": …, "$type": …}).
 */
function twoStrings(
  key: string,
  [a, b]: [string, string],
  [legacyA, legacyB]: [string, string],
  make: (first: string, second: string, where: string, o: Plain) => unknown,
): void {
  const both = (x: unknown, y: unknown, w: string, o: Plain) =>
    isString(x) && isString(y) ? make(x, y, w, o) : NOT_A_WRAPPER;
  wrapper([key], (o, w) => {
    const inner = o[key];
    return hasExactKeys(inner, [a, b]) ? both(inner[a], inner[b], w, o) : NOT_A_WRAPPER;
  });
  wrapper([legacyA, legacyB], (o, w) => both(o[legacyA], o[legacyB], w, o));
}

wrapper(['$oid'], (o, w) => {
  if (!isString(o.$oid)) return NOT_A_WRAPPER;
  if (!/^[0-9a-f]{24}$/i.test(o.$oid)) bad(w, o, 'is not 24 hex digits');
  return ObjectId.createFromHexString(o.$oid.toLowerCase());
});
wrapper(['$symbol'], (o) => (isString(o.$symbol) ? new BSONSymbol(o.$symbol) : NOT_A_WRAPPER));
wrapper(['$numberInt'], (o, w) => {
  if (!isString(o.$numberInt)) return NOT_A_WRAPPER;
  const n = /^-?\d+$/.test(o.$numberInt) ? Number(o.$numberInt) : NaN;
  if (!(n >= -(2 ** 31) && n < 2 ** 31)) bad(w, o, 'is not a 32-bit integer');
  return new Int32(n);
});
wrapper(['$numberLong'], (o, w) => (isString(o.$numberLong) ? int64(o.$numberLong, w, o) : NOT_A_WRAPPER));
wrapper(['$numberDouble'], (o, w) => {
  const s = o.$numberDouble;
  if (!isString(s)) return NOT_A_WRAPPER;
  if (!/^(-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?Infinity|NaN)$/.test(s)) bad(w, o, 'is not a double');
  return new Double(Number(s));
});
wrapper(['$numberDecimal'], (o, w) => {
  if (!isString(o.$numberDecimal)) return NOT_A_WRAPPER;
  try {
    return Decimal128.fromString(o.$numberDecimal);
  } catch {
    bad(w, o, 'is not a decimal');
  }
});
// the legacy form from pymongo and mongoexport v1
twoStrings('$binary', ['base64', 'subType'], ['$binary', '$type'], binary);
wrapper(['$uuid'], (o, w) => {
  if (!isString(o.$uuid)) return NOT_A_WRAPPER;
  const hex = o.$uuid.replace(/^urn:uuid:/i, '');
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(hex)) bad(w, o, 'is not a UUID');
  return Binary.createFromHexString(hex.replaceAll('-', ''), Binary.SUBTYPE_UUID);
});
wrapper(['$code'], (o) => (isString(o.$code) ? new Code(o.$code) : NOT_A_WRAPPER));
wrapper(['$code', '$scope'], (o, w) =>
  isString(o.$code) && isPlainObject(o.$scope)
    ? new Code(o.$code, readDocument(o.$scope, `${w}.$scope`))
    : NOT_A_WRAPPER,
);
wrapper(['$timestamp'], (o, w) => {
  const t = o.$timestamp;
  if (!hasExactKeys(t, ['t', 'i'])) return NOT_A_WRAPPER;
  if (!isUint32(t.t) || !isUint32(t.i)) bad(w, o, 'has t or i that is not an unsigned 32-bit integer');
  return new Timestamp({ t: t.t, i: t.i });
});
// legacy; {"$regex": …} alone, or with a non-string value, is the query operator or a counter named after it
twoStrings('$regularExpression', ['pattern', 'options'], ['$regex', '$options'], regExp);
wrapper(['$dbPointer'], (o, w) => {
  const p = o.$dbPointer;
  if (!hasExactKeys(p, ['$ref', '$id']) || !isString(p.$ref) || !hasExactKeys(p.$id, ['$oid'])) return NOT_A_WRAPPER;
  const id = readValue(p.$id, `${w}.$dbPointer.$id`);
  return id instanceof ObjectId ? new DBRef(p.$ref, id) : NOT_A_WRAPPER;
});
wrapper(['$date'], (o, w) => date(o.$date, w, o));
wrapper(['$minKey'], (o) => (o.$minKey === 1 ? new MinKey() : NOT_A_WRAPPER));
wrapper(['$maxKey'], (o) => (o.$maxKey === 1 ? new MaxKey() : NOT_A_WRAPPER));
// BSON undefined is deprecated; the bson library reads it as null too.
wrapper(['$undefined'], (o) => (o.$undefined === true ? null : NOT_A_WRAPPER));

function readValue(v: unknown, where: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => readValue(x, `${where}.${i}`));
  if (!isPlainObject(v)) return v;
  const read = WRAPPERS.get(Object.keys(v).sort().join('\0'));
  if (read) {
    const value = read(v, where);
    if (value !== NOT_A_WRAPPER) return value;
  }
  return readDocument(v, where);
}

function readDocument(o: Plain, where: string): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(o)) out[k] = readValue(v, where ? `${where}.${k}` : k);
  return out;
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
