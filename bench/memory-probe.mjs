// Preloaded into a server the memory bench starts (`NODE_OPTIONS='--import bench/memory-probe.mjs' tidemark …`): on
// SIGUSR2 it runs a full garbage collection and writes the process's memory figures as one JSON line to
// $MEMORY_PROBE_FILE, and with $MEMORY_PROBE_SNAPSHOT_DIR set, a heap snapshot there too. Nothing in the
// server knows of it; without the signal it does nothing.
// `--import` preloads run in worker threads too: there the probe answers the main thread's call over a
// BroadcastChannel with its own isolate's figures (the history writer's heap), which the line includes as
// `workers`. The line also has the process's mappings summed by kind from /proc/self/smaps (`mappings`), and
// the main thread's garbage-collection pauses (`gc`: count, total, p50/p99/max by kind) over the last
// $MEMORY_PROBE_GC_WINDOW_S seconds before the signal (default 20). With $MEMORY_PROBE_GC_LOG set, every pause
// is also appended there, one JSON line per second: [[end ms since the epoch, kind, duration ms], …].
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const file = process.env.MEMORY_PROBE_FILE;
const snapshotDir = process.env.MEMORY_PROBE_SNAPSHOT_DIR;
/** A full collection: the process's own `gc` under --expose-gc, else one the probe enables for itself (so the
 * probe also works preloaded through NODE_OPTIONS, which does not take --expose-gc). */
const gc =
  /** @type {any} */ (globalThis).gc ??
  (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc');
  })();

/** Figures in bytes: what the process holds (RSS), what this isolate's heap holds live, what lives outside it. */
function figures() {
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const spaces = Object.fromEntries(
    v8.getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, size: s.space_size }]),
  );
  return {
    at: Date.now(),
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    mallocedMemory: h.malloced_memory,
    spaces,
  };
}

const KB = 1024;
const ARENA = 64 * 2 ** 20; // glibc's HEAP_MAX_SIZE on 64-bit: a thread arena is a 64 MiB-aligned reservation

/**
 * Resident bytes by kind of mapping: the brk heap (malloc's main arena), thread arenas (anonymous, starting on
 * a 64 MiB boundary, with the rest of the 64 MiB reserved ---p after them), other anonymous memory (V8's
 * pages, malloc's large blocks, thread stacks), files (code, SQLite's -shm), and the [stack].
 */
export function mappingsByKind(text) {
  const out = { brkHeap: 0, threadArenas: 0, threadArenaCount: 0, anon: 0, anonRegions: 0, files: 0, stack: 0 };
  const regions = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], name: head[4], rss: 0 };
      regions.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rss = Number(/(\d+)/.exec(line)[1]) * KB;
  }
  for (const r of regions) {
    if (r.name === '[heap]') out.brkHeap += r.rss;
    else if (r.name === '[stack]') out.stack += r.rss;
    else if (r.name.startsWith('/') || r.name.startsWith('[')) out.files += r.rss;
    else if (r.start % ARENA === 0 && r.perms.startsWith('rw') && r.end - r.start <= ARENA) {
      // An arena's used part; its reserved rest follows with no access (a V8 page is never 64 MiB-aligned and short).
      out.threadArenas += r.rss;
      out.threadArenaCount++;
    } else {
      out.anon += r.rss;
      if (r.rss > 0) out.anonRegions++;
    }
  }
  return out;
}

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const gcWindowMs = 1000 * Number(process.env.MEMORY_PROBE_GC_WINDOW_S || 20);
const gcLogFile = process.env.MEMORY_PROBE_GC_LOG;
/** The main thread's pauses as [end ms since the epoch, kind, duration ms], the last few minutes' worth. */
const pauses = [];
let unlogged = [];
if (isMainThread && (file || gcLogFile)) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const end = performance.timeOrigin + e.startTime + e.duration;
      const p = [Math.round(end), GC_KINDS[/** @type {any} */ (e).detail?.kind] ?? 'other', +e.duration.toFixed(3)];
      pauses.push(p);
      if (gcLogFile) unlogged.push(p);
    }
    if (pauses.length > 100_000) pauses.splice(0, 50_000);
  }).observe({ entryTypes: ['gc'] });
  if (gcLogFile)
    setInterval(() => {
      if (unlogged.length) appendFileSync(gcLogFile, JSON.stringify(unlogged) + '\n');
      unlogged = [];
    }, 1000).unref();
}

/** Count, total and p50/p99/max of the pauses of each kind that ended in the last `ms`. */
function pauseSummary(ms) {
  const since = Date.now() - ms;
  const out = { windowS: ms / 1000 };
  for (const kind of Object.values(GC_KINDS)) {
    const d = pauses
      .filter((p) => p[0] >= since && p[1] === kind)
      .map((p) => p[2])
      .sort((a, b) => a - b);
    const at = (q) => (d.length ? d[Math.min(d.length - 1, Math.floor(q * d.length))] : 0);
    const total = d.reduce((a, b) => a + b, 0);
    out[kind] = { n: d.length, totalMs: +total.toFixed(1), p50: at(0.5), p99: at(0.99), max: d.at(-1) ?? 0 };
  }
  return out;
}

const channel = new BroadcastChannel('tidemark-memory-probe');
channel.unref();

if (!isMainThread) {
  // A worker answers the main thread's ask with its own heap after a full collection.
  channel.onmessage = (e) => {
    if (e.data?.type !== 'ask') return;
    const before = figures();
    gc();
    channel.postMessage({ type: 'answer', threadId, before, after: figures() });
  };
}

/** Every worker's answer that arrives within `ms`. */
function askWorkers(ms) {
  const answers = [];
  return new Promise((resolve) => {
    channel.onmessage = (e) => {
      if (e.data?.type === 'answer') answers.push(e.data);
    };
    channel.postMessage({ type: 'ask' });
    setTimeout(() => resolve(answers), ms);
  });
}

if (file && isMainThread) {
  process.on('SIGUSR2', async () => {
    const gcPauses = pauseSummary(gcWindowMs); // before the probe's own collection
    const before = figures();
    gc();
    const after = figures();
    const workers = await askWorkers(2000);
    const mappings = mappingsByKind(readFileSync('/proc/self/smaps', 'utf8'));
    const snapshot = snapshotDir
      ? v8.writeHeapSnapshot(path.join(snapshotDir, `${process.pid}-${Date.now()}.heapsnapshot`))
      : null;
    appendFileSync(file, JSON.stringify({ before, after, workers, mappings, snapshot, gc: gcPauses }) + '\n');
  });
}
