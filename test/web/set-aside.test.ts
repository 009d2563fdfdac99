import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { consoleWithFleet, openPage } from '../helpers/browser.js';

/**
 * A host whose agent sends its log-path check in the wrong shape (no `counts`) after a good first batch: the
 * server sets the state aside (shared/state-shapes.ts) and keeps the key's last good value. The person looking
 * at the host must see both, live: the card as last understood, and the header saying it is not current.
 */
describe('a state set aside for its shape, in headless Chromium', () => {
  let base: string;
  let browser: Browser;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ base, browser, stop } = await consoleWithFleet([{ id: 'db-shape', trouble: 'set-aside' }]));
  }, 30_000);

  afterAll(() => stop?.());

  it('keeps the last good card through live pushes and names what was set aside', async () => {
    const { page, errors } = await openPage(browser, `${base}/?host=db-shape`);
    const problem =
      'bad state from agent: state logpaths/logrotate: counts must be an object (its last good value is shown)';
    await expect.poll(() => page.locator('#state-problems').textContent(), { timeout: 15_000 }).toBe(problem);
    // Live pushes keep coming (one a second, each with the bad state): the card stays, so does the line.
    await page.waitForTimeout(2500);
    expect(await page.locator('#logpaths article.check[data-check="logrotate"]').count()).toBe(1);
    expect(await page.locator('#state-problems').textContent()).toBe(problem);
    // The overview's tile says the same.
    await page.goto(`${base}/`);
    await expect
      .poll(() => page.locator('a.tile[data-host="db-shape"] .reason').textContent(), { timeout: 10_000 })
      .toBe('state logpaths/logrotate not understood (counts must be an object); its last good value is shown');
    expect(errors).toEqual([]);
  });
});
