/**
 * A constructed fleet for the dashboard tests: hosts with fixed, scripted
 * troubles (a saturated disk, a degraded array, failing log paths, exhausted
 * tickets, mongod down, a replica set with a member down), sent through the
 * real agent transport, so the server judges them exactly as it judges real
 * agents. Values are constants, not random, so every verdict is known in advance.
 */
import { simulatedTransport } from '../../agent/simulated-transport.js';
import type { WireSample, WireState } from '../../shared/protocol.js';
import { silentLogger } from '../../shared/log.js';
import { simulatedArray } from '../../agent/simulated-array.js';
import type {
  LogPathCheckState,
  KnownReplsetState,
  MdArrayState,
  MongodUpState,
  ReplsetMemberState,
  ReplsetState,
} from '../../shared/states.js';

/** `set-aside`: its log-path state good in its first batch, then without `counts` (not its kind's shape). */
type Trouble = 'saturated' | 'degraded' | 'logpaths' | 'tickets' | 'mongod-down' | 'set-aside' | null;

export interface ScriptedHost {
  id: string;
  hostname?: string;
  trouble: Trouble;
  /** The replica set this host's mongod reports, as the script wants it seen. */
  replset?: ReplsetState;
}

const DISKS = ['sda', 'sdb'];

function samples(h: ScriptedHost): WireSample[] {
  const cpu = { cpu: 'all' };
  const s: WireSample[] = [
    { m: 'cpu_user_percent', l: cpu, v: 20 },
    { m: 'cpu_system_percent', l: cpu, v: 5 },
    { m: 'cpu_iowait_percent', l: cpu, v: h.trouble === 'saturated' ? 40 : 2 },
    { m: 'cpu_steal_percent', l: cpu, v: 1 },
    { m: 'cpu_idle_percent', l: cpu, v: h.trouble === 'saturated' ? 34 : 72 },
  ];
  for (const device of DISKS) {
    const hot = h.trouble === 'saturated' && device === 'sdb';
    const l = { device };
    s.push(
      { m: 'disk_r_per_s', l, v: 80 },
      { m: 'disk_w_per_s', l, v: 150 },
      { m: 'disk_rkb_per_s', l, v: 2048 },
      { m: 'disk_wkb_per_s', l, v: hot ? 204_800 : 4096 },
      { m: 'disk_util_percent', l, v: hot ? 100 : 30 },
      { m: 'disk_aqu_sz', l, v: hot ? 97 : 0.5 },
      { m: 'disk_r_await_ms', l, v: hot ? 80 : 2 },
      { m: 'disk_w_await_ms', l, v: hot ? 120 : 3 },
      { m: 'disk_in_flight', l, v: hot ? 97 : 0 },
      { m: 'disk_saturated', l, v: hot ? 1 : 0 },
    );
  }
  const degraded = h.trouble === 'degraded';
  const md = { array: 'md0' };
  s.push(
    { m: 'raid_disks_expected', l: md, v: 2 },
    { m: 'raid_disks_active', l: md, v: degraded ? 1 : 2 },
    { m: 'raid_disks_missing', l: md, v: degraded ? 1 : 0 },
    { m: 'raid_array_aqu_sz', l: md, v: 1 },
    { m: 'raid_members_aqu_sz_max', l: md, v: 0.5 },
  );
  const exhausted = h.trouble === 'tickets';
  if (h.trouble !== 'mongod-down')
    s.push(
      { m: 'mongod_up', v: 1 },
      { m: 'mongod_lock_percent', l: { kind: 'wait' }, v: 1 },
      { m: 'mongod_queued', l: { op: 'total' }, v: exhausted ? 40 : 0 },
      { m: 'mongod_tickets_util_percent', l: { op: 'read' }, v: 10 },
      { m: 'mongod_tickets_util_percent', l: { op: 'write' }, v: exhausted ? 100 : 10 },
      { m: 'mongod_connections', l: { state: 'current' }, v: 200 },
      { m: 'mongod_connections', l: { state: 'available' }, v: 49_800 },
    );
  else s.push({ m: 'mongod_up', v: 0 });
  return s;
}

function array(degraded: boolean): MdArrayState {
  return simulatedArray({
    name: 'md0',
    level: 'raid1',
    disks: DISKS,
    missingSlot: degraded ? 1 : null,
    sync: degraded ? { action: 'recovery', status: 'running', percent: 42, speedKBps: 100_000, etaSeconds: 600 } : null,
  });
}

function logCheck(failing: boolean): LogPathCheckState {
  return {
    check: 'logrotate',
    file: '/etc/logrotate.conf',
    ok: !failing,
    counts: { error: failing ? 2 : 0, warning: 0, info: 0 },
    findings: failing
      ? [
          {
            severity: 'error',
            code: 'missing-parent-dir',
            file: '/etc/logrotate.d/mongod',
            line: 1,
            target: '/array2/mongodb/mongod.log',
            message: 'directory /array2 does not exist',
          },
        ]
      : [],
    checkedAt: 0,
  };
}

function states(h: ScriptedHost, now: number, seq: number): WireState[] {
  const check = { ...logCheck(h.trouble === 'logpaths'), checkedAt: now };
  const { counts: _counts, ...withoutCounts } = check;
  const out: WireState[] = [
    { kind: 'raid_array', key: 'md0', value: array(h.trouble === 'degraded') },
    { kind: 'logpaths', key: 'logrotate', value: h.trouble === 'set-aside' && seq > 1 ? withoutCounts : check },
  ];
  if (h.trouble === 'mongod-down')
    out.push({
      kind: 'mongod',
      key: 'status',
      value: {
        up: false,
        uri: 'mongodb://127.0.0.1:27017',
        since: now,
        lastError: 'connect ECONNREFUSED 127.0.0.1:27017',
      },
    });
  else {
    const status: MongodUpState = {
      up: true,
      uri: 'mongodb://127.0.0.1:27017',
      version: '7.0.12',
      gauges: null,
      figures: { lockKind: 'wait', lockPercent: 1, lockPercentUncapped: 1, contendedPercent: null },
      discarded: null,
      missing: [],
    };
    out.push({ kind: 'mongod', key: 'status', value: status });
  }
  if (h.replset) out.push({ kind: 'replset', key: h.replset.set ?? 'rs', value: h.replset });
  return out;
}

/** A three-member set as its primary sees it, with `down` members unreachable. */
export function replset(set: string, members: string[], down: string[] = []): KnownReplsetState {
  const ms: ReplsetMemberState[] = members.map((name, i) => ({
    id: i,
    name,
    votes: 1,
    priority: 1,
    arbiter: false,
    hidden: false,
    delaySecs: 0,
    health: down.includes(name) ? 0 : 1,
    state: down.includes(name) ? 8 : i === 0 ? 1 : 2,
    stateStr: down.includes(name) ? '(not reachable/healthy)' : i === 0 ? 'PRIMARY' : 'SECONDARY',
    lagSeconds: i === 0 || down.includes(name) ? null : 2,
  }));
  const healthy = members.length - down.length;
  const majority = Math.floor(members.length / 2) + 1;
  return {
    set,
    members: ms,
    voters: members.length,
    majority,
    designedFaultTolerance: members.length - majority,
    healthyVotes: healthy,
    liveFaultTolerance: healthy - majority,
    primary: members[0]!,
    canElectPrimary: healthy >= majority,
    writableVoters: healthy,
    writeMajority: majority,
    designedWriteFaultTolerance: members.length - majority,
    liveWriteFaultTolerance: healthy - majority,
    source: 'config',
    warnings: [],
    summary: `${members.length} voters, majority ${majority}: the set survives ${healthy - majority > 0 ? `${healthy - majority} failure` : 'no failure'} now.`,
  };
}

/** Starts the hosts, one batch a second each (states in every batch); stop() closes their connections. */
export function startFleet(serverUrl: string, token: string, hosts: ScriptedHost[], intervalMs = 1000) {
  const running = hosts.map((h) => {
    const transport = simulatedTransport({
      id: h.id,
      hostname: h.hostname,
      serverUrl,
      token,
      version: 'scripted',
      log: silentLogger,
      bufferCapacity: 600,
    });
    transport.start();
    let seq = 0;
    const tick = () => {
      const now = Date.now();
      seq++;
      const batch = samples(h);
      const indexes = batch.map((s) => transport.encoder.indexOf(s.m, s.l));
      const frame = transport.encoder.encodeValues(
        seq,
        now,
        indexes,
        batch.map((s) => s.v),
        { stateKinds: ['raid_array', 'logpaths', 'mongod', 'replset'], states: states(h, now, seq) },
      );
      transport.sendEncoded(seq, frame);
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    return { transport, timer };
  });
  return {
    stop: async () => {
      for (const r of running) clearInterval(r.timer);
      await Promise.all(running.map((r) => r.transport.stop()));
    },
  };
}
