// Bundles the CLI into dist/agent-bundle for `bin/tidemark agent`: one minified file (and lazily loaded
// chunks) instead of ~150 modules, so the long-lived agent holds less source and loads faster
// (measured in BENCHMARKS.md, "The agent side by side": about 1.3 MB less RSS, a third less CPU at start).
// The entry names stay flat, so `./inventory-worker.js` and `./main.js` resolve next to the chunks, and
// `../../package.json` (the version) is the package's own. Native and child-process-only packages stay
// external: better-sqlite3 (server only) and systeminformation (in the inventory child).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/agent-bundle', { recursive: true, force: true });
await build({
  entryPoints: ['dist/cli/main.js', 'dist/agent/inventory-worker.js'],
  bundle: true,
  splitting: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/agent-bundle',
  entryNames: '[name]',
  external: ['better-sqlite3', 'systeminformation'],
  // CommonJS dependencies (ws, commander) call require() for Node's own modules
  banner: {
    js: "import { createRequire as tidemarkCreateRequire } from 'node:module'; const require = tidemarkCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
