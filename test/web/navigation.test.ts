import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { consoleWithFleet, openPage } from '../helpers/browser.js';
import { REPO } from '../helpers/process.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');
const HOUR = 3_600_000;

/** What the URL says the view is (web/src/url.ts): `?host=ID`, `&from=&to=` when not live. */
interface UrlView {
  host: string | null;
  range: [number, number] | null;
}

function urlView(page: Page): UrlView {
  const q = new URL(page.url()).searchParams;
  return { host: q.get('host'), range: q.has('from') ? [Number(q.get('from')), Number(q.get('to'))] : null };
}

interface ScreenView {
  overview: boolean;
  host: string | null;
  badge: string;
  select: string;
  historyNote: boolean;
  label: string;
  /** The distinct time axes of the host's charts: "from to" in epoch ms, or "live". */
  axes: (string | null)[];
}

/** What is on screen, read from the page itself. */
function screenView(page: Page): Promise<ScreenView> {
  return page.evaluate<ScreenView>(`(() => {
    const $ = (id) => document.getElementById(id);
    const axes = [...document.querySelectorAll('#charts .chart')].map((c) => c.dataset.axis ?? null);
    return {
      overview: !$('overview-page').hidden,
      host: $('host-page').hidden ? null : $('host-title').textContent,
      badge: $('live-state').textContent,
      select: $('range').value,
      historyNote: !$('history-note').hidden,
      label: $('range-label').textContent,
      axes: [...new Set(axes)],
    };
  })()`);
}

/** Waits until the screen shows what the URL says: the overview, a host live, or a host over the URL's range. */
async function expectInStep(page: Page, want: UrlView, shot: string): Promise<void> {
  expect(urlView(page)).toEqual(want);
  const expected = want.host
    ? {
        overview: false,
        host: want.host,
        badge: want.range ? 'history' : 'live',
        historyNote: want.range !== null,
        axes: [want.range ? want.range.join(' ') : 'live'],
      }
    : { overview: true, host: null };
  await expect
    .poll(() => screenView(page).then((v) => (want.host ? v : { overview: v.overview, host: v.host })), {
      timeout: 15_000,
    })
    .toMatchObject(expected);
  await page.screenshot({ path: path.join(ARTIFACTS, shot) });
}

/**
 * The view once the range's charts have loaded: the label first names the range, then (when the host view has
 * read its history) the resolution of its points as well, so reading it at once races that load.
 */
async function settledView(page: Page): Promise<ScreenView> {
  await expect.poll(() => screenView(page).then((v) => v.label), { timeout: 15_000 }).toMatch(/ points$/);
  return screenView(page);
}

describe('back and forward through the console in headless Chromium', () => {
  let base: string;
  let browser: Browser;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ base, browser, stop } = await consoleWithFleet([
      { id: 'db-raid', trouble: 'degraded' },
      { id: 'db-ok', trouble: null },
    ]));
  }, 30_000);

  afterAll(() => stop?.());

  it('overview → host → range, back, back, forward, forward: each step’s URL and view agree', async () => {
    const { page, errors } = await openPage(browser, `${base}/`);
    await page.locator('a.tile[data-host="db-raid"]').waitFor({ timeout: 15_000 });
    await expectInStep(page, { host: null, range: null }, 'nav-1-overview.png');

    await page.click('a.tile[data-host="db-raid"]');
    await expectInStep(page, { host: 'db-raid', range: null }, 'nav-2-host-live.png');

    await page.selectOption('#range', String(HOUR));
    await expect.poll(() => urlView(page).range).not.toBeNull();
    const range = urlView(page).range!;
    expect(range[1] - range[0]).toBe(HOUR);
    await expectInStep(page, { host: 'db-raid', range }, 'nav-3-host-1h.png');
    const atRange = await settledView(page);
    expect(atRange.select).toBe(String(HOUR));

    await page.goBack();
    await expectInStep(page, { host: 'db-raid', range: null }, 'nav-4-back-host-live.png');
    expect((await screenView(page)).select).toBe('live');

    await page.goBack();
    await expectInStep(page, { host: null, range: null }, 'nav-5-back-overview.png');

    await page.goForward();
    await expectInStep(page, { host: 'db-raid', range: null }, 'nav-6-forward-host-live.png');

    await page.goForward();
    await expectInStep(page, { host: 'db-raid', range }, 'nav-7-forward-host-1h.png');
    // The same hour, said the same way; the control names it by its bounds once "now" has moved on.
    const restored = await settledView(page);
    expect(restored.label).toBe(atRange.label);
    expect(['custom', String(HOUR)]).toContain(restored.select);
    expect(errors).toEqual([]);
  });
});
