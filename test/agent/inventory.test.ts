import { describe, expect, it } from 'vitest';
import { gatherInventory } from '../../agent/inventory-gather.js';

describe('host inventory (systeminformation)', () => {
  it('spaces its start and its five calls out when asked, and still gathers every part', async () => {
    const started = performance.now();
    const inventory = await gatherInventory(300);
    // A pause before the first call (the child's own start-up goes first) and between the five calls:
    // a refresh can never be one burst of shells.
    expect(performance.now() - started).toBeGreaterThanOrEqual(5 * 300);
    expect(inventory).toMatchObject({
      os: { platform: 'linux' },
      cpu: { cores: expect.any(Number) },
      memory: { totalBytes: expect.any(Number) },
      blockDevices: expect.any(Array),
      filesystems: expect.any(Array),
    });
  }, 60_000);
});
