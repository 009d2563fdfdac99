import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../helpers/browser.js';
import { startFleet } from '../helpers/scripted-fleet.js';
import { TidemarkServer } from '../../server/server.js';
import { silentLogger } from '../../shared/log.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('the overview’s tiles as their hosts change, in headless Chromium', () => {
  it('moves a host that went bad to the top, then changes its tile in place as its reason counts up', async () => {
    const server = new TidemarkServer({
      host: '127.0.0.1',
      port: 0,
      agentToken: 'a',
      apiToken: null,
      log: silentLogger,
    });
    const port = await server.listen();
    cleanup.push(() => server.close());
    const url = `ws://127.0.0.1:${port}`;
    const stays = startFleet(url, 'a', [{ id: 'db-a', trouble: null }]);
    const leaves = startFleet(url, 'a', [{ id: 'db-b', trouble: null }]);
    cleanup.push(() => stays.stop());
    const browser = await launchChromium();
    cleanup.push(() => browser.close());
    const { page, errors } = await openPage(browser, `http://127.0.0.1:${port}/`);
    const order = () =>
      page.evaluate<string[]>(`[...document.querySelectorAll('.tile-slot')]
      .map((s) => ({ y: new DOMMatrix(getComputedStyle(s).transform).m42, x: new DOMMatrix(getComputedStyle(s).transform).m41, id: s.querySelector('a.tile').dataset.host }))
      .sort((p, q) => p.y - q.y || p.x - q.x).map((p) => p.id)`);
    // Both ok: by id.
    await expect.poll(order, { timeout: 15_000 }).toEqual(['db-a', 'db-b']);

    await leaves.stop();
    // Bad comes first (server/health.ts: a disconnected agent is bad, its reason says since when).
    await expect.poll(order, { timeout: 15_000 }).toEqual(['db-b', 'db-a']);
    const tile = page.locator('a.tile[data-host="db-b"]');
    await expect.poll(() => tile.getAttribute('data-health'), { timeout: 10_000 }).toBe('bad');
    const first = await tile.locator('.reason').textContent();
    expect(first).toMatch(/^agent disconnected \d+ s ago$/);
    // Mark the element: a tile rebuilt for the next push would not carry the mark.
    await page.evaluate(`document.querySelector('a.tile[data-host="db-b"]').setAttribute('data-marked', '')`);
    await expect.poll(() => tile.locator('.reason').textContent(), { timeout: 10_000 }).not.toBe(first);
    expect(await tile.locator('.reason').textContent()).toMatch(/^agent disconnected \d+ s ago$/);
    expect(await page.locator('a.tile[data-host="db-b"][data-marked]').count()).toBe(1);
    expect(await tile.locator('.badge').textContent()).toBe('bad');
    expect(await page.locator('#overview-counts').textContent()).toBe('2 hosts · 1 bad · 0 warn · 0 info · 1 ok');
    expect(errors).toEqual([]);
  });
});
