import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './process.js';

export const AGENT_BUNDLE = path.join(REPO, 'dist/agent-bundle');

/** The agent bundle's chunks that main.js imports statically, transitively: what every agent process loads. */
export function chunksLoadedAtStart(): string[] {
  const loaded = new Set<string>();
  const queue = ['main.js'];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (loaded.has(file)) continue;
    loaded.add(file);
    for (const m of readFileSync(path.join(AGENT_BUNDLE, file), 'utf8').matchAll(/(?:import|from)\s*"\.\/([^"]+)"/g))
      queue.push(m[1]!);
  }
  return [...loaded];
}
