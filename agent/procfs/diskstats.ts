import { ParseError } from './read.js';

/**
 * One line of /proc/diskstats, fields named after
 * Documentation/admin-guide/iostats.rst. Fields a kernel does not print are
 * null: 4.18 added the discard fields (12-15), 5.5 the flush fields (16-17),
 * and 2.6-era partition lines carry only reads, sectors read, writes and
 * sectors written.
 */
export interface DiskStats {
  major: number;
  minor: number;
  name: string;
  reads: number; // 1
  readsMerged: number | null; // 2
  sectorsRead: number; // 3
  readMs: number | null; // 4
  writes: number; // 5
  writesMerged: number | null; // 6
  sectorsWritten: number; // 7
  writeMs: number | null; // 8
  inFlight: number | null; // 9 (a gauge)
  ioMs: number | null; // 10
  weightedIoMs: number | null; // 11
  discards: number | null; // 12
  discardsMerged: number | null; // 13
  sectorsDiscarded: number | null; // 14
  discardMs: number | null; // 15
  flushes: number | null; // 16
  flushMs: number | null; // 17
}

/** Parses /proc/diskstats; accepts the 7-, 14-, 18- and 20-column layouts. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    const n = parts.length;
    if (n !== 7 && n !== 14 && n !== 18 && n !== 20) {
      throw new ParseError('/proc/diskstats', `line ${i + 1}: ${n} columns, expected 7, 14, 18 or 20`);
    }
    const num = (col: number): number => {
      const raw = parts[col]!;
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isFinite(value)) {
        throw new ParseError(
          '/proc/diskstats',
          `line ${i + 1}: column ${col + 1} of ${parts[2]} is not a counter: "${raw}"`,
        );
      }
      return value;
    };
    const opt = (col: number): number | null => (col < n ? num(col) : null);
    const major = num(0);
    const minor = num(1);
    const name = parts[2]!;
    if (n === 7) {
      out.push({
        major,
        minor,
        name,
        reads: num(3),
        readsMerged: null,
        sectorsRead: num(4),
        readMs: null,
        writes: num(5),
        writesMerged: null,
        sectorsWritten: num(6),
        writeMs: null,
        inFlight: null,
        ioMs: null,
        weightedIoMs: null,
        discards: null,
        discardsMerged: null,
        sectorsDiscarded: null,
        discardMs: null,
        flushes: null,
        flushMs: null,
      });
      continue;
    }
    out.push({
      major,
      minor,
      name,
      reads: num(3),
      readsMerged: num(4),
      sectorsRead: num(5),
      readMs: num(6),
      writes: num(7),
      writesMerged: num(8),
      sectorsWritten: num(9),
      writeMs: num(10),
      inFlight: num(11),
      ioMs: num(12),
      weightedIoMs: num(13),
      discards: opt(14),
      discardsMerged: opt(15),
      sectorsDiscarded: opt(16),
      discardMs: opt(17),
      flushes: opt(18),
      flushMs: opt(19),
    });
  }
  return out;
}

const TWO_32 = 2 ** 32;

/**
 * Increase of a kernel counter between two readings. The kernel prints the
 * millisecond fields as 32-bit `%u` (and every field is 32 bits wide on a
 * 32-bit kernel), so a counter that falls back from below 2^32 by more than
 * half that range has wrapped. Any other fall means the device was removed and
 * re-added (counters restarted): there is no honest increase, so null.
 */
export function counterDelta(prev: number, cur: number): number | null {
  if (cur >= prev) return cur - prev;
  if (prev < TWO_32 && prev - cur > TWO_32 / 2) return cur + TWO_32 - prev;
  return null;
}

/** iostat's extended figures for one device over one interval. */
export interface DiskRates {
  rPerS: number;
  wPerS: number;
  rkbPerS: number;
  wkbPerS: number;
  rAwaitMs: number | null;
  wAwaitMs: number | null;
  /** iostat's await: Δ(read + write + discard ms) / Δ(reads + writes + discards). */
  awaitMs: number | null;
  /** Requests completed in the interval (reads + writes + discards). */
  ios: number;
  aquSz: number | null;
  utilPercent: number | null;
  inFlight: number | null;
}

/**
 * iostat's formulas (sysstat iostat.c, compute_ext_disk_stats):
 * r/s = Δreads/Δt, rkB/s = Δsectors/2/Δt, r_await = Δread ms/Δreads,
 * aqu-sz = Δweighted ms/Δt ms, %util = 100·Δio ms/Δt ms (capped at 100, as
 * io_ticks can run ahead of wall time by a tick). Returns null when a counter
 * restarted or no time passed.
 */
export function diskRates(prev: DiskStats, cur: DiskStats, elapsedMs: number): DiskRates | null {
  if (!(elapsedMs > 0)) return null;
  const d = (a: number | null, b: number | null): number | null | undefined =>
    a === null || b === null ? undefined : counterDelta(a, b);
  const reads = d(prev.reads, cur.reads);
  const writes = d(prev.writes, cur.writes);
  const sectorsRead = d(prev.sectorsRead, cur.sectorsRead);
  const sectorsWritten = d(prev.sectorsWritten, cur.sectorsWritten);
  const readMs = d(prev.readMs, cur.readMs);
  const writeMs = d(prev.writeMs, cur.writeMs);
  const ioMs = d(prev.ioMs, cur.ioMs);
  const weighted = d(prev.weightedIoMs, cur.weightedIoMs);
  const discards = d(prev.discards, cur.discards);
  const discardMs = d(prev.discardMs, cur.discardMs);
  const all = [reads, writes, sectorsRead, sectorsWritten, readMs, writeMs, ioMs, weighted, discards, discardMs];
  if (all.some((v) => v === null)) return null;
  const s = elapsedMs / 1000;
  const await_ = (ms: number | undefined | null, ios: number) =>
    ms === undefined || ms === null ? null : ios > 0 ? ms / ios : 0;
  const ios = reads! + writes! + (discards ?? 0);
  const busyMs = readMs === undefined || writeMs === undefined ? undefined : readMs! + writeMs! + (discardMs ?? 0);
  return {
    rPerS: reads! / s,
    wPerS: writes! / s,
    rkbPerS: sectorsRead! / 2 / s,
    wkbPerS: sectorsWritten! / 2 / s,
    rAwaitMs: await_(readMs, reads!),
    wAwaitMs: await_(writeMs, writes!),
    awaitMs: await_(busyMs, ios),
    ios,
    aquSz: weighted === undefined ? null : weighted! / elapsedMs,
    utilPercent: ioMs === undefined ? null : Math.min(100, (100 * ioMs!) / elapsedMs),
    inFlight: cur.inFlight,
  };
}
