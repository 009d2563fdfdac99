import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

const isRoot = process.getuid?.() === 0;

/**
 * A real tmpfs filled at a steady rate by the test, watched by a real agent
 * and server with the shipped rules: the forecast must name the moment it
 * fills, and FilesystemFillsWithin4h must page before that moment.
 */
describe.skipIf(!isRoot)('time to full on a filling file system', () => {
  const dir = tempDir('tidemark-fill-');
  const mnt = path.join(dir, 'data');
  let receiver: Receiver | undefined;
  let server: Running | undefined;
  let agent: Running | undefined;
  let filler: NodeJS.Timeout | undefined;
  afterAll(async () => {
    clearInterval(filler);
    await agent?.stop();
    await server?.stop();
    await receiver?.close();
    try {
      execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
  });

  it('forecasts the fill within 20 % and pages "fills within 4 h" before it is full', async () => {
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tidemark-fill', mnt]);
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    // this host's mount table, as far as the agent is concerned: the tmpfs alone
    writeFileSync(path.join(root, 'proc/mounts'), `tidemark-fill ${mnt} tmpfs rw,relatime,size=32768k 0 0\n`);
    receiver = await startReceiver();
    const { port, start } = await serverProcess({ args: ['--webhook', receiver.url] });
    server = await start();
    agent = runCli(
      ['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'db', '--interval-ms', '250', '--root', root],
      { TIDEMARK_TOKEN: 't' },
    );
    await agent.waitFor(/connected to server/);

    // 64 KiB every 200 ms: 320 KiB/s, so 32 MiB fills in about 102 s
    const chunk = Buffer.alloc(64 * 1024, 1);
    const file = path.join(mnt, 'data.bin');
    let fullAt = 0;
    filler = setInterval(() => {
      try {
        appendFileSync(file, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        fullAt ||= Date.now();
        clearInterval(filler);
      }
    }, 200);
    const startedAt = Date.now();

    // A forecast taken a third of the way in.
    await new Promise((r) => setTimeout(r, 35_000));
    const base = `http://127.0.0.1:${port}`;
    const ttf = await getJson<{ series: { labels: Record<string, string>; points: [number, number][] }[] }>(
      `${base}/api/series?host=db&metric=fs_time_to_full_seconds&from=now-10s`,
    );
    expect(ttf.series).toHaveLength(1);
    expect(ttf.series[0]!.labels).toEqual({ mountpoint: mnt, device: 'tidemark-fill', fstype: 'tmpfs' });
    const [forecastTs, forecastS] = ttf.series[0]!.points.at(-1)!;
    const predictedFull = forecastTs + forecastS * 1000;
    expect(fullAt).toBe(0);

    await until(() => fullAt, 150_000, 'the file system to fill');
    const actualRemaining = fullAt - forecastTs;
    expect(Math.abs(predictedFull - fullAt)).toBeLessThanOrEqual(0.2 * actualRemaining);

    const page = receiver.received.find((r) => JSON.stringify(r.body).includes('FilesystemFillsWithin4h'));
    expect(page, 'FilesystemFillsWithin4h paged').toBeDefined();
    expect(page!.at).toBeLessThan(fullAt);
    expect(page!.at).toBeGreaterThan(startedAt);
    expect(JSON.stringify(page!.body)).toContain(mnt);
  }, 200_000);
});
