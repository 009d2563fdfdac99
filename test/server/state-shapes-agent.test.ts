import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import type { WireState } from '../../shared/protocol.js';
import { stateByHand } from '../../server/extras-check.js';
import { Sampler } from '../../agent/sampler.js';
import { hostCollectors } from '../../agent/collectors/host.js';
import { MongodCollector } from '../../agent/collectors/mongod.js';
import { MongodRunningCollector } from '../../agent/collectors/mongod-running.js';
import { FilesystemsCollector } from '../../agent/collectors/filesystems.js';
import { LogrotateScheduleCollector } from '../../agent/collectors/logrotate-schedule.js';
import { parseRecordedReply } from '../../agent/mongod/ejson.js';
import { SimulatedHost, episodeAt } from '../../agent/simulator.js';
import { silentLogger } from '../../shared/log.js';
import { FIXTURES, PROCFS, samplesWith } from '../helpers/fixtures.js';
import { startFakeMongod, type FakeMongod } from '../helpers/fake-mongod.js';
import { tempDir } from '../helpers/process.js';

/** Each state as the server gets it (JSON, through the hand check), with what is wrong with its shape. */
function problemsOf(states: readonly WireState[]): string[] {
  return states.flatMap((st) => {
    const checked = stateByHand(JSON.parse(JSON.stringify(st)));
    if (checked === null) return [`${st.kind}/${st.key}: refused`];
    return checked.problem === undefined ? [] : [`${st.kind}/${st.key}: ${checked.problem}`];
  });
}

/** Every kind seen, so the test shows it covered each. */
const kindsSeen = new Set<string>();
function expectGood(states: readonly WireState[]): void {
  for (const st of states) kindsSeen.add(st.kind);
  expect(problemsOf(states)).toEqual([]);
}

const LOCAL = path.join(FIXTURES, '../fixtures-local');
const recorded = (file: string): Document => parseRecordedReply(readFileSync(file, 'utf8'));

describe("every state the agent's own collectors produce keeps its kind's shape", () => {
  const fakes: FakeMongod[] = [];
  afterAll(async () => {
    for (const f of fakes) await f.stop();
  });

  it('md arrays of every recorded /proc/mdstat', async () => {
    const roots = samplesWith('proc/mdstat');
    expect(roots.length).toBeGreaterThan(20);
    for (const root of roots) {
      const sampler = new Sampler(hostCollectors(path.join(PROCFS, root), {}, {}, { raid: true }));
      await sampler.sample();
      expectGood((await sampler.sample()).states);
    }
  });

  it('log-path checks of every recorded logrotate and mongod.conf', async () => {
    const confs = readdirSync(path.join(FIXTURES, 'logrotate'));
    const mongods = readdirSync(path.join(FIXTURES, 'mongod-conf'));
    for (const [i, conf] of confs.entries()) {
      const settings = {
        logrotateConfig: path.join(FIXTURES, 'logrotate', conf),
        mongodConfig: path.join(FIXTURES, 'mongod-conf', mongods[i % mongods.length]!),
      };
      const collectors = hostCollectors(path.join(PROCFS, 'node_exporter'), settings);
      const s = await new Sampler(collectors).sample();
      for (const c of collectors) await c.close?.();
      expect(s.states.filter((st) => st.kind === 'logpaths')).toHaveLength(2);
      expectGood(s.states);
    }
  });

  it('mongod and replica-set states of every recorded mongod, up and then down', async () => {
    const statuses = [
      recorded(path.join(FIXTURES, 'mongo/2.6.7-mmapv1/serverStatus.json')),
      recorded(path.join(FIXTURES, 'mongo/3.0.2-mmapv1/serverStatus.json')),
      recorded(path.join(FIXTURES, 'mongo/3.6.20-wiredtiger/getDiagnosticData.json')).serverStatus as Document,
      recorded(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json')).serverStatus as Document,
      recorded(path.join(LOCAL, 'mongo/6.0-operator-counters/serverStatus-cur.canonical.json')),
    ];
    const diag = recorded(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json'));
    const replsets: [Document | null, Document | null][] = [
      [null, null],
      [diag.replSetGetStatus as Document, null],
      [recorded(path.join(FIXTURES, 'mongo/docs-example-2.6/replSetGetStatus.json')), null],
      [
        recorded(path.join(FIXTURES, 'mongo/4.2-replset-arbiter-primary-view/replSetGetStatus.json')),
        recorded(path.join(FIXTURES, 'mongo/4.2-replset-arbiter-primary-view/replSetGetConfig.json')),
      ],
    ];
    for (const [i, ss] of statuses.entries()) {
      const [status, config] = replsets[i % replsets.length]!;
      let uptime = Number(ss.uptimeMillis ?? 1000);
      const fake = await startFakeMongod({
        serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 1000), ok: 1 }),
        ...(status ? { replSetGetStatus: () => ({ ...status, ok: 1 }) } : {}),
        ...(config ? { replSetGetConfig: () => ({ config, ok: 1 }) } : {}),
      });
      fakes.push(fake);
      const c = new MongodCollector({ uri: fake.uri, timeoutMs: 2000 });
      expectGood((await c.collect()).states!);
      expectGood((await c.collect()).states!);
      await fake.stop();
      const down = (await c.collect()).states!;
      expect((down[0]!.value as { up: boolean }).up).toBe(false);
      expectGood(down);
      await c.close();
    }
  });

  it("the running mongod's checks, up and down", async () => {
    const conf = path.join(FIXTURES, 'mongod-conf/mongodb-org-debian-mongod.conf');
    const fake = await startFakeMongod({
      serverStatus: () => ({ pid: 999_999, ok: 1 }),
      getCmdLineOpts: () => ({
        argv: ['mongod', '--config', conf],
        parsed: {
          config: conf,
          storage: { dbPath: '/var/lib/mongodb' },
          systemLog: { destination: 'file', path: '/x' },
        },
        ok: 1,
      }),
    });
    fakes.push(fake);
    for (const instance of [null, 'a']) {
      const c = new MongodRunningCollector({
        uri: fake.uri,
        root: path.join(PROCFS, 'node_exporter'),
        configFile: conf,
        user: 'mongodb',
        instance,
        checkFile: true,
      });
      const up = (await c.collect()).states!;
      expect(up).toHaveLength(2);
      expectGood(up);
      await c.close?.();
    }
    await fake.stop();
    const down = new MongodRunningCollector({
      uri: fake.uri,
      root: '/',
      configFile: null,
      user: 'mongodb',
      instance: null,
      timeoutMs: 300,
    });
    expectGood((await down.collect()).states!);
    await down.close?.();
  });

  it("file systems of this machine's mounts, and of a tree with a tmpfs", async () => {
    const dir = tempDir('tidemark-shapes-fs-');
    mkdirSync(path.join(dir, 'proc'), { recursive: true });
    writeFileSync(path.join(dir, 'proc/mounts'), `tmpfs ${dir} tmpfs rw 0 0\n`);
    for (const root of ['/', dir]) {
      if (!existsSync(path.join(root, 'proc/mounts'))) continue;
      const fs = new FilesystemsCollector(root);
      const s = await fs.collect({ nowMs: Date.now(), monoMs: performance.now() });
      expect(s.states?.length).toBeGreaterThan(0);
      expectGood(s.states!);
    }
  });

  it('the logrotate schedule of every recorded tree, and of none', async () => {
    const trees = path.join(LOCAL, 'schedule');
    for (const tree of [...readdirSync(trees).filter((t) => t !== 'README.md'), 'no-such-tree']) {
      const s = await new LogrotateScheduleCollector(path.join(trees, tree)).collect();
      expectGood(s.states!);
    }
  });

  it("the simulator's states in each of its episodes, and the ingest bench generator's", async () => {
    for (const index of [1, 17, 23, 30]) {
      const h = new SimulatedHost(index, 'x', 'ws://127.0.0.1:9', 't', silentLogger);
      for (let t = 0; t < 600_000; t += 60_000)
        if (episodeAt(index, t) || t === 0) expectGood(h.sample(t).states ?? []);
    }
    const bench = (await import(
      pathToFileURL(path.join(import.meta.dirname, '../../bench/ingest-frames.mjs')).href
    )) as {
      hostShape(): { extras: { states: WireState[] } };
    };
    expectGood(bench.hostShape().extras.states);
  });

  it('covered every known kind', () => {
    expect([...kindsSeen].sort()).toEqual([
      'filesystem',
      'logpaths',
      'logrotate_schedule',
      'mongod',
      'mongod_running',
      'raid_array',
      'replset',
    ]);
  });
});
