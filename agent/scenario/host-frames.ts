/**
 * What one simulated DB host reports at one moment of a scenario, as the real
 * collectors would put it on the wire: CPU, disks and md arrays, mounts with
 * the chain under them, mongod's lock figures, the log-path checks, the
 * logrotate schedule and the replica set (worked out by the agent's own
 * quorum code from a replSetGetStatus-shaped document).
 */
import type { Document } from 'mongodb';
import type { WireSample, WireState } from '../../shared/protocol.js';
import type { Finding } from '../../shared/findings.js';
import { STATE_KIND, type FilesystemState, type LogPathCheckState } from '../../shared/states.js';
import { quorum } from '../mongod/replset.js';
import { replsetSamples } from '../mongod/samples.js';
import { simulatedArray } from '../simulated-array.js';

export interface SimArray {
  name: string;
  disks: string[];
  saturated: boolean;
}

export interface SimMount {
  mountPoint: string;
  array: string;
  members: string[];
  holds: string[];
}

export interface SimCheck {
  ok: boolean;
  file: string;
  findings: Finding[];
}

/** A host's situation at a moment of the scenario. */
export interface HostSituation {
  arrays: SimArray[];
  mounts: SimMount[];
  lockPercent: number;
  queued: number;
  mongodUp: boolean;
  /** Scenario time mongod went down, while it is. */
  downSince: number;
  logrotate: SimCheck;
  mongodConfig: SimCheck;
  running: SimCheck;
  /** Scenario time of the next logrotate run. */
  nextRotation: number;
  /** replSetGetStatus as this member sees it; null while its mongod is down. */
  replsetStatus: Document | null;
}

function checkState(check: LogPathCheckState['check'], c: SimCheck, wire: number): LogPathCheckState {
  const count = (s: Finding['severity']) => c.findings.filter((f) => f.severity === s).length;
  return {
    check,
    file: c.file,
    ok: c.ok,
    counts: { error: count('error'), warning: count('warning'), info: count('info') },
    findings: c.findings,
    checkedAt: wire,
  };
}

function arraySamples(a: SimArray): WireSample[] {
  const l = { array: a.name };
  const out: WireSample[] = [
    { m: 'raid_disks_expected', l, v: a.disks.length },
    { m: 'raid_disks_active', l, v: a.disks.length },
    { m: 'raid_disks_missing', l, v: 0 },
    { m: 'raid_saturated', l, v: a.saturated ? 1 : 0 },
    { m: 'raid_array_aqu_sz', l, v: a.saturated ? 120 : 1.5 },
  ];
  // the array's own block device and its members, as the disk collector reports them
  for (const device of [a.name, ...a.disks]) {
    const dl = { device };
    out.push(
      { m: 'disk_aqu_sz', l: dl, v: a.saturated ? 110 : 0.8 },
      { m: 'disk_await_ms', l: dl, v: a.saturated ? 140 : 2.5 },
      { m: 'disk_util_percent', l: dl, v: a.saturated ? 100 : 35 },
      { m: 'disk_saturated', l: dl, v: a.saturated ? 1 : 0 },
    );
  }
  return out;
}

export function hostSamples(s: HostSituation): WireSample[] {
  const saturated = s.arrays.some((a) => a.saturated);
  const cpu = { cpu: 'all' };
  const out: WireSample[] = [
    { m: 'cpu_iowait_percent', l: cpu, v: saturated ? 38 : 2 },
    { m: 'cpu_user_percent', l: cpu, v: 25 },
    { m: 'cpu_system_percent', l: cpu, v: 6 },
  ];
  for (const a of s.arrays) out.push(...arraySamples(a));
  for (const m of s.mounts) {
    const l = { mountpoint: m.mountPoint, device: `/dev/${m.array}`, fstype: 'ext4' };
    out.push({ m: 'fs_avail_percent', l, v: 41 }, { m: 'fs_inodes_free_percent', l, v: 96 });
  }
  out.push(
    { m: 'logpath_check_ok', l: { check: 'logrotate' }, v: s.logrotate.ok ? 1 : 0 },
    { m: 'logpath_check_ok', l: { check: 'mongod-config' }, v: s.mongodConfig.ok ? 1 : 0 },
    // no verdict on the running mongod while it is down (MongodDown says that), as the collector does
    { m: 'logpath_check_ok', l: { check: 'mongod-running' }, v: s.mongodUp ? (s.running.ok ? 1 : 0) : null },
    { m: 'mongod_up', v: s.mongodUp ? 1 : 0 },
  );
  if (s.mongodUp)
    out.push(
      { m: 'mongod_lock_percent', l: { kind: 'wait' }, v: s.lockPercent },
      { m: 'mongod_queued', l: { op: 'total' }, v: s.queued },
    );
  if (s.replsetStatus) out.push(...replsetSamples(quorum(s.replsetStatus)));
  return out;
}

/** `shift`: add to a scenario time to get its wire timestamp. */
export function hostStates(s: HostSituation, wire: number, shift: number): WireState[] {
  const out: WireState[] = s.arrays.map((a) => ({
    kind: STATE_KIND.raid,
    key: a.name,
    value: simulatedArray({ name: a.name, level: 'raid1', disks: a.disks }),
  }));
  for (const m of s.mounts) {
    const fs: FilesystemState = {
      mountPoint: m.mountPoint,
      fsType: 'ext4',
      device: `/dev/${m.array}`,
      array: m.array,
      members: m.members,
      sizeBytes: 2e12,
      availPercent: 41,
      inodesFreePercent: 96,
      timeToFullSeconds: null,
      holds: m.holds,
    };
    out.push({ kind: STATE_KIND.filesystem, key: m.mountPoint, value: fs });
  }
  out.push(
    { kind: STATE_KIND.logpaths, key: 'logrotate', value: checkState('logrotate', s.logrotate, wire) },
    { kind: STATE_KIND.logpaths, key: 'mongod-config', value: checkState('mongod-config', s.mongodConfig, wire) },
    {
      kind: STATE_KIND.logrotateSchedule,
      key: 'next',
      value: { next: s.nextRotation + shift, detail: '/etc/cron.d/logrotate: 0 3 * * *' },
    },
  );
  const uri = 'mongodb://127.0.0.1:27017';
  if (s.mongodUp)
    out.push(
      { kind: STATE_KIND.mongodRunning, key: 'local', value: checkState('mongod-running', s.running, wire) },
      {
        kind: STATE_KIND.mongod,
        key: 'status',
        value: { up: true, uri, version: '3.2.6', gauges: null, figures: null, discarded: null, missing: [] },
      },
    );
  else
    out.push({
      kind: STATE_KIND.mongod,
      key: 'status',
      value: { up: false, uri, since: s.downSince + shift, lastError: 'connect ECONNREFUSED 127.0.0.1:27017' },
    });
  if (s.replsetStatus) {
    const q = quorum(s.replsetStatus);
    // the agent sends the quorum without dates
    out.push({
      kind: STATE_KIND.replset,
      key: q.set ?? 'unknown',
      value: { ...q, members: q.members.map(({ optimeDate: _o, ...m }) => m) },
    });
  }
  return out;
}
