import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { runCli, serverProcess, tempDir, until } from '../../helpers/process.js';

/**
 * `tidemark simulate --scenario gitter-2016` end to end (issue 18, "the outage
 * replayed"): the simulator as a real process, three simulated agents on the
 * real protocol, a real server with the shipped rules, and a real HTTP
 * receiver standing in for Slack to capture the notifications' text.
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const local = (day: number, h: number, m: number) => new Date(2016, 5, day, h, m).getTime();
const S = 1000;
const MIN = 60 * S;

async function serverWithSlack(): Promise<{ port: number; rx: Receiver }> {
  const rx = await startReceiver();
  cleanup.push(() => rx.close());
  const d = tempDir();
  writeFileSync(
    path.join(d, 'tidemark.yaml'),
    `alerts:\n  receivers:\n    - { name: chat, type: slack, url: ${rx.url}/slack }\n`,
  );
  const srv = await serverProcess({ dataDir: path.join(d, 'data'), args: ['--config', path.join(d, 'tidemark.yaml')] });
  const server = await srv.start();
  cleanup.push(() => server.stop());
  return { port: srv.port, rx };
}

async function play(port: number, extra: string[]): Promise<{ code: number | null; stdout: string }> {
  const sim = runCli(
    ['simulate', '--scenario', 'gitter-2016', '--server', `ws://127.0.0.1:${port}`, '--speed', '300', ...extra],
    {
      TIDEMARK_TOKEN: 't',
    },
  );
  cleanup.push(() => sim.stop());
  let stdout = '';
  sim.proc.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number | null>((resolve) => sim.proc.once('exit', resolve));
  return { code, stdout };
}

interface Link {
  link: string;
  cause_at: number;
  paged_at: number | null;
  outage_at: number;
  alert: string | null;
}

describe('simulate --scenario gitter-2016', () => {
  it('--json: every link paged before the outage, in order, with the chain and the schedule in its words', async () => {
    const { port, rx } = await serverWithSlack();
    const { code, stdout } = await play(port, ['--json']);
    expect(code).toBe(0);
    const links = JSON.parse(stdout) as Link[];
    const outage = local(25, 3, 0); // Saturday 25 June 2016, 03:00: the rotation
    // causes, from the story (agent/scenario/gitter-2016.ts EVENTS)
    const causes = [
      local(20, 9, 0),
      local(21, 14, 2),
      local(21, 14, 5),
      local(24, 21, 48),
      local(24, 21, 48),
      local(24, 22, 30),
    ];
    expect(links.map((l) => l.cause_at)).toEqual(causes);
    for (const l of links) expect(l.outage_at).toBe(outage);
    for (const l of links) expect(l.paged_at).not.toBeNull();
    const paged = links.map((l) => l.paged_at!);
    // from the shipped rules, batches every 15 s of scenario time starting on the cause's minute:
    expect(paged[0]).toBe(causes[0]! + 10 * MIN); // ReplsetDesignRisk, for: 10m
    expect(paged[1]).toBe(causes[1]! + 30 * S); // RaidArraySaturated, for: 30s
    // MongodLockWaitHigh: the 1-minute average passes 50 % within the minute after the pile-up begins, then for: 2m
    expect(paged[2]).toBeGreaterThanOrEqual(causes[2]! + 2 * MIN);
    expect(paged[2]).toBeLessThanOrEqual(causes[2]! + 3 * MIN);
    // MongodRunningLogInvalid and LogrotateCheckFailing have no for: the first batch after the array is gone
    expect(paged.slice(3)).toEqual(causes.slice(3));
    for (let i = 0; i < links.length; i++) {
      expect(paged[i]).toBeLessThan(outage);
      expect(paged[i]).toBeGreaterThanOrEqual(causes[i]!);
      if (i) expect(paged[i]).toBeGreaterThanOrEqual(paged[i - 1]!);
    }
    expect(links[1]!.alert).toContain(
      'md array md2 on db1 is saturated — md2 (raid1): 2 of 2 disks active; md2 holds mongod dbPath /data/db, mongod log /data/log/mongod.log (mount /data on md2: sda1, sdb1)',
    );
    // 21:48 to 03:00 is 5 h 12 min; the two failing blocks are lines 1 and 14 of /etc/logrotate.d/mongod
    expect(links[4]!.alert).toContain('next rotation 03:00, in 5 h 12 min: 2 blocks would fail');

    // the notifications as the person on call reads them (Slack's text)
    const texts = () => rx.received.filter((x) => x.path === '/slack').map((x) => (x.body as { text: string }).text);
    await until(() => texts().some((t) => t.includes('logrotate on db1')), 10_000, 'the logrotate page');
    const raid = texts().find((t) => t.startsWith(':red_circle: *CRITICAL* md array md2 on db1 is saturated'))!;
    expect(raid).toContain(
      '\n• md2 holds mongod dbPath /data/db, mongod log /data/log/mongod.log (mount /data on md2: sda1, sdb1)',
    );
    const rotation = texts().find((t) => t.includes('*WARNING* logrotate on db1 would fail or skip a log'))!;
    expect(rotation).toContain('\n• next rotation 03:00, in 5 h 12 min: 2 blocks would fail\n');
  }, 180_000);

  it('prints the timeline for people, outage last', async () => {
    const { port } = await serverWithSlack();
    const { code, stdout } = await play(port, []);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const heads = lines.filter((l) => /^\d\. /.test(l));
    expect(heads).toEqual([
      '1. 3 data members + 1 arbiter: majority writes survive no failure',
      '2. md2 under the data saturates under load',
      '3. mongod lock waits pile up',
      '4. db1: the log path is left on the decommissioned array',
      '5. db1: the 03:00 rotation would fail',
      '6. db2: a second mongod logs to the decommissioned array',
    ]);
    // 09:10 Monday to 03:00 Saturday: 4 d 17 h 50 min; 21:48 to 03:00: 5 h 12 min
    expect(stdout).toContain('   paged   Mon 20 09:10, 4 d 17 h 50 min before the outage (ReplsetDesignRisk on db1)');
    expect(stdout).toContain('   paged   Fri 24 21:48, 5 h 12 min before the outage (LogrotateCheckFailing on db1)');
    expect(stdout).toContain('           • next rotation 03:00, in 5 h 12 min: 2 blocks would fail');
    const outageLine = lines.findIndex((l) => l.startsWith('OUTAGE  Sat 25 03:00'));
    expect(outageLine).toBeGreaterThan(lines.indexOf(heads.at(-1)!));
    // the outage itself pages too, after the fact: MongodDown for: 15s, ReplsetNoPrimary for: 30s
    expect(stdout).toContain('   paged   Sat 25 03:00:15 (MongodDown on db1)');
    expect(stdout).toContain('   paged   Sat 25 03:00:30 (ReplsetNoPrimary on db3)');
  }, 180_000);

  it('bad input and a refused credential: one clear line, exit 2, nothing played', async () => {
    const run = async (args: string[]) => {
      const p = runCli(['simulate', ...args], { TIDEMARK_TOKEN: 't' });
      cleanup.push(() => p.stop());
      const code = await new Promise<number | null>((resolve) => p.proc.once('exit', resolve));
      return { code, out: p.output() };
    };
    const unknown = await run(['--scenario', 'gitter-2017']);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.out).toContain('tidemark: --scenario: one of gitter-2016');
    // --speed from 1 to 3600 scenario seconds per real second: 0.5 and 3601 are refused, at the edges
    for (const speed of ['0.5', '3601', 'fast']) {
      const r = await run(['--scenario', 'gitter-2016', '--speed', speed]);
      expect(r.code).toBe(2);
      expect(r.out).toContain('tidemark: --speed: scenario seconds per real second, from 1 to 3600');
    }
    // a server that asks for a credential to read /api/alerts: the simulator says which flag, before playing
    const srv = await serverProcess({ args: ['--api-token', 'adm'] });
    const server = await srv.start();
    cleanup.push(() => server.stop());
    const refused = await run(['--scenario', 'gitter-2016', '--server', `ws://127.0.0.1:${srv.port}`]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('/api/alerts: HTTP 401: pass --read-token with a read or admin credential');
    expect(refused.out).not.toContain('    at '); // no stack trace
  }, 60_000);
});
