// Bundles the CLI into dist/agent-bundle for `bin/tidemark agent`: one minified file (and lazily loaded
// chunks) instead of ~150 modules, so the long-lived agent holds less source and loads faster
// (measured in BENCHMARKS.md, "The agent side by side": about 1.3 MB less RSS, a third less CPU at start).
// The entry names stay flat, so `./inventory-worker.js` and `./main.js` resolve next to the chunks, and
// `../../package.json` (the version) is the package's own. Native and child-process-only packages stay
// external: better-sqlite3 (server only) and systeminformation (in the inventory child).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';

/** `require` for the bundle's CommonJS code: Node's https, tls and zlib are loaded when first touched. */
const LAZY_REQUIRE = [
  "import { createRequire as tidemarkCreateRequire } from 'node:module';",
  'const tidemarkLoad = tidemarkCreateRequire(import.meta.url);',
  "const tidemarkLazy = new Set(['https', 'tls', 'zlib']);",
  'const tidemarkOnUse = (id) => new Proxy({}, { get: (_, k) => tidemarkLoad(id)[k], has: (_, k) => k in tidemarkLoad(id) });',
  'const require = Object.assign((id) => (tidemarkLazy.has(id) ? tidemarkOnUse(id) : tidemarkLoad(id)), tidemarkLoad);',
].join(' ');

/**
 * ws's `require('crypto')` goes to dist/agent/ws-crypto.js: a handshake key and one SHA-1 per connection
 * without loading node:crypto, ~1.4 MB of the agent's RSS (BENCHMARKS.md, fourth round).
 */
const WS_CRYPTO = {
  name: 'ws-crypto',
  setup(b) {
    b.onResolve({ filter: /^crypto$/ }, (args) =>
      /[\\/]node_modules[\\/]ws[\\/]/.test(args.importer)
        ? { path: path.resolve('dist/agent/ws-crypto.js') }
        : undefined,
    );
  },
};

/**
 * ws's `require('http')` and `require('https')` go to dist/agent/ws-http.js: the opening handshake written and
 * read on the socket ws makes, without Node's http client, server and agent, ~0.8 MB of the agent's RSS
 * (BENCHMARKS.md, fifth round).
 */
const WS_HTTP = {
  name: 'ws-http',
  setup(b) {
    b.onResolve({ filter: /^https?$/ }, (args) =>
      /[\\/]node_modules[\\/]ws[\\/]/.test(args.importer) ? { path: path.resolve('dist/agent/ws-http.js') } : undefined,
    );
  },
};

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
  // CommonJS dependencies (ws, commander) call require() for Node's own modules. ws requires https, tls
  // and zlib as it loads but uses them only for wss:// and permessage-deflate: those three load on first
  // use (their objects are stand-ins until then): 0.1-0.6 MB less RSS for a ws:// agent (BENCHMARKS.md).
  banner: { js: LAZY_REQUIRE },
  // ws's own switch, fixed at build time: the agent masks one small frame a second and keeps ws's JS
  // mask, without bufferutil's loader and native library (the server's package; BENCHMARKS.md, issue 20
  // session 29). Bundled, bufferutil would fall back to its JS copy anyway (no __dirname to find its binary).
  define: { 'process.env.WS_NO_BUFFER_UTIL': '"1"' },
  plugins: [WS_CRYPTO, WS_HTTP],
  logLevel: 'warning',
});
