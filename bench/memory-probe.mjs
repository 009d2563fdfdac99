// Preloaded into a server the memory bench starts (`node --expose-gc --import bench/memory-probe.mjs …`): on
// SIGUSR2 it runs a full garbage collection and writes the process's memory figures as one JSON line to
// $MEMORY_PROBE_FILE, and with $MEMORY_PROBE_SNAPSHOT_DIR set, a heap snapshot there too. Nothing in the
// server knows of it; without the signal it does nothing.
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

const file = process.env.MEMORY_PROBE_FILE;
const snapshotDir = process.env.MEMORY_PROBE_SNAPSHOT_DIR;

/** Figures in bytes: what the process holds (RSS), what V8's heap holds live, what lives outside it. */
function figures() {
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
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

if (file) {
  process.on('SIGUSR2', () => {
    const before = figures();
    /** @type {any} */ (globalThis).gc?.();
    const after = figures();
    const snapshot = snapshotDir
      ? v8.writeHeapSnapshot(path.join(snapshotDir, `${process.pid}-${Date.now()}.heapsnapshot`))
      : null;
    appendFileSync(file, JSON.stringify({ before, after, snapshot }) + '\n');
  });
}
