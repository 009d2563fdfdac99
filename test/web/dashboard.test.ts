import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from '../helpers/browser.js';
import { REPO, freePort, runCli, tempDir, type Running } from '../helpers/process.js';
import { FIXTURES, PROCFS } from '../helpers/fixtures.js';
import { readFileSync } from 'node:fs';
import type { Document } from 'bson';
import { parseRecordedReply } from '../../agent/mongod/ejson.js';
import { startFakeMongod, type FakeMongod } from '../helpers/fake-mongod.js';

const ARTIFACTS = path.join(REPO, 'test-artifacts');

/** The dashboard opens on the overview; these tests run one agent, so they open its tile. */
async function openOnlyHost(page: Page): Promise<void> {
  const tile = page.locator('a.tile[data-host]');
  await tile.first().waitFor({ timeout: 10_000 });
  expect(await tile.count()).toBe(1);
  await tile.first().click();
  await page.locator('#host-page').waitFor();
}

/** `tidemark start` (server and agent) on a fixture root, watching the mongod at `uri`. */
async function startWithMongod(port: number, uri: string): Promise<Running> {
  const root = path.join(PROCFS, 'node_exporter');
  const app = runCli(['start', '--port', String(port), '--data-dir', tempDir(), '--root', root, '--mongod-uri', uri]);
  await app.waitFor(/connected to server/);
  return app;
}

describe('dashboard in headless Chromium', () => {
  let app: Running | null = null;
  let fixtureApp: Running | null = null;
  let logApp: Running | null = null;
  let mongoApp: Running | null = null;
  let fake: FakeMongod | null = null;
  let unreadableApp: Running | null = null;
  let unreadable: FakeMongod | null = null;
  let browser: Browser | null = null;

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await fixtureApp?.stop();
    await logApp?.stop();
    await mongoApp?.stop();
    await fake?.stop();
    await unreadableApp?.stop();
    await unreadable?.stop();
  });

  it('finds this host and its live charts gain points every second', async () => {
    const port = await freePort();
    // The README's main job, `tidemark start`, on a free port and a throw-away data dir.
    app = runCli(['start', '--port', String(port), '--data-dir', tempDir()]);
    await app.waitFor(/connected to server/);
    browser = await launchChromium();
    const { page, errors } = await openPage(browser, `http://127.0.0.1:${port}/`, { width: 1400, height: 1000 });

    await openOnlyHost(page);
    await expect.poll(() => page.locator('#host-header').getAttribute('data-connected')).toBe('true');
    await expect.poll(() => page.locator('#live-state').textContent(), { timeout: 10_000 }).toBe('live');
    // The header's OS line comes from the host's inventory, fetched on its own (the host list leaves inventories out).
    await expect.poll(() => page.locator('#host-meta').textContent(), { timeout: 15_000 }).toMatch(/kernel \d/);

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

    // History: the last 15 minutes from the store, then zoom with the wheel, then back to live.
    await page.selectOption('#range', '900000');
    await expect.poll(() => page.locator('#range-label').textContent()).toMatch(/ · 1 s points$/);
    expect(await page.locator('#live-state').textContent()).toBe('history');
    expect(Number(await util.getAttribute('data-points'))).toBeGreaterThan(0);
    const label = await page.locator('#range-label').textContent();
    await util.hover();
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await expect.poll(() => page.locator('#range-label').textContent()).not.toBe(label);
    await page.selectOption('#range', 'live');
    await expect.poll(() => page.locator('#live-state').textContent()).toBe('live');

    for (const metric of [
      'cpu',
      'disk_aqu_sz',
      'disk_r_await_ms',
      'disk_w_await_ms',
      'disk_in_flight',
      'disk_r_per_s',
      'io_pressure_avg10_percent',
    ]) {
      expect(await page.locator(`.chart[data-metric="${metric}"] canvas`).count(), metric).toBe(1);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows a degraded, recovering array with its missing member and progress (agent on a fixture root)', async () => {
    const port = await freePort();
    fixtureApp = runCli([
      'start',
      '--port',
      String(port),
      '--data-dir',
      tempDir(),
      '--root',
      path.join(PROCFS, 'prometheus-procfs'),
    ]);
    await fixtureApp.waitFor(/connected to server/);
    browser ??= await launchChromium();
    const { page, errors } = await openPage(browser, `http://127.0.0.1:${port}/`, { width: 1400, height: 1100 });

    // The overview says at a glance that an array is degraded: md6 is, and it is rebuilding.
    const tile = page.locator('a.tile[data-host]');
    await expect.poll(() => tile.getAttribute('data-health'), { timeout: 10_000 }).toBe('bad');
    await expect
      .poll(() => tile.locator('.reason').getAttribute('title'))
      .toMatch(/^md6 degraded \(1 missing, recovery 8\.5 %\)$/m);
    await openOnlyHost(page);

    // md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0] [2/1] [U_] recovery = 8.5% … finish=17.0min speed=259783K/sec
    const md6 = page.locator('.array[data-array="md6"]');
    await md6.waitFor({ timeout: 10_000 });
    expect(await md6.getAttribute('data-health')).toBe('rebuilding');
    expect(await md6.locator('.badge.health').textContent()).toBe('rebuilding');
    expect(await md6.locator('.facts').textContent()).toBe(
      '1 of 2 disks working · slot 1 missing · 1 failed · 1 spare',
    );
    expect(await md6.locator('tr[data-member="sdb2"]').getAttribute('data-state')).toBe('faulty');
    expect(await md6.locator('tr[data-member="sda2"]').getAttribute('data-state')).toBe('in_sync');
    expect(Number(await md6.locator('.sync progress').getAttribute('value'))).toBe(8.5);
    expect(await md6.locator('.sync-label').textContent()).toBe('recovery 8.5 % · 253.7 MB/s · 17 min left');
    // A clean array beside it, and the queue-depth charts of the arrays.
    expect(await page.locator('.array[data-array="md3"]').getAttribute('data-health')).toBe('clean');
    expect(await page.locator('#raid-charts .chart[data-metric="raid_array_aqu_sz"] canvas').count()).toBe(1);
    await md6.scrollIntoViewIfNeeded();
    mkdirSync(ARTIFACTS, { recursive: true });
    await md6.screenshot({ path: path.join(ARTIFACTS, 'raid-md6.png') });

    // The degraded arrays fire RaidDegraded at once: the alerts list shows them; silence one, ack another.
    const md6Alert = page.locator('.alert-row[data-rule="RaidDegraded"]', { hasText: 'md6' });
    await md6Alert.waitFor({ timeout: 10_000 });
    expect(await md6Alert.getAttribute('data-state')).toBe('firing');
    expect(await md6Alert.locator('.summary').textContent()).toMatch(
      /^md array md6 on .+ is degraded: 1 disk\(s\) missing$/,
    );
    await md6Alert.locator('button.silence').click();
    await expect.poll(() => md6Alert.getAttribute('data-state')).toBe('silenced');
    expect(await page.locator('.silence-row').count()).toBe(1);
    const md42Alert = page.locator('.alert-row[data-rule="RaidDegraded"]', { hasText: 'md42' });
    await md42Alert.locator('button.ack').click();
    await expect.poll(() => md42Alert.locator('.state').textContent()).toBe('firing, acked');
    await page.locator('#alerts').screenshot({ path: path.join(ARTIFACTS, 'alerts.png') });
    await page.screenshot({ path: path.join(ARTIFACTS, 'raid.png') });
    expect(errors).toEqual([]);
  });

  it("shows the 'Log paths' panel: the outage's missing log directory, then ok once the config changes", async () => {
    const d = tempDir();
    const gone = `${d}/array2/mongodb`;
    const lr = `${d}/logrotate.conf`;
    const write = (file: string, text: string) => {
      writeFileSync(file, text);
      chmodSync(file, 0o644);
    };
    write(`${d}/mongod.conf`, `systemLog:\n  destination: file\n  logAppend: true\n  path: ${gone}/mongod.log\n`);
    write(
      lr,
      `${gone}/mongod.log {\n  rotate 7\n  postrotate\n    kill -USR1 $(cat ${d}/mongod.pid)\n  endscript\n}\n`,
    );
    const port = await freePort();
    logApp = runCli([
      'start',
      '--port',
      String(port),
      '--data-dir',
      tempDir(),
      '--logrotate-config',
      lr,
      '--logrotate-state',
      `${d}/status`,
      '--mongod-config',
      `${d}/mongod.conf`,
      '--mongod-user',
      'root',
    ]);
    await logApp.waitFor(/connected to server/);
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(`http://127.0.0.1:${port}/`);

    const tile = page.locator('a.tile[data-host]');
    await expect
      .poll(() => tile.locator('.reason').textContent(), { timeout: 10_000 })
      .toMatch(/^log paths: 3 errors \(logrotate, mongod-config\)/);
    expect(await tile.getAttribute('data-health')).toBe('bad');
    await openOnlyHost(page);
    const logrotate = page.locator('.check[data-check="logrotate"]');
    await expect.poll(() => logrotate.getAttribute('data-ok'), { timeout: 10_000 }).toBe('false');
    const missing = logrotate.locator('.finding[data-code="missing-parent-dir"]');
    expect(await missing.locator('.message').textContent()).toContain(`directory ${d}/array2 does not exist`);
    expect(await missing.locator('.where').textContent()).toBe(`error · ${lr}:1 · ${gone}/mongod.log`);
    // …and the rename-without-create plus SIGUSR1 that kills mongod 2.4–4.4 (logRotate defaults to rename)
    expect(await logrotate.locator('.finding[data-code="mongod-rename-crash"]').count()).toBe(1);
    const mongod = page.locator('.check[data-check="mongod-config"]');
    expect(await mongod.getAttribute('data-ok')).toBe('false');
    expect(await mongod.locator('.finding[data-code="log-dir-missing"] .where').textContent()).toBe(
      `error · ${d}/mongod.conf:4 · ${gone}/mongod.log`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#logpaths').screenshot({ path: path.join(ARTIFACTS, 'logpaths-failing.png') });

    // The operator restores the directory and fixes the block; the changed file triggers a check at once.
    mkdirSync(gone, { recursive: true });
    writeFileSync(`${gone}/mongod.log`, 'x\n');
    write(lr, `${gone}/mongod.log {\n  rotate 7\n  copytruncate\n}\n`);
    await expect.poll(() => logrotate.getAttribute('data-ok'), { timeout: 15_000 }).toBe('true');
    await expect.poll(() => mongod.getAttribute('data-ok'), { timeout: 15_000 }).toBe('true');
  });

  it('shows the mongod panel with lock wait % and the replica set in words (3 members + arbiter)', async () => {
    const reply = (rel: string) => parseRecordedReply(readFileSync(path.join(FIXTURES, 'mongo', rel), 'utf8'));
    const ss = reply('3.6.20-wiredtiger/getDiagnosticData.json').serverStatus as Document;
    let uptime = Number(ss.uptimeMillis);
    fake = await startFakeMongod({
      serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
      replSetGetStatus: () => reply('4.2-replset-arbiter-primary-view/replSetGetStatus.json'),
      replSetGetConfig: () => ({ ...reply('4.2-replset-arbiter-primary-view/replSetGetConfig.json'), ok: 1 }),
    });
    const port = await freePort();
    mongoApp = await startWithMongod(port, fake.uri);
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    // 4 voters, majority 3: elections survive 1 failure; majority writes (3 data-bearing voters, write majority 3) none.
    await expect
      .poll(() => page.locator('a.tile .reason').getAttribute('title'), { timeout: 15_000 })
      .toMatch(/^replica set replset: majority writes survive no failure$/m);
    await openOnlyHost(page);
    const card = page.locator('.mongod[data-up="true"]');
    await card.waitFor({ timeout: 15_000 });
    await expect
      .poll(() => card.locator('tr[data-fact="lock wait %"] td').textContent(), { timeout: 10_000 })
      .toBe('0 %');
    // connections.current 20 of current + available = 20 + 838840
    expect(await card.locator('tr[data-fact="connections"] td').textContent()).toBe('20 used of 838860 (0.0 %)');
    const rs = page.locator('.replset[data-set="replset"]');
    expect(await rs.getAttribute('data-ok')).toBe('false');
    expect(await rs.locator('.summary').textContent()).toMatch(
      /^4 voters, majority 3: the set survives 1 failure, the same as 3 voters; majority writes survive none\./,
    );
    expect(await rs.locator('tr[data-member]').count()).toBe(4);
    expect(await page.locator('#mongod-charts .chart[data-metric="mongod_lock_percent"] canvas').count()).toBe(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#mongod').screenshot({ path: path.join(ARTIFACTS, 'mongod.png') });
  });

  // A member whose replSetGetStatus is refused (no privilege) while serverStatus still answers and names the primary.
  it('shows a replica set the agent cannot read as unknown, why, and the primary serverStatus names; never "at risk"', async () => {
    const recorded = parseRecordedReply(
      readFileSync(path.join(FIXTURES, 'mongo', '4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
    );
    const ss = recorded.serverStatus as Document; // repl: set rs1, primary 172.19.0.9:27017
    let uptime = Number(ss.uptimeMillis);
    const refused = 'not authorized on admin to execute command { replSetGetStatus: 1 }';
    unreadable = await startFakeMongod({
      serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
      replSetGetStatus: () => ({ ok: 0, errmsg: refused, code: 13, codeName: 'Unauthorized' }),
    });
    const port = await freePort();
    unreadableApp = await startWithMongod(port, unreadable.uri);
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    // serverStatus names a primary: a warning, with the reason and the primary in the line.
    await expect
      .poll(() => page.locator('a.tile .reason').first().getAttribute('title'), { timeout: 15_000 })
      .toContain(`replica set rs1: state unknown (replSetGetStatus: ${refused}); primary 172.19.0.9:27017`);
    await openOnlyHost(page);
    const card = page.locator('.replset[data-set="rs1"]');
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-ok')).toBe('false');
    expect(await card.locator('.badge').textContent()).toBe('state unknown');
    const lines = await card.locator('p.error').allTextContents();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^state unknown since \w{3} \d{1,2} \d\d:\d\d: replSetGetStatus: not authorized on admin/);
    expect(lines[1]).toBe('primary 172.19.0.9:27017, as this member sees it');
    expect(await card.locator('tr[data-member]').count()).toBe(0);
  });
});
