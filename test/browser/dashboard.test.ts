import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { REPO, freePort, runCli, tempDir, type Running } from '../helpers/process.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');

describe('dashboard in headless Chromium', () => {
  let app: Running | null = null;
  let browser: Browser | null = null;

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('finds this host and its live charts gain points every second', async () => {
    const port = await freePort();
    // The README's main job, `tidemark start`, on a free port and a throw-away data dir.
    app = runCli(['start', '--port', String(port), '--data-dir', tempDir()]);
    await app.waitFor(/connected to server/);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);

    const host = page.locator('#host-list li[data-connected="true"]');
    await host.first().waitFor({ timeout: 10_000 });
    expect(await host.count()).toBe(1);
    await expect.poll(() => page.locator('#live-state').textContent(), { timeout: 10_000 }).toBe('live');

    const util = page.locator('.chart[data-metric="disk_util_percent"]');
    await util.waitFor();
    const points = async () => Number(await util.getAttribute('data-points'));
    await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(0);
    const before = await points();
    await page.waitForTimeout(3500);
    const after = await points();
    expect(after).toBeGreaterThanOrEqual(before + 3);

    // Pause freezes the chart; resume brings it up to date.
    await page.click('#pause');
    await expect.poll(() => page.locator('#live-state').textContent()).toBe('paused');
    await page.click('#pause');
    await expect.poll(() => page.locator('#live-state').textContent()).toBe('live');

    for (const metric of ['cpu_iowait_percent', 'disk_aqu_sz', 'disk_r_await_ms', 'disk_w_await_ms', 'disk_in_flight']) {
      expect(await page.locator(`.chart[data-metric="${metric}"] canvas`).count(), metric).toBe(1);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
