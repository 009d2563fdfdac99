import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import type { HostSummary } from '../../../shared/protocol.js';
import { CLI, getJson, runCli, tempDir, until, serverProcess, type Running } from '../../helpers/process.js';

/**
 * A disk-saturation episode end to end: a real agent reads a procfs tree whose
 * diskstats the test advances like a saturated disk, a real server evaluates
 * the rules and pages a real HTTP receiver speaking the PagerDuty Events API v2.
 */
class DiskDriver {
  private reads = 0;
  private ioMs = 0;
  private weighted = 0;
  private timer: NodeJS.Timeout;
  depth = 0;

  constructor(private readonly file: string) {
    this.write();
    this.timer = setInterval(() => {
      // Every 100 ms: with a queue of `depth`, io_ticks grows 100 ms and the weighted time depth × 100 ms.
      if (this.depth > 0) {
        this.reads += 10 * this.depth;
        this.ioMs += 100;
        this.weighted += 100 * this.depth;
      }
      this.write();
    }, 100);
  }

  private write(): void {
    writeFileSync(
      this.file,
      `   8     400 sdz ${this.reads} 0 ${this.reads * 8} ${this.weighted} 0 0 0 0 ${this.depth} ${this.ioMs} ${this.weighted}\n`,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

describe('a disk-saturation episode through a real agent and server', () => {
  let receiver: Receiver;
  let server: Running;
  let agent: Running;
  let driver: DiskDriver;
  afterAll(async () => {
    driver?.stop();
    await agent?.stop();
    await server?.stop();
    await receiver?.close();
  });

  it('pages exactly one trigger and one resolve with the same dedup_key, across a server restart mid-incident', async () => {
    receiver = await startReceiver();
    const d = tempDir();
    const root = path.join(d, 'root');
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    mkdirSync(path.join(root, 'sys/block/sdz/queue'), { recursive: true });
    // a queue of 4 requests: a depth of 8 is twice what the device can hold
    writeFileSync(path.join(root, 'sys/block/sdz/queue/nr_requests'), '4\n');
    driver = new DiskDriver(path.join(root, 'proc/diskstats'));
    writeFileSync(
      path.join(d, 'fast.yaml'),
      'rules:\n  - name: DiskSaturated\n    severity: critical\n    when: { metric: disk_saturated, op: ">=", value: 1 }\n    for: 1s\n    keep_firing_for: 2s\n    summary: "Disk {{device}} on {{host}} is saturated"\n',
    );
    const config = path.join(d, 'tidemark.yaml');
    writeFileSync(
      config,
      `alerts:\n  defaultRules: false\n  rules: [${path.join(d, 'fast.yaml')}]\n  receivers:\n    - { type: pagerduty, routingKey: R0UTINGKEY, url: ${receiver.url}/v2/enqueue }\n`,
    );
    const {
      port,
      base,
      start: startServer,
    } = await serverProcess({
      dataDir: path.join(d, 'data'),
      args: ['--config', config],
    });
    server = await startServer();
    agent = runCli(
      ['agent', '--server', `ws://127.0.0.1:${port}`, '--agent-id', 'db1', '--interval-ms', '250', '--root', root],
      { TIDEMARK_TOKEN: 't' },
    );
    await agent.waitFor(/connected to server/);
    await until(
      async () =>
        (await getJson<HostSummary[]>(`${base}/api/hosts`)).find((h) => h.id === 'db1' && h.stats.batches >= 4),
      10_000,
      'healthy samples to arrive',
    );
    await new Promise((r) => setTimeout(r, 1000)); // past the rule's 1 s `for`: a healthy disk must page nothing
    expect(receiver.received).toEqual([]);

    driver.depth = 8;
    await until(() => receiver.received.length >= 1, 10_000, 'the trigger');
    // restart the server while the disk stays saturated
    await server.stop();
    server = await startServer();
    await agent.waitFor(/connected to server.*\n(.|\n)*connected to server/, 15_000);
    await new Promise((r) => setTimeout(r, 3000)); // a window in which the restarted server must not page again
    expect(receiver.received).toHaveLength(1);

    driver.depth = 0;
    await until(() => receiver.received.length >= 2, 15_000, 'the resolve');
    await new Promise((r) => setTimeout(r, 2000)); // a window in which nothing may follow the resolve
    const events = receiver.received.map(
      (x) =>
        x.body as {
          routing_key: string;
          event_action: string;
          dedup_key: string;
          payload: { summary: string; source: string; severity: string };
        },
    );
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(events[0]!.dedup_key).toBe(events[1]!.dedup_key);
    expect(events[0]).toMatchObject({
      routing_key: 'R0UTINGKEY',
      payload: { summary: 'Disk sdz on db1 is saturated', source: 'db1', severity: 'critical' },
    });
    expect(receiver.received.every((x) => x.path === '/v2/enqueue')).toBe(true);
  });
});

describe('tidemark rules check', () => {
  it('names the line of each error and exits 1; exits 0 for the shipped rules', () => {
    const d = tempDir();
    const bad = path.join(d, 'bad.yaml');
    writeFileSync(
      bad,
      'rules:\n  - name: Ok\n    when: { metric: disk_util_percent, value: 90 }\n  - name: Broken\n    when: { metric: disk_util_percent, fn: avg, value: 90 }\n    for: 5 minutes\n',
    );
    const r = spawnSync(process.execPath, [CLI, 'rules', 'check', bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${bad}:5: fn avg needs a window: add over: 1m`,
      `${bad}:6: for must be a duration like 30s, 5m, 1h`,
    ]);
    const shipped = spawnSync(
      process.execPath,
      [CLI, 'rules', 'check', ...['agent', 'disk', 'logpaths', 'mongod', 'raid'].map((f) => `rules/${f}.yaml`)],
      { encoding: 'utf8' },
    );
    expect(shipped.status).toBe(0);
  });
});
