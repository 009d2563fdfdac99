/**
 * A monotonic clock in milliseconds (microsecond resolution), for rates and durations. Not performance.now():
 * the first touch of the `performance` global loads perf_hooks and its modules, ~0.1 MB of the agent's RSS
 * for good (BENCHMARKS.md, "The agent side by side", fourth round).
 */
export function monoNowMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
