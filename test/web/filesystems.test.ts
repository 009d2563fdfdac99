import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, openPage } from '../helpers/browser.js';
import { REPO, runCli, serverProcess, tempDir, type Running } from '../helpers/process.js';

/**
 * The File systems panel and the next logrotate run, from an agent on a
 * constructed root: a mount on /dev/md2 (members sdb1, sdc1) holding
 * mongod's dbPath, and logrotate in /etc/cron.weekly run by /etc/crontab.
 */
describe('file systems and the logrotate schedule in headless Chromium', () => {
  let server: Running | undefined;
  let agent: Running | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await server?.stop();
  });

  it('shows each mount with the chain under it and what it holds, and when logrotate runs next', async () => {
    const d = tempDir();
    const root = path.join(d, 'root');
    const data = path.join(d, 'data');
    mkdirSync(path.join(data, 'db'), { recursive: true });
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    for (const m of ['sdb1', 'sdc1']) mkdirSync(path.join(root, 'sys/block/md2/slaves', m), { recursive: true });
    writeFileSync(path.join(root, 'proc/mounts'), `/dev/md2 ${data} ext4 rw,relatime 0 0\n`);
    mkdirSync(path.join(root, 'etc/cron.weekly'), { recursive: true });
    writeFileSync(path.join(root, 'etc/cron.weekly/logrotate'), '#!/bin/sh\n/usr/sbin/logrotate /etc/logrotate.conf\n');
    writeFileSync(path.join(root, 'etc/crontab'), '47 6\t* * 7\troot\tcd / && run-parts --report /etc/cron.weekly\n');
    const conf = path.join(d, 'mongod.conf');
    writeFileSync(conf, `storage:\n  dbPath: ${path.join(data, 'db')}\n`);
    const lr = path.join(d, 'logrotate.conf');
    writeFileSync(lr, `${d}/app.log {\n  missingok\n}\n`);

    const { port, start } = await serverProcess();
    server = await start();
    agent = runCli(
      [
        'agent',
        '--server',
        `ws://127.0.0.1:${port}`,
        '--agent-id',
        'db',
        '--root',
        root,
        '--mongod-config',
        conf,
        '--logrotate-config',
        lr,
        '--logrotate-state',
        path.join(d, 'status'),
      ],
      { TIDEMARK_TOKEN: 't' },
    );
    await agent.waitFor(/connected to server/);
    browser = await launchChromium();
    // The host view's deep link.
    const { page, errors } = await openPage(browser, `http://127.0.0.1:${port}/?host=db`, {
      width: 1400,
      height: 1000,
    });

    const row = page.locator(`#filesystems tr[data-mount="${data}"]`);
    await row.waitFor({ timeout: 15_000 });
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('/dev/md2 → md2 (sdb1, sdc1)');
    expect(text).toContain(`mongod dbPath ${path.join(data, 'db')}`);
    expect(text).toMatch(/\d+\.\d %/);
    // Sunday 06:47 local time in the browser, which shares this machine's clock and zone
    await expect
      .poll(() => page.locator('#logpaths .schedule').textContent(), { timeout: 10_000 })
      .toMatch(/^next rotation 06:47, in .+ \(cron runs \/etc\/cron\.weekly\)$/);
    await page.screenshot({ path: path.join(REPO, 'test-artifacts', 'filesystems.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
