import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../shared/protocol.js';
import { hookEvents, startReceiver, type Receiver } from '../../helpers/receiver.js';
import { getJson, runCli, serverProcess, tempDir, until, type Running } from '../../helpers/process.js';

/**
 * Grouping end to end: a real agent reads a procfs tree whose diskstats the
 * test drives like five saturating disks of one host; a real server evaluates
 * DiskSaturated and posts to two real webhook receivers. Per device, every
 * 100 ms with a queue of `depth`: io_ticks grows 100 ms, the weighted time
 * depth × 100 ms, so the average queue is `depth` — twice the 4 requests the
 * device holds at depth 8.
 */
const DEVICES = ['sdv', 'sdw', 'sdx', 'sdy', 'sdz'];

class DisksDriver {
  private readonly state = DEVICES.map(() => ({ reads: 100, ioMs: 0, weighted: 0, depth: 0 }));
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly file: string) {
    this.write();
    this.timer = setInterval(() => {
      for (const d of this.state)
        if (d.depth > 0) {
          d.reads += 10 * d.depth;
          d.ioMs += 100;
          d.weighted += 100 * d.depth;
        }
      this.write();
    }, 100);
  }

  depth(devices: string[], depth: number): void {
    for (const name of devices) this.state[DEVICES.indexOf(name)]!.depth = depth;
  }

  private write(): void {
    const lines = this.state.map(
      (d, i) =>
        `   8  ${16 * i} ${DEVICES[i]} ${d.reads} 0 ${d.reads * 8} ${d.weighted} 0 0 0 0 ${d.depth} ${d.ioMs} ${d.weighted}`,
    );
    writeFileSync(this.file, `${lines.join('\n')}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface Post {
  status: string;
  groupKey: string;
  alerts: { kind: string; labels: { device: string } }[];
}
const posts = (rx: Receiver, p: string) => rx.received.filter((x) => x.path === p).map((x) => x.body as Post);
const listed = (p: Post) => p.alerts.map((a) => `${a.kind} ${a.labels.device}`).sort();

describe('grouping through a real agent and server', () => {
  let rx: Receiver;
  let server: Running;
  let agent: Running;
  let driver: DisksDriver;
  afterAll(async () => {
    driver?.stop();
    await agent?.stop();
    await server?.stop();
    await rx?.close();
  });

  it('four disks saturating at once are one webhook post, a fifth pages within group_wait, the resolves are one post', async () => {
    rx = await startReceiver();
    const d = tempDir();
    const root = path.join(d, 'root');
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    for (const dev of DEVICES) {
      mkdirSync(path.join(root, `sys/block/${dev}/queue`), { recursive: true });
      writeFileSync(path.join(root, `sys/block/${dev}/queue/nr_requests`), '4\n');
    }
    driver = new DisksDriver(path.join(root, 'proc/diskstats'));
    writeFileSync(
      path.join(d, 'fast.yaml'),
      'rules:\n  - name: DiskSaturated\n    severity: critical\n    when: { metric: disk_saturated, op: ">=", value: 1 }\n    for: 1s\n    keep_firing_for: 2s\n    summary: "Disk {{device}} on {{host}} is saturated"\n',
    );
    // /a: group_wait 2 s, group_interval 3 s; /b: the same wait, but an hour between a group's messages
    writeFileSync(
      path.join(d, 'tidemark.yaml'),
      [
        'alerts:',
        '  defaultRules: false',
        `  rules: [${path.join(d, 'fast.yaml')}]`,
        '  groupWait: 2s',
        '  groupInterval: 3s',
        '  receivers:',
        `    - { name: a, type: webhook, url: ${rx.url}/a }`,
        `    - { name: b, type: webhook, url: ${rx.url}/b, groupInterval: 1h }`,
        '',
      ].join('\n'),
    );
    const srv = await serverProcess({
      dataDir: path.join(d, 'data'),
      args: ['--config', path.join(d, 'tidemark.yaml')],
    });
    server = await srv.start();
    agent = runCli(
      ['agent', '--server', `ws://127.0.0.1:${srv.port}`, '--agent-id', 'db1', '--interval-ms', '250', '--root', root],
      { TIDEMARK_TOKEN: 't' },
    );
    await agent.waitFor(/connected to server/);
    await until(
      async () =>
        (await getJson<HostSummary[]>(`${srv.base}/api/hosts`)).find((h) => h.id === 'db1' && h.stats.batches >= 4),
      10_000,
      'healthy samples',
    );

    // 1. four disks saturate together: one post per receiver, listing the four
    driver.depth(['sdv', 'sdw', 'sdx', 'sdy'], 8);
    await until(() => hookEvents(rx, '/a').length >= 4 && hookEvents(rx, '/b').length >= 4, 20_000, 'the four');
    await new Promise((r) => setTimeout(r, 4000)); // past /a's interval: a split-off second post would be here
    for (const p of ['/a', '/b']) {
      expect(posts(rx, p), p).toHaveLength(1);
      expect(posts(rx, p)[0]).toMatchObject({ status: 'firing', groupKey: 'db1/DiskSaturated' });
      expect(listed(posts(rx, p)[0]!)).toEqual(['trigger sdv', 'trigger sdw', 'trigger sdx', 'trigger sdy']);
    }

    // 2. a fifth disk: a page, so /b sends it after group_wait, not an hour after its last message
    driver.depth(['sdz'], 8);
    await until(() => posts(rx, '/b').length >= 2, 20_000, 'the fifth disk at /b');
    expect(listed(posts(rx, '/b')[1]!)).toEqual(['trigger sdz']);
    await until(() => posts(rx, '/a').length >= 2, 10_000, 'the fifth disk at /a');
    expect(listed(posts(rx, '/a')[1]!)).toEqual(['trigger sdz']);

    // 3. all clear: the five resolves reach /a as one post
    driver.depth(DEVICES, 0);
    await until(() => hookEvents(rx, '/a').filter((e) => e.kind === 'resolve').length >= 5, 30_000, 'the resolves');
    await new Promise((r) => setTimeout(r, 4000)); // a window for a split-off resolve post
    const a = posts(rx, '/a');
    expect(a).toHaveLength(3);
    expect(a[2]!.status).toBe('resolved');
    expect(listed(a[2]!)).toEqual(DEVICES.map((dev) => `resolve ${dev}`));
  }, 120_000);
});
