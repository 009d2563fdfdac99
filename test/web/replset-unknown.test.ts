import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Document } from 'bson';
import { launchChromium } from '../helpers/browser.js';
import { freePort, runCli, tempDir, type Running } from '../helpers/process.js';
import { FIXTURES, PROCFS } from '../helpers/fixtures.js';
import { parseRecordedReply } from '../../agent/mongod/ejson.js';
import { startFakeMongod, type FakeMongod } from '../helpers/fake-mongod.js';

/**
 * A member whose replSetGetStatus is refused (no privilege) while serverStatus still answers and names the
 * primary: what the person on call reads on the overview and the host page.
 */
describe('a replica set the agent cannot read, in headless Chromium', () => {
  let app: Running | undefined;
  let fake: FakeMongod | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await fake?.stop();
  });

  it('says its state is unknown, why, and the primary serverStatus names; never "at risk"', async () => {
    const recorded = parseRecordedReply(
      readFileSync(path.join(FIXTURES, 'mongo', '4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
    );
    const ss = recorded.serverStatus as Document; // repl: set rs1, primary 172.19.0.9:27017
    let uptime = Number(ss.uptimeMillis);
    const refused = 'not authorized on admin to execute command { replSetGetStatus: 1 }';
    fake = await startFakeMongod({
      serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
      replSetGetStatus: () => ({ ok: 0, errmsg: refused, code: 13, codeName: 'Unauthorized' }),
    });
    const port = await freePort();
    app = runCli([
      'start',
      '--port',
      String(port),
      '--data-dir',
      tempDir(),
      '--root',
      path.join(PROCFS, 'node_exporter'),
      '--mongod-uri',
      fake.uri,
    ]);
    await app.waitFor(/connected to server/);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    // serverStatus names a primary: a warning, with the reason and the primary in the line.
    await expect
      .poll(() => page.locator('a.tile .reason').first().getAttribute('title'), { timeout: 15_000 })
      .toContain(`replica set rs1: state unknown (replSetGetStatus: ${refused}); primary 172.19.0.9:27017`);
    await page.locator('a.tile[data-host]').first().click();
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
