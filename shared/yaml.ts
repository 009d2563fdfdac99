/**
 * The yaml package, loaded on first use: the agent reads YAML only when there is a file to read (its config
 * file, a mongod.conf), and a long-lived agent that never does should not hold the parser (~0.9 MB of RSS,
 * BENCHMARKS.md, "The agent side by side"). Synchronous, as its callers are; in the agent's bundle the
 * package stays a file of its own (node_modules), required when first asked for.
 */
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');
let yaml: Yaml | null = null;

export function loadYaml(): Yaml {
  return (yaml ??= createRequire(import.meta.url)('yaml') as Yaml);
}
