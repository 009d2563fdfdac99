import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from 'bson';
import { ok } from '../../agent/collectors/collector.js';
import { hostCollectors } from '../../agent/collectors/host.js';
import { Sampler } from '../../agent/sampler.js';
import { parseRecordedReply } from '../../agent/mongod/ejson.js';
import { METRICS, metricDef, type MetricName, type MetricSample } from '../../shared/catalogue.js';
import { startFakeMongod, type FakeMongod } from '../helpers/fake-mongod.js';
import { FIXTURES, PROCFS } from '../helpers/fixtures.js';
import { CLI, REPO } from '../helpers/process.js';

// Compile-time: a name outside the catalogue is a type error (tsc covers the tests; an unused directive fails it).
// @ts-expect-error 'disk_utl_percent' is a typo of disk_util_percent
const typo: MetricName = 'disk_utl_percent';
// @ts-expect-error an emitter's sample carries a catalogue name
const sample: MetricSample = { m: 'raid_disk_missing', l: { array: 'md0' }, v: 1 };
// @ts-expect-error a collector's result takes only catalogue samples
const result = ok('raid', [{ m: 'raid_sync_progres_percent', v: 50 }]);
const spelled: MetricSample = { m: 'raid_disks_missing', l: { array: 'md0' }, v: 1 };

interface Report {
  collectors: { name: string; state: string }[];
  samples: { m: string; l?: Record<string, string>; v: number | null }[];
}

const run = promisify(execFile);

/** `tidemark collect --samples --json` on a tree; a collector error (exit 1) still prints the report. */
async function collect(args: string[]): Promise<Report> {
  const all = ['collect', '--samples', '--interval-ms', '100', '--json', ...args];
  const out = await run(process.execPath, [CLI, ...all], { encoding: 'utf8' }).catch(
    (e: { code: number; stdout: string }) => {
      if (e.code !== 1) throw e;
      return { stdout: e.stdout };
    },
  );
  return JSON.parse(out.stdout) as Report;
}

const trees = (dir: string) => readdirSync(dir).map((d) => path.join(dir, d));
const TREES = [...trees(PROCFS), ...trees(path.join(REPO, 'test/fixtures-local/procfs'))];

/** Names and label keys emitted that the catalogue does not list ("instance" is added to every mongod series). */
function outsideCatalogue(r: Pick<Report, 'samples'>): string[] {
  const out: string[] = [];
  for (const s of r.samples) {
    const def = metricDef(s.m);
    if (!def) out.push(s.m);
    else
      for (const k of Object.keys(s.l ?? {})) if (k !== 'instance' && !def.labels.includes(k)) out.push(`${s.m}{${k}}`);
  }
  return [...new Set(out)];
}

describe('every metric tidemark collect emits is in the catalogue', () => {
  it('the type-checked samples above are what they say', () => {
    expect(METRICS.some((m) => m.name === spelled.m)).toBe(true);
    expect(metricDef(typo)).toBeUndefined();
    expect(metricDef(sample.m)).toBeUndefined();
    expect(metricDef(result.samples[0]!.m)).toBeUndefined();
  });

  it(`on every recorded and constructed procfs tree (${TREES.length}), as collect --samples runs them`, async () => {
    const emitted = new Set<string>();
    const outside: string[] = [];
    for (const root of TREES) {
      // collect --samples in-process (a process per tree would take a minute): two rounds of the same collectors
      const sampler = new Sampler(hostCollectors(root));
      await sampler.sample();
      const s = await sampler.sample();
      await Promise.all(sampler.collectors.map(async (c) => c.close?.()));
      for (const x of s.samples) emitted.add(x.m);
      outside.push(...outsideCatalogue(s).map((x) => `${path.basename(root)}: ${x}`));
    }
    expect(outside).toEqual([]);
    // the trees exercise the disk, RAID and pressure collectors, so the check is not vacuous
    for (const prefix of ['disk_', 'raid_', 'io_pressure_'])
      expect(
        [...emitted].some((m) => m.startsWith(prefix)),
        prefix,
      ).toBe(true);
  }, 60_000);

  it.each(['prometheus-procfs', 'node_exporter'])('in a real tidemark collect --samples --root %s', async (tree) => {
    const r = await collect(['--root', path.join(PROCFS, tree)]);
    expect(r.samples.length).toBeGreaterThan(0);
    expect(outsideCatalogue(r)).toEqual([]);
  });

  describe('with a mongod (recorded replies) and a logrotate configuration', () => {
    let fake: FakeMongod;
    beforeAll(async () => {
      const diag = parseRecordedReply(
        readFileSync(path.join(FIXTURES, 'mongo/4.2.8-wiredtiger/getDiagnosticData.json'), 'utf8'),
      );
      const ss = diag.serverStatus as Document;
      let uptime = Number(ss.uptimeMillis);
      fake = await startFakeMongod({
        serverStatus: () => ({ ...ss, uptimeMillis: (uptime += 100), ok: 1 }),
        replSetGetStatus: () => diag.replSetGetStatus as Document,
      });
    });
    afterAll(async () => fake?.stop());

    it('mongod, replica-set and log-path metrics are catalogue names too', async () => {
      const r = await collect([
        '--root',
        path.join(PROCFS, 'node_exporter'),
        '--mongod-uri',
        fake.uri,
        '--logrotate-config',
        path.join(FIXTURES, 'logrotate/debian-mongodb-server.conf'),
        '--mongod-config',
        path.join(FIXTURES, 'mongod-conf/mongodb-org-debian-mongod.conf'),
      ]);
      expect(outsideCatalogue(r)).toEqual([]);
      for (const prefix of ['mongod_', 'replset_', 'logpath_'])
        expect(
          r.samples.some((s) => s.m.startsWith(prefix)),
          prefix,
        ).toBe(true);
    }, 60_000);
  });
});
