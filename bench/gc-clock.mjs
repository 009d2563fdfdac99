// Preloaded by bench/gc-triggers.mjs into the server it traces (--import): puts V8's trace times (ms since the
// isolate started) on the epoch. On the main thread it runs one full collection at once and prints
// `gc-clock <epoch ms>` right after it; the trace's first Mark-Compact line marked "testing" (a collection asked
// for by code) is that collection, so epoch = printed - its trace time, to within the collection's own pause.
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  v8.setFlagsFromString('--expose-gc');
  /** @type {() => void} */ (vm.runInNewContext('gc'))();
  console.log(`gc-clock ${Date.now()}`);
}
