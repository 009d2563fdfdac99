import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readStampedUnderRoot, readUnderRoot } from '../../agent/procfs/read.js';
import { monoNowMs } from '../../agent/mono-clock.js';

const uptime = (text: string | null) => Number(text!.split(' ')[0]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('procfs reads on the real root (held descriptors, pread from offset 0)', () => {
  it('sees fresh text on every read, not the first read again', async () => {
    // /proc/uptime counts in hundredths of a second: 200 ms later it must be at least 0.19 s further
    const a = uptime(await readUnderRoot('/', 'proc/uptime'));
    await sleep(200);
    const b = uptime(await readUnderRoot('/', 'proc/uptime'));
    expect(b - a).toBeGreaterThanOrEqual(0.19);
    // and the same text a plain read gives, within the clock's step
    expect(Math.abs(uptime(readFileSync('/proc/uptime', 'utf8')) - b)).toBeLessThan(0.5);
  });

  it('stamps the read between the call and its return', async () => {
    const before = monoNowMs();
    const r = await readStampedUnderRoot('/', 'proc/stat');
    const after = monoNowMs();
    expect(r!.text.startsWith('cpu ')).toBe(true);
    expect(r!.monoMs).toBeGreaterThanOrEqual(before);
    expect(r!.monoMs).toBeLessThanOrEqual(after);
  });

  it('reads a file longer than one page whole', async () => {
    // /proc/self/maps of a Node process runs to several pages; a torn read would end mid-line
    const text = (await readUnderRoot('/', 'proc/self/maps'))!;
    expect(text.length).toBeGreaterThan(8192);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('returns null for a file that does not exist, as for a fixture root', async () => {
    expect(await readUnderRoot('/', 'proc/no-such-file')).toBeNull();
    expect(await readStampedUnderRoot('/', 'sys/block/no-such-device/stat')).toBeNull();
  });
});
