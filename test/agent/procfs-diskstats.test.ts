import { describe, expect, it } from 'vitest';
import { counterDelta, diskRates, parseDiskstats, type DiskStats } from '../../agent/procfs/diskstats.js';
import { fixtureText, samplesWith } from '../helpers/fixtures.js';

const disks = (sample: string) => parseDiskstats(fixtureText(`procfs/${sample}/proc/diskstats`));
const dev = (list: DiskStats[], name: string) => {
  const d = list.find((x) => x.name === name);
  if (!d) throw new Error(`no ${name}`);
  return d;
};

describe('/proc/diskstats parser', () => {
  it.each(samplesWith('proc/diskstats'))('parses every line of %s', (sample) => {
    const text = fixtureText(`procfs/${sample}/proc/diskstats`);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    expect(disks(sample)).toHaveLength(lines.length);
  });

  it('reads the 14-column layout field by field (Diamond raid4disk)', () => {
    const list = disks('diamond-diskstats-raid4disk');
    // 8 0 sda 11296323 127761523 1114247280 165221020 9292767 32155242 333252048 208563560 0 19035310 374755270
    expect(dev(list, 'sda')).toEqual({
      major: 8,
      minor: 0,
      name: 'sda',
      reads: 11296323,
      readsMerged: 127761523,
      sectorsRead: 1114247280,
      readMs: 165221020,
      writes: 9292767,
      writesMerged: 32155242,
      sectorsWritten: 333252048,
      writeMs: 208563560,
      inFlight: 0,
      ioMs: 19035310,
      weightedIoMs: 374755270,
      discards: null,
      discardsMerged: null,
      sectorsDiscarded: null,
      discardMs: null,
      flushes: null,
      flushMs: null,
    });
    // md0 counts I/O but, like many kernels' md, reports no time, in-flight or busy time.
    expect(dev(list, 'md0')).toMatchObject({
      reads: 150707,
      writes: 111152210,
      readMs: 0,
      inFlight: 0,
      ioMs: 0,
      weightedIoMs: 0,
    });
    expect(dev(list, 'nvme1n1')).toMatchObject({ major: 259, minor: 2, writes: 583565, sectorsWritten: 67618880 });
  });

  it('reads the 18-column (4.18+, discards) and 20-column (5.5+, flushes) layouts', () => {
    const list = disks('prometheus-procfs');
    // 8 16 sdb 326552 841 9657779 84 41822 2895 1972905 5007 0 60730 67070 68851 0 1925173784 11130
    expect(dev(list, 'sdb')).toMatchObject({
      reads: 326552,
      ioMs: 60730,
      discards: 68851,
      discardsMerged: 0,
      sectorsDiscarded: 1925173784,
      discardMs: 11130,
      flushes: null,
      flushMs: null,
    });
    // 8 0 sdc 14202 71 579164 21861 2995 1589 180500 40875 0 11628 55200 0 0 0 0 127 182
    expect(dev(list, 'sdc')).toMatchObject({
      reads: 14202,
      writeMs: 40875,
      weightedIoMs: 55200,
      discards: 0,
      flushes: 127,
      flushMs: 182,
    });
    // 14-column lines in the same file keep null for the newer fields
    expect(dev(list, 'dm-0')).toMatchObject({
      reads: 59910002,
      weightedIoMs: 1206301256,
      discards: null,
      flushes: null,
    });
    // node_exporter: 8 32 sdc 126552 141 1657779 14 11822 1895 172905 1007 0 10730 17070 18851 0 125173784 11130 1555 1944
    expect(dev(disks('node_exporter'), 'sdc')).toMatchObject({
      reads: 126552,
      discards: 18851,
      sectorsDiscarded: 125173784,
      flushes: 1555,
      flushMs: 1944,
    });
  });

  it('reads the 7-column 2.6 partition layout', () => {
    const [p] = parseDiskstats('   3    1 hda1 35486 38030 38030 38030\n');
    expect(p).toMatchObject({
      name: 'hda1',
      reads: 35486,
      sectorsRead: 38030,
      writes: 38030,
      sectorsWritten: 38030,
      readMs: null,
      inFlight: null,
      ioMs: null,
    });
  });

  it('computes iostat figures over the Diamond pair (10 s apart, the collector interval of its test)', () => {
    const a = disks('diamond-diskstats-t1');
    const b = disks('diamond-diskstats-t2');
    // sdb t1: 1642335748 6635 47517782005 2485957567 13136509974 3665796878 237171463357 1799839451 1 1299123651 4283211976
    // sdb t2: 1642336912 6635 47517819253 2485964730 13136518024 3665798895 237171541643 1799839788 0 1299128608 4283219468
    // Δreads 1164, Δsectors read 37248, Δread ms 7163, Δwrites 8050, Δsectors written 78286,
    // Δwrite ms 337, Δio ms 4957, Δweighted ms 7492; in flight at t2: 0
    const r = diskRates(dev(a, 'sdb'), dev(b, 'sdb'), 10_000)!;
    expect(r.rPerS).toBeCloseTo(116.4, 10);
    expect(r.wPerS).toBeCloseTo(805, 10);
    expect(r.rkbPerS).toBeCloseTo(37248 / 2 / 10, 10);
    expect(r.wkbPerS).toBeCloseTo(78286 / 2 / 10, 10);
    expect(r.rAwaitMs).toBeCloseTo(7163 / 1164, 10);
    expect(r.wAwaitMs).toBeCloseTo(337 / 8050, 10);
    expect(r.aquSz).toBeCloseTo(0.7492, 10);
    expect(r.utilPercent).toBeCloseTo(49.57, 10);
    expect(r.inFlight).toBe(0);
    // sda: only 3 writes of 64 sectors, no time recorded: awaits are 0, not NaN
    const s = diskRates(dev(a, 'sda'), dev(b, 'sda'), 10_000)!;
    expect(s).toEqual({
      rPerS: 0,
      wPerS: 0.3,
      rkbPerS: 0,
      wkbPerS: 3.2,
      rAwaitMs: 0,
      wAwaitMs: 0,
      awaitMs: 0,
      ios: 3,
      aquSz: 0,
      utilPercent: 0,
      inFlight: 0,
    });
  });

  it('caps %util at 100 and refuses a zero interval', () => {
    const a = disks('diamond-diskstats-t1');
    const b = disks('diamond-diskstats-t2');
    // Δio ms 4957 over 1 s would be 495.7 %
    expect(diskRates(dev(a, 'sdb'), dev(b, 'sdb'), 1000)!.utilPercent).toBe(100);
    expect(diskRates(dev(a, 'sdb'), dev(b, 'sdb'), 0)).toBeNull();
  });

  it('handles 32-bit wrap of the millisecond fields and restarts of counters', () => {
    // The kernel prints ms fields as %u: 4294960000 → 7296 is a wrap of 2^32, Δ = 7296 + 7296
    expect(counterDelta(4294960000, 7296)).toBe(14592);
    // A device re-added restarts its counters: no honest delta
    expect(counterDelta(1000, 10)).toBeNull();
    expect(counterDelta(5_000_000_000, 10)).toBeNull();
    const [before] = parseDiskstats('8 0 sda 10 0 8 5 20 0 16 4 0 4294967000 4294966000\n');
    const [after] = parseDiskstats('8 0 sda 11 0 16 6 22 0 32 8 2 704 1296\n');
    // io ms: 4294967000 → 704 wraps: Δ = 704 + 296 = 1000; weighted: 4294966000 → 1296: Δ = 1296 + 1296 = 2592
    const r = diskRates(before!, after!, 1000)!;
    expect(r.utilPercent).toBe(100);
    expect(r.aquSz).toBeCloseTo(2.592, 10);
    // A re-added device (reads fall back to 1): the interval is skipped
    const [readded] = parseDiskstats('8 0 sda 1 0 8 1 1 0 8 1 0 2 2\n');
    expect(diskRates(after!, readded!, 1000)).toBeNull();
  });

  it('rejects malformed lines with the line number', () => {
    expect(() => parseDiskstats('8 0 sda 1 2 3\n')).toThrow(/line 1: 6 columns/);
    expect(() => parseDiskstats('8 0 sda 1 2 3 4 5 6 7 8 9 10 -11\n')).toThrow(
      /line 1: column 14 of sda is not a counter/,
    );
  });
});
