import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/process.js';

interface LatencyResult {
  serverAlive: boolean;
  dashboards: number;
  baseline: { batches: number };
  loaded: { batches: number };
  goodBatches: number;
  missingAcks: number;
  missingPushes: number;
}

describe('bench/soak.mjs --latency at a reduced count', () => {
  it('with 40 dashboards that never read, the server stays up and the good agent loses nothing', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO, 'bench/soak.mjs'), '--latency', '--dashboards', '40', '--seconds', '4', '--json'],
      { timeout: 90_000 },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as LatencyResult;
    expect(r.serverAlive).toBe(true);
    expect(r.dashboards).toBe(40);
    // A batch every 100 ms for 4 s per phase: some tens each (how many exactly depends on the machine's load).
    expect(r.baseline.batches).toBeGreaterThan(10);
    expect(r.loaded.batches).toBeGreaterThan(10);
    expect(r.goodBatches).toBe(r.baseline.batches + r.loaded.batches);
    // Complete: every batch acknowledged, and every one pushed to the dashboard that reads.
    expect(r.missingAcks).toBe(0);
    expect(r.missingPushes).toBe(0);
  }, 120_000);
});
