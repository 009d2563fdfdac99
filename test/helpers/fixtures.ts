import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures: recorded real data, copied byte for byte (see its PROVENANCE.md); never edited. */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const PROCFS = path.join(FIXTURES, 'procfs');

export function fixtureText(rel: string): string {
  return readFileSync(path.join(FIXTURES, rel), 'utf8');
}

/** Every procfs sample root that holds `rel` (e.g. `proc/diskstats`). */
export function samplesWith(rel: string): string[] {
  return readdirSync(PROCFS)
    .filter((d) => existsSync(path.join(PROCFS, d, rel)))
    .sort();
}
