import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/process.js';

interface FuzzResult {
  frames: number;
  serverAlive: boolean;
  serverMaxRssMB: number;
  goodBatches: number;
  goodMissing: number;
  foreignNamesStored: number;
  foreignNamesSample: string[];
}

describe('bench/fuzz.mjs at a reduced count', () => {
  it('leaves the server up, bounded, and the good agent with every batch stored', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO, 'bench/fuzz.mjs'), '--frames', '5000', '--connections', '5', '--seed', '7', '--json'],
      { timeout: 120_000 },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as FuzzResult;
    expect(r.frames).toBe(5000);
    expect(r.serverAlive).toBe(true);
    expect(r.goodBatches).toBeGreaterThan(0);
    expect(r.goodMissing).toBe(0);
    expect(r.serverMaxRssMB).toBeLessThan(400);
    // Names outside the catalogue (constructor, __proto__, zz_not_in_catalogue, …) are refused, never stored.
    expect(r.foreignNamesStored).toBe(0);
    expect(r.foreignNamesSample).toEqual([]);
  }, 150_000);
});
