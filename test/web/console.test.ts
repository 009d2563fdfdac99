import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from '../helpers/browser.js';
import { REPO, serverProcess, type Running } from '../helpers/process.js';
import { replset, startFleet, type ScriptedHost } from '../helpers/scripted-fleet.js';
import { seriousViolations } from '../helpers/axe.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');
const shot = (name: string) => path.join(ARTIFACTS, name);

// rs0 as its primary db-rs-1 sees it: db-rs-3 (whose agent reports its mongod down) is unreachable.
const RS0 = replset(
  'rs0',
  ['db-rs-1.example:27017', 'db-rs-2.example:27017', 'db-rs-3.example:27017'],
  ['db-rs-3.example:27017'],
);

const FLEET: ScriptedHost[] = [
  { id: 'db-sat', trouble: 'saturated' },
  { id: 'db-raid', trouble: 'degraded' },
  { id: 'db-logs', trouble: 'logpaths' },
  { id: 'db-tickets', trouble: 'tickets' },
  { id: 'db-rs-1', hostname: 'db-rs-1.example', trouble: null, replset: RS0 },
  { id: 'db-rs-2', hostname: 'db-rs-2.example', trouble: null, replset: RS0 },
  { id: 'db-rs-3', hostname: 'db-rs-3.example', trouble: 'mongod-down' },
  ...Array.from({ length: 13 }, (_, i) => ({ id: `db-ok-${String(i + 1).padStart(2, '0')}`, trouble: null })),
];

/**
 * The verdicts the server must reach, worked out by hand from the rules in
 * server/health.ts: a saturated disk, a degraded array, failing log paths,
 * tickets at 100 % and mongod down are "bad"; a set that survives no further
 * failure (3 voters, majority 2, 2 healthy: 2 − 2 = 0) is "warn". Bad first,
 * then warn, then ok; by id within a level.
 */
const EXPECTED: [string, string, string][] = [
  ['db-logs', 'bad', 'log paths: 2 errors (logrotate)'],
  ['db-raid', 'bad', 'md0 degraded (1 missing, recovery 42.0 %)'],
  ['db-rs-3', 'bad', 'mongod down: connect ECONNREFUSED 127.0.0.1:27017'],
  ['db-sat', 'bad', 'disk sdb saturated (queue 97, 100 % util)'],
  // tickets at 100 % (bad) and 40 operations queued (warn, ≥ 10)
  ['db-tickets', 'bad', 'mongod write tickets exhausted (100 %) (+1 more)'],
  ['db-rs-1', 'warn', 'replica set rs0 survives no failure'],
  ['db-rs-2', 'warn', 'replica set rs0 survives no failure'],
  ['db-ok-01', 'ok', 'ok'],
];

/** The mounted tiles in screen order (the virtualised grid positions them with transforms): [host, health, reason]. */
async function tiles(page: Page): Promise<[string, string, string][]> {
  return page.evaluate<[string, string, string][]>(`[...document.querySelectorAll('.tile-slot')]
    .map((s) => ({ m: new DOMMatrix(getComputedStyle(s).transform), a: s.querySelector('a.tile') }))
    .sort((x, y) => x.m.m42 - y.m.m42 || x.m.m41 - y.m.m41)
    .map(({ a }) => [a.dataset.host, a.dataset.health, a.querySelector('.reason').textContent])`);
}

const shownHosts = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('a.tile')].map((a) => a.dataset.host)`);

describe('the fleet console in headless Chromium', () => {
  let server: Running;
  let base: string;
  let fleet: { stop: () => Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const sp = await serverProcess({ token: 'agent-token' });
    server = await sp.start();
    base = sp.base;
    fleet = startFleet(`ws://127.0.0.1:${sp.port}`, 'agent-token', FLEET);
    browser = await launchChromium();
  }, 30_000);

  // Each test's pages close after it: open live pages keep redrawing and would slow the next test down.
  afterEach(async () => {
    await Promise.all(browser.contexts().flatMap((c) => c.pages().map((p) => p.close())));
  });

  afterAll(async () => {
    await fleet?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('puts the hosts in trouble first, each with the right reason', async () => {
    const { page, errors } = await openPage(browser, `${base}/`);
    await expect
      .poll(() => tiles(page).then((t) => t.slice(0, EXPECTED.length)), { timeout: 15_000 })
      .toEqual(EXPECTED);
    expect(await page.locator('a.tile').count()).toBe(FLEET.length);
    expect(await page.locator('#overview-counts').textContent()).toBe('20 hosts · 5 bad · 2 warn · 0 info · 13 ok');
    await page.screenshot({ path: shot('overview.png') });

    // Search and the filters narrow the tiles.
    await page.fill('#overview-search', 'tickets');
    await expect.poll(() => page.locator('a.tile').count()).toBe(1);
    await page.fill('#overview-search', '');
    await page.selectOption('#overview-health', 'warn');
    await expect.poll(() => shownHosts(page)).toEqual(['db-rs-1', 'db-rs-2']);
    await page.selectOption('#overview-health', '');
    await page.selectOption('#overview-set', 'rs0');
    await expect.poll(() => page.locator('a.tile').count()).toBe(2);
    await page.selectOption('#overview-set', '');
    await expect.poll(() => shownHosts(page).then((h) => h.slice(0, 2))).toEqual(['db-logs', 'db-raid']);

    // Keyboard: Tab reaches the first tile, arrows move, Enter opens.
    await page.locator('a.tile').first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate<string>('document.activeElement.dataset.host')).toBe('db-raid');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#host-title').textContent()).toBe('db-raid');
    expect(new URL(page.url()).searchParams.get('host')).toBe('db-raid');
    expect(await page.title()).toBe('db-raid · Tidemark');
    await page.goBack();
    await expect.poll(() => page.locator('#overview-page').isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('maps replica-set members to the hosts whose agents run on them', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${base}/?view=replsets`);
    const set = page.locator('.replset-view[data-set="rs0"]');
    await set.waitFor({ timeout: 10_000 });
    expect(await set.getAttribute('data-health')).toBe('warn');
    const row = (m: string) => set.locator(`tr[data-member="${m}"]`);
    expect(await row('db-rs-1.example:27017').locator('a[data-host]').getAttribute('data-host')).toBe('db-rs-1');
    expect(await row('db-rs-2.example:27017').locator('a[data-host]').getAttribute('data-host')).toBe('db-rs-2');
    const down = row('db-rs-3.example:27017');
    expect(await down.getAttribute('data-state')).toBe('down');
    expect(await down.locator('a[data-host]').getAttribute('data-health')).toBe('bad');
    expect(await set.locator('.summary').textContent()).toBe(RS0.summary);
    await page.screenshot({ path: shot('replsets.png') });
  });

  it('opens a host from an alert link at the alert time with its series highlighted', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/?view=alerts`);
    const group = page.locator('.alert-group[data-host="db-raid"][data-rule="RaidDegraded"]');
    await group.waitFor({ timeout: 15_000 });
    await expect.poll(() => group.locator('.facts').textContent()).toMatch(/value 1\.00 disks$/);
    await page.screenshot({ path: shot('alerts-page.png') });
    const alert = await page.evaluate(async () => {
      const r = await fetch('/api/alerts');
      const body = (await r.json()) as { alerts: { host: string; rule: string; startsAt: number }[] };
      return body.alerts.find((a) => a.host === 'db-raid' && a.rule === 'RaidDegraded')!;
    });
    await group.locator('a.summary').click();
    await expect.poll(() => page.locator('#host-title').textContent()).toBe('db-raid');
    const url = new URL(page.url());
    // 15 minutes either side of the start, cut at now.
    expect(Number(url.searchParams.get('from'))).toBe(alert.startsAt - 15 * 60_000);
    expect(Number(url.searchParams.get('to'))).toBeLessThanOrEqual(alert.startsAt + 15 * 60_000);
    expect(url.searchParams.getAll('hl')).toEqual(['md0']);
    // 'connecting' until the view's own dashboard socket is up, then 'history' (never 'live': the range is past).
    await expect.poll(() => page.locator('#live-state').textContent()).toBe('history');
    expect(await page.locator('#history-note').isVisible()).toBe(true);
    await expect
      .poll(() => page.locator('.chart[data-metric="raid_array_aqu_sz"]').getAttribute('data-highlighted'), {
        timeout: 10_000,
      })
      .toBe('md0');
    await page.screenshot({ path: shot('alert-link.png'), fullPage: true });

    // The same URL opened afresh reproduces the view: a deep link.
    const again = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await again.goto(page.url());
    await expect.poll(() => again.locator('#host-title').textContent()).toBe('db-raid');
    await expect.poll(() => again.locator('#live-state').textContent()).toBe('history');
    const label = await page.locator('#range-label').textContent();
    await expect.poll(() => again.locator('#range-label').textContent()).toBe(label);
    // Back to live leaves history and the URL's range.
    await again.click('#back-to-live');
    await expect.poll(() => again.locator('#live-state').textContent()).toBe('live');
    expect(new URL(again.url()).searchParams.has('from')).toBe(false);
  });

  it('keeps a live view live when the page is wheel-scrolled over charts; Ctrl + wheel zooms', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    await page.goto(`${base}/?host=db-sat`);
    const util = page.locator('.chart[data-metric="disk_util_percent"]');
    await expect.poll(() => util.getAttribute('data-points').then(Number), { timeout: 10_000 }).toBeGreaterThan(0);
    await util.hover();
    const before = await page.evaluate<number>('window.scrollY');
    await page.mouse.wheel(0, 400);
    await expect.poll(() => page.evaluate<number>('window.scrollY')).toBeGreaterThan(before);
    expect(await page.locator('#live-state').textContent()).toBe('live');
    expect(new URL(page.url()).searchParams.has('from')).toBe(false);
    // With Ctrl held the wheel zooms that chart into a fixed range.
    await util.hover();
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await expect.poll(() => page.locator('#live-state').textContent()).toBe('history');
    expect(await page.locator('#back-to-live').isVisible()).toBe(true);
    await page.click('#back-to-live');
    await expect.poll(() => page.locator('#live-state').textContent()).toBe('live');
    // The stacked CPU chart, throughput in MB/s and connections of their limit.
    // (the mongod charts appear with the host's first mongod figures, which may come a second after the disks')
    for (const id of ['cpu', 'disk_throughput', 'mongod_connections'])
      await expect.poll(() => page.locator(`.chart[data-metric="${id}"] canvas`).count(), { message: id }).toBe(1);
    await page.screenshot({ path: shot('host-view.png'), fullPage: true });
  });

  it('passes axe-core with no serious or critical violations on every page, dark and light', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [url, ready] of [
        ['/', 'a.tile'],
        ['/?host=db-raid', '.array[data-array="md0"]'],
        ['/?view=replsets', '.replset-view'],
        ['/?view=alerts', '.alert-group'],
      ] as const) {
        await page.goto(`${base}${url}`);
        await page.locator(ready).first().waitFor({ timeout: 15_000 });
        expect(await seriousViolations(page), `${scheme} ${url}`).toEqual([]);
      }
    }
    await page.goto(`${base}/`);
    await page.locator('a.tile').first().waitFor();
    await page.screenshot({ path: shot('overview-light.png') });
  });

  it('lays out at phone width', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${base}/`);
    await page.locator('a.tile').first().waitFor({ timeout: 10_000 });
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - 390');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('overview-phone.png') });
    await page.goto(`${base}/?host=db-rs-1`);
    await page.locator('.replset').first().waitFor({ timeout: 10_000 });
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('host-phone.png'), fullPage: true });
  });

  it('says prominently that data is stale within 5 s of the server dying', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${base}/?host=db-ok-01`);
    await expect.poll(() => page.locator('#live-state').textContent(), { timeout: 10_000 }).toBe('live');
    expect(await page.locator('#stale-banner').isVisible()).toBe(false);
    await server.stop('SIGKILL');
    await page.locator('#stale-banner').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.locator('#stale-text').textContent()).toMatch(
      /^Live connection lost at \d\d:\d\d:\d\d: everything shown is stale since then/,
    );
    expect(await page.locator('#live-state').textContent()).toBe('offline');
    await page.screenshot({ path: shot('stale.png') });
  });
});
