import { chromium, type Browser, type Page } from 'playwright-core';
import { serverProcess } from './process.js';
import { startFleet, type ScriptedHost } from './scripted-fleet.js';

/** Debian's Chromium, headless, with the network chatter this closed machine refuses turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page of its own at `url`, and the uncaught errors its scripts throw (a test expects none). */
export async function openPage(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number } = { width: 1400, height: 900 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/**
 * A server, a scripted fleet of `hosts` sending to it, and Chromium: what a console test starts before its
 * pages. `stop()` ends all three; what started is stopped if a later part fails to start.
 */
export async function consoleWithFleet(hosts: ScriptedHost[]) {
  const sp = await serverProcess({ token: 'agent-token' });
  const server = await sp.start();
  const fleet = startFleet(`ws://127.0.0.1:${sp.port}`, 'agent-token', hosts);
  const stopFleetAndServer = async () => {
    await fleet.stop();
    await server.stop();
  };
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await stopFleetAndServer();
    throw err;
  }
  return {
    base: sp.base,
    browser,
    stop: async () => {
      await browser.close();
      await stopFleetAndServer();
    },
  };
}
