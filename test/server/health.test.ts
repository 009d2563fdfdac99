import { describe, expect, it } from 'vitest';
import type { DecodedBatch, Hello, HostSummary } from '../../shared/protocol.js';
import { HostRegistry } from '../../server/hosts.js';
import { FleetHealth, SPARK_BUCKET_MS, SPARK_POINTS } from '../../server/fleet-health.js';
import { emptyGauges, hostReasons, verdict, type HostGauges } from '../../server/health.js';
import { replset } from '../helpers/scripted-fleet.js';
import { unknownQuorum } from '../../agent/mongod/absence.js';

const NOW = 1_700_000_000_000;

function host(over: Partial<HostSummary> = {}): HostSummary {
  return {
    id: 'db-1',
    hostname: 'db-1',
    connected: true,
    lastSeen: NOW,
    connectedSince: NOW - 60_000,
    agentVersion: 't',
    protocol: 2,
    collectors: [],
    states: {},
    inventory: null,
    stats: { batches: 0, duplicates: 0, gaps: 0, badFrames: 0 },
    ...over,
  };
}

function gauges(over: Partial<HostGauges> = {}): HostGauges {
  return { ...emptyGauges(), ...over };
}

const mongodUp = {
  status: { up: true as const, uri: 'u', version: '7', gauges: null, figures: null, discarded: null, missing: [] },
};
const texts = (h: HostSummary, g?: HostGauges) => hostReasons(h, g, NOW).map((r) => `${r.health}: ${r.text}`);

describe('health verdicts', () => {
  it('words states an agent sent in a shape the verdicts do not expect as reasons, and judges the rest', () => {
    // State values are checked for size only on the way in: a log-path check with no counts, and a degraded
    // array with no disk figures, are an agent's to send (or a newer agent's shape).
    const h = host({
      states: {
        logpaths: { x: { ok: false } },
        raid_array: { md0: { name: 'md0', degraded: true } },
        mongod: mongodUp,
      } as unknown as HostSummary['states'],
    });
    expect(texts(h, gauges({ queued: 12 }))).toEqual([
      "warn: raid_array states not understood (Cannot read properties of undefined (reading 'missing'))",
      "warn: logpaths states not understood (Cannot read properties of undefined (reading 'error'))",
      'warn: mongod 12 operations queued',
    ]);
  });

  it('names states set aside for their shape in one reason, however many there are', () => {
    const logpaths = { a: { check: 'logrotate', ok: true, counts: { error: 0, warning: 0 }, findings: [] } };
    const problems = Array.from({ length: 2000 }, (_, i) => ({
      kind: 'logpaths',
      key: i ? `k${i}` : 'a',
      problem: 'p',
    }));
    const many = host({ states: { logpaths } as unknown as HostSummary['states'], stateProblems: problems });
    expect(texts(many)).toEqual([
      'warn: state logpaths/a not understood (p); its last good value is shown (and 1999 more states not understood)',
    ]);
    const one = host({ stateProblems: [{ kind: 'raid_array', key: 'md0', problem: 'name must be a string' }] });
    expect(texts(one)).toEqual(['warn: state raid_array/md0 not understood (name must be a string); no earlier value']);
  });

  it('keeps why states are not current across a reconnect, until a batch says otherwise', () => {
    const r = new HostRegistry();
    const hello = {
      type: 'hello',
      protocol: 3,
      agentId: 'db-1',
      session: 's',
      hostname: 'db-1',
      agentVersion: 't',
      series: [],
    };
    r.connected(hello as unknown as Hello, NOW);
    r.seen('db-1', NOW, { states: [{ kind: 'logpaths', key: 'a', value: {}, problem: 'p' }] });
    r.disconnected('db-1', NOW + 1);
    r.connected(hello as unknown as Hello, NOW + 2);
    expect(r.get('db-1')!.stateProblems).toEqual([{ kind: 'logpaths', key: 'a', problem: 'p' }]);
    r.seen('db-1', NOW + 3, { states: [] });
    expect(r.get('db-1')!.stateProblems).toBeUndefined();
  });

  it('is ok with nothing to say', () => {
    expect(verdict(hostReasons(host(), gauges(), NOW))).toEqual({ health: 'ok', reason: 'ok' });
  });

  it('calls a disconnected or silent agent bad, at 30 s of silence and not before', () => {
    expect(texts(host({ connected: false, lastSeen: NOW - 119_000 }))).toEqual(['bad: agent disconnected 119 s ago']);
    expect(texts(host({ connected: false, lastSeen: NOW - 120_000 }))).toEqual(['bad: agent disconnected 2 min ago']);
    expect(texts(host({ lastSeen: NOW - 30_000 }))).toEqual([]);
    expect(texts(host({ lastSeen: NOW - 30_001 }))).toEqual(['bad: agent silent for 30 s']);
  });

  it('names a saturated disk (the agent rule) as bad and a disk at 90 % util as busy', () => {
    const g = gauges({
      saturated: new Set(['sdb']),
      diskUtil: new Map([
        ['sda', 89.9],
        ['sdb', 100],
        ['sdc', 90],
      ]),
      diskAqu: new Map([['sdb', 97.4]]),
    });
    expect(texts(host(), g)).toEqual([
      'bad: disk sdb saturated (queue 97, 100 % util)',
      'warn: disk sdc busy (90 % util)',
    ]);
  });

  it('judges mongod tickets at 90 % (warn) and 100 % (bad), 10 queued and 50 % lock wait (warn)', () => {
    const h = host({ states: { mongod: mongodUp } });
    const g = gauges({
      tickets: new Map([
        ['read', 90],
        ['write', 100],
      ]),
      queued: 10,
      lockPercent: 50,
    });
    expect(texts(h, g)).toEqual([
      'bad: mongod write tickets exhausted (100 %)',
      'warn: mongod read tickets 90 %',
      'warn: mongod 10 operations queued',
      'warn: mongod lock wait 50 %',
    ]);
    const below = gauges({ tickets: new Map([['read', 89.9]]), queued: 9, lockPercent: 49.9 });
    expect(texts(h, below)).toEqual([]);
  });

  it('reports mongod down with its error, and a replica set by its quorum', () => {
    const down = { status: { up: false as const, uri: 'u', since: NOW, lastError: 'connect ECONNREFUSED' } };
    // 3 voters, majority 2; one member down leaves 2 healthy: 2 - 2 = 0 further failures survivable.
    const rs = replset('rs0', ['a:1', 'b:1', 'c:1'], ['c:1']);
    expect(texts(host({ states: { mongod: down, replset: { rs0: rs } } }))).toEqual([
      'bad: mongod down: connect ECONNREFUSED',
      'warn: replica set rs0 survives no failure',
    ]);
    expect(texts(host({ states: { replset: { rs0: { ...rs, primary: null } } } }))).toEqual([
      'bad: replica set rs0: no primary',
    ]);
    expect(texts(host({ states: { replset: { rs0: replset('rs0', ['a:1', 'b:1', 'c:1']) } } }))).toEqual([]);
  });

  it('reports an unknown replica-set view as unknown, not by its null figures, with the primary it names', () => {
    // What the agent sends when replSetGetStatus fails: figures null, the primary serverStatus still names.
    const named = unknownQuorum('rs0', 'a:1', 'replSetGetStatus: timed out', NOW);
    expect(texts(host({ states: { replset: { rs0: named } } }))).toEqual([
      'warn: replica set rs0: state unknown (replSetGetStatus: timed out); primary a:1',
    ]);
    const none = unknownQuorum('rs0', null, 'mongod down: connect ECONNREFUSED', NOW);
    expect(texts(host({ states: { replset: { rs0: none } } }))).toEqual([
      'bad: replica set rs0: state unknown (mongod down: connect ECONNREFUSED); no primary known',
    ]);
  });

  it("counts the running mongods' and each instance's config checks with the log paths", () => {
    const check = (ok: boolean, extra: object = {}) => ({
      check: 'mongod-running' as const,
      instance: 'rs0-a',
      file: '/etc/mongod-a.conf',
      ok,
      counts: { error: ok ? 0 : 2, warning: 0, info: 0 },
      findings: [],
      checkedAt: NOW,
      ...extra,
    });
    expect(texts(host({ states: { mongod_running: { 'rs0-a running': check(false) } } }))).toEqual([
      'bad: log paths: 2 errors (mongod-running)',
    ]);
    // A check that could not run (mongod down) is the mongod's reason, not a log-path one.
    expect(
      texts(host({ states: { mongod_running: { 'rs0-a running': check(false, { error: 'no answer' }) } } })),
    ).toEqual([]);
  });

  it('puts the worst first and counts the rest in the one line', () => {
    const g = gauges({ diskUtil: new Map([['sda', 95]]) });
    const h = host({
      collectors: [{ name: 'raid', state: 'error', message: 'mdstat unreadable' }],
      states: {
        logpaths: {
          logrotate: {
            check: 'logrotate',
            file: null,
            ok: false,
            counts: { error: 3, warning: 0, info: 0 },
            findings: [],
            checkedAt: NOW,
          },
        },
      },
    });
    const reasons = hostReasons(h, g, NOW);
    expect(reasons.map((r) => r.health)).toEqual(['bad', 'warn', 'info']);
    expect(verdict(reasons)).toEqual({ health: 'bad', reason: 'log paths: 3 errors (logrotate) (+2 more)' });
  });
});

describe('FleetHealth', () => {
  const hello = (id: string): Hello => ({
    type: 'hello',
    protocol: 2,
    agentId: id,
    session: 's',
    hostname: id,
    agentVersion: 't',
    inventory: null,
  });
  const batch = (ts: number, util: Record<string, number>): DecodedBatch => ({
    type: 'batch',
    seq: 1,
    ts,
    series: Object.keys(util).map((device) => ({ m: 'disk_util_percent', l: { device } })),
    values: Float64Array.from(Object.values(util)),
  });

  it('keeps one sparkline point per 10 s (the bucket’s busiest disk), 30 at most, and sorts worst first', () => {
    const hosts = new HostRegistry();
    hosts.connected(hello('db-a'), NOW);
    hosts.connected(hello('db-b'), NOW);
    let now = NOW;
    const health = new FleetHealth(hosts, () => now);
    const start = Math.ceil(NOW / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;
    // Bucket 0: sdb peaks at 70, then sda at 40: the point is 70. Bucket 1: 20.
    health.observe('db-a', batch(start + 1000, { sda: 10, sdb: 70 }));
    health.observe('db-a', batch(start + 5000, { sda: 40, sdb: 5 }));
    health.observe('db-a', batch(start + 11_000, { sda: 20, sdb: 1 }));
    now = start + 20_000;
    const a = health.tile(hosts.get('db-a')!);
    expect(a.spark).toEqual([70, 20]);
    expect(a.worstDisk).toBe('sda');
    // A gap of 3 buckets with no batch is 3 nulls; the line never grows past SPARK_POINTS.
    health.observe('db-a', batch(start + 50_000, { sda: 30 }));
    now = start + 60_000;
    expect(health.tile(hosts.get('db-a')!).spark).toEqual([70, 20, null, null, null, 30]);
    for (let i = 0; i < 100; i++) health.observe('db-a', batch(start + 60_000 + i * SPARK_BUCKET_MS, { sda: i % 50 }));
    now = start + 60_000 + 100 * SPARK_BUCKET_MS;
    const long = health.tile(hosts.get('db-a')!).spark;
    expect(long).toHaveLength(SPARK_POINTS);
    expect(long.at(-1)).toBe(49);

    hosts.seen('db-a', now, {});
    hosts.disconnected('db-b', now);
    expect(health.tiles().map((t) => [t.id, t.health])).toEqual([
      ['db-b', 'bad'],
      ['db-a', 'ok'],
    ]);
  });

  it('names the disk that reached the newest sparkline point, not the latest batch’s busiest', () => {
    const hosts = new HostRegistry();
    hosts.connected(hello('db-a'), NOW);
    let now = NOW;
    const health = new FleetHealth(hosts, () => now);
    const start = Math.ceil(NOW / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;
    health.observe('db-a', batch(start + 1000, { sda: 10, sdb: 70 }));
    health.observe('db-a', batch(start + 5000, { sda: 40, sdb: 5 }));
    now = start + SPARK_BUCKET_MS;
    expect(health.tile(hosts.get('db-a')!)).toMatchObject({ spark: [70], worstDisk: 'sdb', sparkEnd: now });
    // Within the open bucket sda leads, but the line's newest point is still sdb's 70.
    health.observe('db-a', batch(start + 12_000, { sda: 80, sdb: 1 }));
    now = start + 15_000;
    expect(health.tile(hosts.get('db-a')!)).toMatchObject({ spark: [70], worstDisk: 'sdb' });
    now = start + 2 * SPARK_BUCKET_MS;
    expect(health.tile(hosts.get('db-a')!)).toMatchObject({ spark: [70, 80], worstDisk: 'sda', sparkEnd: now });
  });

  it('follows every change a verdict reads: gauges past their thresholds, states, collectors, time', () => {
    const hosts = new HostRegistry();
    hosts.connected(hello('db-a'), NOW);
    let now = NOW;
    const health = new FleetHealth(hosts, () => now);
    /** A batch into the registry and FleetHealth, as the server's ingestion does. */
    const feed = (b: DecodedBatch) => {
      now = b.ts;
      hosts.seen('db-a', now, b);
      health.observe('db-a', b);
    };
    const gauge = (ts: number, m: string, l: Record<string, string> | undefined, v: number): DecodedBatch => ({
      type: 'batch',
      seq: 1,
      ts,
      series: [l ? { m, l } : { m }],
      values: Float64Array.from([v]),
    });
    const seen = () => {
      const t = health.tile(hosts.get('db-a')!);
      return [t.health, t.reason];
    };
    feed(batch(NOW + 1000, { sda: 50 }));
    const calm = health.tile(hosts.get('db-a')!);
    expect([calm.health, calm.reason]).toEqual(['ok', 'ok']);
    // Below the busy threshold (90 %) a changing figure changes nothing.
    feed(batch(NOW + 2000, { sda: 60 }));
    expect(health.tile(hosts.get('db-a')!).reasons).toEqual(calm.reasons);
    // At 90 % and over, every figure shows.
    feed(batch(NOW + 3000, { sda: 95 }));
    expect(seen()).toEqual(['warn', 'disk sda busy (95 % util)']);
    feed(batch(NOW + 4000, { sda: 96 }));
    expect(seen()).toEqual(['warn', 'disk sda busy (96 % util)']);
    feed(batch(NOW + 5000, { sda: 40 }));
    expect(seen()).toEqual(['ok', 'ok']);
    // A saturated disk shows its queue and util, whatever they are.
    feed(gauge(NOW + 6000, 'disk_saturated', { device: 'sda' }, 1));
    expect(seen()).toEqual(['bad', 'disk sda saturated (40 % util)']);
    feed(gauge(NOW + 7000, 'disk_aqu_sz', { device: 'sda' }, 12));
    expect(seen()).toEqual(['bad', 'disk sda saturated (queue 12, 40 % util)']);
    feed(batch(NOW + 8000, { sda: 41 }));
    expect(seen()).toEqual(['bad', 'disk sda saturated (queue 12, 41 % util)']);
    feed(gauge(NOW + 9000, 'disk_saturated', { device: 'sda' }, 0));
    expect(seen()).toEqual(['ok', 'ok']);
    // mongod's gauges: tickets from 90 %, the queue from 10 operations, the lock wait from 50 %.
    const up = { stateKinds: ['mongod'], states: [{ kind: 'mongod', key: 'status', value: mongodUp.status }] };
    feed({ ...batch(NOW + 10_000, {}), ...up });
    feed(gauge(NOW + 11_000, 'mongod_tickets_util_percent', { op: 'write' }, 89));
    expect(seen()).toEqual(['ok', 'ok']);
    feed(gauge(NOW + 12_000, 'mongod_tickets_util_percent', { op: 'write' }, 100));
    expect(seen()).toEqual(['bad', 'mongod write tickets exhausted (100 %)']);
    feed(gauge(NOW + 13_000, 'mongod_tickets_util_percent', { op: 'write' }, 10));
    feed(gauge(NOW + 14_000, 'mongod_queued', { op: 'total' }, 12));
    expect(seen()).toEqual(['warn', 'mongod 12 operations queued']);
    feed(gauge(NOW + 15_000, 'mongod_queued', { op: 'total' }, 0));
    feed(gauge(NOW + 16_000, 'mongod_lock_percent', undefined, 70));
    expect(seen()).toEqual(['warn', 'mongod lock wait 70 %']);
    feed(gauge(NOW + 17_000, 'mongod_lock_percent', undefined, 5));
    expect(seen()).toEqual(['ok', 'ok']);
    // A state that arrives with a batch (a replica set that survives no failure), and a collector's error.
    const rs = replset('rs0', ['db-a:27017', 'db-b:27017', 'db-c:27017'], ['db-c:27017']);
    feed({ ...batch(NOW + 18_000, {}), stateKinds: ['replset'], states: [{ kind: 'replset', key: 'rs0', value: rs }] });
    expect(seen()).toEqual(['warn', 'replica set rs0 survives no failure']);
    expect(health.tile(hosts.get('db-a')!).sets).toEqual(['rs0']);
    feed({ ...batch(NOW + 19_000, {}), stateKinds: ['replset'], states: [] });
    expect(seen()).toEqual(['ok', 'ok']);
    feed({ ...batch(NOW + 20_000, {}), collectors: [{ name: 'raid', state: 'error', message: 'unreadable' }] });
    expect(seen()).toEqual(['info', 'collector raid: unreadable']);
    feed({ ...batch(NOW + 21_000, {}), collectors: [] });
    expect(seen()).toEqual(['ok', 'ok']);
    // Time alone: silent after 30 s with no batch, its reason counting up; disconnected likewise.
    now = NOW + 21_000 + 31_000;
    expect(seen()).toEqual(['bad', 'agent silent for 31 s']);
    now += 9000;
    expect(seen()).toEqual(['bad', 'agent silent for 40 s']);
    feed(batch(now, { sda: 40 }));
    expect(seen()).toEqual(['ok', 'ok']);
    hosts.disconnected('db-a', now);
    now += 5000;
    expect(seen()).toEqual(['bad', 'agent disconnected 5 s ago']);
    now += 5000;
    expect(seen()).toEqual(['bad', 'agent disconnected 10 s ago']);
    hosts.connected(hello('db-a'), now);
    expect(seen()).toEqual(['ok', 'ok']);
  });

  it('reads a shared series array by its slots, and a reordered one after a new hello by its own', () => {
    const hosts = new HostRegistry();
    hosts.connected(hello('db-a'), NOW);
    let now = NOW;
    const health = new FleetHealth(hosts, () => now);
    const start = Math.ceil(NOW / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;
    const up = { stateKinds: ['mongod'], states: [{ kind: 'mongod', key: 'status', value: mongodUp.status }] };
    hosts.seen('db-a', start, up);
    const feed = (ts: number, series: DecodedBatch['series'], values: number[]) => {
      now = ts;
      const b: DecodedBatch = { type: 'batch', seq: 1, ts, series, values: Float64Array.from(values) };
      hosts.seen('db-a', now, b);
      health.observe('db-a', b);
      const t = health.tile(hosts.get('db-a')!);
      return [t.health, t.reason];
    };
    const util = (device: string) => ({ m: 'disk_util_percent', l: { device } });
    const queued = (op: string) => ({ m: 'mongod_queued', l: { op } });
    const untracked = { m: 'cpu_user_percent' };
    const saturated = { m: 'disk_saturated', l: { device: 'sdb' } };
    // One array for every batch of the first session, as SessionSeries.inOrder hands it out.
    const first = [util('sda'), untracked, util('sdb'), queued('read'), queued('total'), saturated];
    expect(feed(start + 1000, first, [10, 99, 70, 50, 3, 0])).toEqual(['ok', 'ok']);
    // A null (NaN) leaves the queue at 3; only op="total" counts, so the 50 read operations never show.
    expect(feed(start + 2000, first, [95, 99, 5, 50, NaN, 0])).toEqual(['warn', 'disk sda busy (95 % util)']);
    expect(feed(start + 3000, first, [40, 99, 5, 50, 12, 0])).toEqual(['warn', 'mongod 12 operations queued']);
    // A new hello with the same series in reverse order: each value lands on its own series.
    const second = [...first].reverse();
    expect(feed(start + 11_000, second, [1, 0, 50, 80, 99, 1])).toEqual(['bad', 'disk sdb saturated (80 % util)']);
    now = start + 2 * SPARK_BUCKET_MS;
    // Bucket 0's busiest disk reading was sda's 95, bucket 1's sdb's 80.
    expect(health.tile(hosts.get('db-a')!)).toMatchObject({ spark: [95, 80], worstDisk: 'sdb' });
  });

  it('maps replica-set members to the hosts whose id or host name matches the member’s host', () => {
    const hosts = new HostRegistry();
    for (const id of ['db-1', 'db-2']) hosts.connected({ ...hello(id), hostname: `${id}.example` }, NOW);
    const rs = replset('rs0', ['db-1.example:27017', 'db-2:27017', 'db-9.example:27017'], ['db-9.example:27017']);
    hosts.seen('db-1', NOW, { stateKinds: ['replset'], states: [{ kind: 'replset', key: 'rs0', value: rs }] });
    const [view] = new FleetHealth(hosts, () => NOW).replsets();
    expect(view!.set).toBe('rs0');
    expect(view!.reportedBy).toBe('db-1');
    expect(view!.health).toBe('warn');
    expect(view!.members.map((m) => [m.name, m.hosts.map((h) => h.id)])).toEqual([
      ['db-1.example:27017', ['db-1']],
      ['db-2:27017', ['db-2']],
      ['db-9.example:27017', []],
    ]);
  });

  it("shows a disconnected agent's view of a set as last seen, and never over a connected agent's", () => {
    const hosts = new HostRegistry();
    for (const id of ['db-1', 'db-2']) hosts.connected(hello(id), NOW);
    const healthy = replset('rs0', ['db-1:27017', 'db-2:27017', 'db-3:27017'], []);
    hosts.seen('db-1', NOW, { stateKinds: ['replset'], states: [{ kind: 'replset', key: 'rs0', value: healthy }] });
    const health = new FleetHealth(hosts, () => NOW);
    expect(health.replsets()).toMatchObject([{ reportedBy: 'db-1', known: true, health: 'ok' }]);
    // db-1's machine dies with its view of the set; db-2 cannot read the set either (its mongod is down too).
    hosts.disconnected('db-1', NOW + 1000);
    const unknown = unknownQuorum('rs0', null, 'mongod down: connect ECONNREFUSED', NOW + 500);
    hosts.seen('db-2', NOW + 2000, {
      stateKinds: ['replset'],
      states: [{ kind: 'replset', key: 'rs0', value: unknown }],
    });
    expect(health.replsets()).toMatchObject([{ reportedBy: 'db-2', known: false, primary: null, health: 'bad' }]);
    // With no connected agent reporting the set, the gone one's view is shown, as last seen and at least warn.
    hosts.forget('db-2');
    const [view] = health.replsets();
    expect(view).toMatchObject({ reportedBy: 'db-1', known: true, health: 'warn' });
    expect(view!.warnings[0]).toBe(
      `as last seen by db-1, whose agent is disconnected (since ${new Date(NOW + 1000).toISOString()}): it may no longer be true`,
    );
  });

  it('shows a set only unreadable members report as unknown, the one naming a primary first, and prefers a known view', () => {
    const hosts = new HostRegistry();
    for (const id of ['db-1', 'db-2']) hosts.connected(hello(id), NOW);
    const unknown = unknownQuorum('rs0', null, 'mongod down: connect ECONNREFUSED', NOW - 5_000);
    hosts.seen('db-1', NOW, { stateKinds: ['replset'], states: [{ kind: 'replset', key: 'rs0', value: unknown }] });
    const health = new FleetHealth(hosts, () => NOW);
    expect(health.replsets()).toEqual([
      {
        set: 'rs0',
        reportedBy: 'db-1',
        known: false,
        primary: null,
        summary: unknown.summary,
        warnings: ['replica-set state unknown: mongod down: connect ECONNREFUSED'],
        health: 'bad',
        members: [],
      },
    ]);
    // Another member that cannot read the set either, but whose serverStatus names the primary, says more.
    const named = unknownQuorum('rs0', 'db-3:27017', 'replSetGetStatus: timed out', NOW - 5_000);
    hosts.seen('db-2', NOW, { stateKinds: ['replset'], states: [{ kind: 'replset', key: 'rs0', value: named }] });
    expect(health.replsets()).toMatchObject([
      { reportedBy: 'db-2', known: false, primary: 'db-3:27017', health: 'warn' },
    ]);
    const rs = replset('rs0', ['db-1:27017', 'db-2:27017', 'db-3:27017'], ['db-3:27017']);
    hosts.seen('db-2', NOW, { stateKinds: ['replset'], states: [{ kind: 'replset', key: 'rs0', value: rs }] });
    expect(health.replsets()).toMatchObject([
      { reportedBy: 'db-2', known: true, primary: 'db-1:27017', health: 'warn' },
    ]);
  });
});
