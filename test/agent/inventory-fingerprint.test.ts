import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseFingerprint,
  readInventoryFingerprint,
  type FingerprintSources,
} from '../../agent/inventory-fingerprint.js';
import { InventoryRefresher } from '../../agent/inventory-refresh.js';
import { tempDir, until } from '../helpers/process.js';

// Constructed text in the kernel's formats (proc(5), os-release(5)), not recorded from a host.
const HOST: FingerprintSources = {
  cpuinfo: [
    'processor\t: 0',
    'model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz',
    'cpu MHz\t\t: 2095.078',
    '',
    'processor\t: 1',
    'model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz',
    'cpu MHz\t\t: 2101.400',
    '',
  ].join('\n'),
  meminfo:
    'MemTotal:       16384000 kB\nMemFree:         1200000 kB\nMemAvailable:    8000000 kB\nSwapTotal:       2097148 kB\nSwapFree:        2097148 kB\n',
  kernelRelease: '6.1.0-18-amd64\n',
  hostname: 'db-17\n',
  osRelease:
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\nHOME_URL="https://www.debian.org/"\n',
  partitions:
    'major minor  #blocks  name\n\n   8        0  488386584 sda\n   8        1  488385536 sda1\n 259        0  976762584 nvme0n1\n',
  mounts: [
    '/dev/sda1 / ext4 rw,relatime 0 0',
    'proc /proc proc rw,nosuid 0 0',
    'tmpfs /run tmpfs rw,nosuid,size=1632000k 0 0',
    '/dev/nvme0n1 /var/lib/mongodb xfs rw,noatime 0 0',
  ].join('\n'),
};

describe("the host's inventory fingerprint", () => {
  it('names the parts the inventory describes, and only those', () => {
    expect(parseFingerprint(HOST).split('\n')).toEqual([
      'cpus 2 Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz',
      'memory 16384000 swap 2097148',
      'kernel 6.1.0-18-amd64',
      'hostname db-17',
      'os ID=debian PRETTY_NAME="Debian GNU/Linux 12 (bookworm)" VERSION_ID="12"',
      'block nvme0n1=976762584 sda1=488385536 sda=488386584',
      'mounts /dev/nvme0n1 /var/lib/mongodb xfs, /dev/sda1 / ext4',
    ]);
  });

  it('lists network and ZFS file systems beside those on devices (the inventory lists them too)', () => {
    const withNfs = {
      ...HOST,
      mounts: HOST.mounts + '\nnas1:/export/backup /backup nfs4 rw 0 0\ntank/db /db zfs rw 0 0',
    };
    expect(parseFingerprint(withNfs).split('\n').at(-1)).toBe(
      'mounts /dev/nvme0n1 /var/lib/mongodb xfs, /dev/sda1 / ext4, nas1:/export/backup /backup nfs4, tank/db /db zfs',
    );
  });

  it('stays the same when only snapshot figures move, or virtual file systems come and go', () => {
    const later: FingerprintSources = {
      ...HOST,
      cpuinfo: HOST.cpuinfo.replace('2095.078', '1200.000'),
      meminfo: HOST.meminfo.replace('MemFree:         1200000', 'MemFree:          300000'),
      mounts: HOST.mounts + '\ntmpfs /tmp/test-1 tmpfs rw 0 0\noverlay /var/lib/docker/x overlay rw 0 0',
    };
    expect(parseFingerprint(later)).toBe(parseFingerprint(HOST));
  });

  it.each<[string, Partial<FingerprintSources>]>([
    [
      'a CPU more',
      { cpuinfo: HOST.cpuinfo + 'processor\t: 2\nmodel name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\n' },
    ],
    ['more memory', { meminfo: HOST.meminfo.replace('16384000', '32768000') }],
    ['a new kernel', { kernelRelease: '6.1.0-21-amd64\n' }],
    ['a new hostname', { hostname: 'db-18\n' }],
    ['an OS upgrade', { osRelease: HOST.osRelease.replace('VERSION_ID="12"', 'VERSION_ID="13"') }],
    ['a new disk', { partitions: HOST.partitions + '   8       16  976762584 sdb\n' }],
    ['a grown disk', { partitions: HOST.partitions.replace('976762584', '1953514584') }],
    ['a new mount of a disk', { mounts: HOST.mounts + '\n/dev/sdb /backup ext4 rw 0 0' }],
    ['a new NFS mount', { mounts: HOST.mounts + '\nnas1:/export/backup /backup nfs4 rw,relatime 0 0' }],
    ['a new SMB share', { mounts: HOST.mounts + '\n//files/share /mnt/share cifs rw 0 0' }],
    ['a new ZFS dataset', { mounts: HOST.mounts + '\ntank/mongo /var/lib/mongo zfs rw,xattr 0 0' }],
    ['a new SSHFS mount', { mounts: HOST.mounts + '\nbackup@nas1:/srv /mnt/nas fuse.sshfs rw 0 0' }],
    ['a new virtiofs share', { mounts: HOST.mounts + '\nhostshare /mnt/host virtiofs rw 0 0' }],
    ['a new 9p share', { mounts: HOST.mounts + '\nC:\\134 /mnt/c 9p rw 0 0' }],
    ['a new ceph-fuse mount', { mounts: HOST.mounts + '\nceph-fuse /mnt/ceph fuse.ceph-fuse rw 0 0' }],
    ['a new BeeGFS mount', { mounts: HOST.mounts + '\nbeegfs_nodev /mnt/beegfs beegfs rw 0 0' }],
    ['a new GPFS mount', { mounts: HOST.mounts + '\ngpfs0 /gpfs/fs0 gpfs rw 0 0' }],
  ])('changes with %s', (_, change) => {
    expect(parseFingerprint({ ...HOST, ...change })).not.toBe(parseFingerprint(HOST));
  });
});

describe('the periodic inventory refresh', () => {
  function hostRoot(): string {
    const root = tempDir();
    const files: Record<string, string> = {
      'proc/cpuinfo': HOST.cpuinfo,
      'proc/meminfo': HOST.meminfo,
      'proc/sys/kernel/osrelease': HOST.kernelRelease,
      'proc/sys/kernel/hostname': HOST.hostname,
      'etc/os-release': HOST.osRelease,
      'proc/partitions': HOST.partitions,
      'proc/self/mounts': HOST.mounts,
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  it('gathers at start, again only after the host changed, and retries a gather that failed', async () => {
    const root = hostRoot();
    const pauses: number[] = [];
    let fail = false;
    const refresher = new InventoryRefresher({
      readFingerprint: () => readInventoryFingerprint(root),
      gather: (pauseMs) => {
        pauses.push(pauseMs);
        return fail ? Promise.reject(new Error('lsblk failed')) : Promise.resolve({ gathered: pauses.length });
      },
      pauseMs: 5000,
    });
    expect(await refresher.initial()).toEqual({ gathered: 1 });
    // Unchanged host: nothing gathered, however often it is checked.
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(pauses).toEqual([0]);
    // A new disk: gathered again, its calls spaced.
    writeFileSync(path.join(root, 'proc/partitions'), HOST.partitions + '   8       16  976762584 sdb\n');
    expect(await refresher.refreshIfChanged()).toEqual({ gathered: 2 });
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(pauses).toEqual([0, 5000]);
    // A change whose gather fails is tried again at the next check, then settles.
    writeFileSync(path.join(root, 'proc/sys/kernel/hostname'), 'db-18\n');
    fail = true;
    await expect(refresher.refreshIfChanged()).rejects.toThrow('lsblk failed');
    fail = false;
    expect(await refresher.refreshIfChanged()).toEqual({ gathered: 4 });
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(pauses).toEqual([0, 5000, 5000, 5000]);
  });

  it('starts no second gather while one is running, and checks again once it is done', async () => {
    const root = hostRoot();
    let release: () => void = () => {};
    let gathers = 0;
    const refresher = new InventoryRefresher({
      readFingerprint: () => readInventoryFingerprint(root),
      gather: (pauseMs) => {
        gathers++;
        if (pauseMs === 0) return Promise.resolve({ gathered: gathers });
        return new Promise((resolve) => (release = () => resolve({ gathered: gathers })));
      },
      pauseMs: 5000,
    });
    await refresher.initial();
    writeFileSync(path.join(root, 'proc/partitions'), HOST.partitions + '   8       16  976762584 sdb\n');
    const slow = refresher.refreshIfChanged();
    await until(() => gathers === 2, 5000, 'the periodic gather');
    // Checks while the slow gather takes its pauses: the host still looks changed, but nothing starts.
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(gathers).toBe(2);
    release();
    expect(await slow).toEqual({ gathered: 2 });
    expect(await refresher.refreshIfChanged()).toBeNull();
    expect(gathers).toBe(2);
  });

  it('gathers at start and fingerprints the rest when a source file cannot be read', async () => {
    const root = hostRoot();
    // A directory where os-release should be: reading it fails (EISDIR), not "missing".
    rmSync(path.join(root, 'etc/os-release'));
    mkdirSync(path.join(root, 'etc/os-release'));
    const fingerprint = await readInventoryFingerprint(root);
    expect(fingerprint).toContain('cpus 2');
    let gathers = 0;
    const refresher = new InventoryRefresher({
      readFingerprint: () => readInventoryFingerprint(root),
      gather: () => Promise.resolve({ gathered: ++gathers }),
      pauseMs: 0,
    });
    expect(await refresher.initial()).toEqual({ gathered: 1 });
    expect(await refresher.refreshIfChanged()).toBeNull();
    // Even a fingerprint reader that throws leaves the start-up inventory gathered.
    const failing = new InventoryRefresher({
      readFingerprint: () => Promise.reject(new Error('EIO')),
      gather: () => Promise.resolve({ gathered: ++gathers }),
      pauseMs: 0,
    });
    expect(await failing.initial()).toEqual({ gathered: 2 });
  });

  it("reads this host's own files", async () => {
    const here = await readInventoryFingerprint('/');
    expect(here).toMatch(/^cpus [1-9]/);
    expect(here).toContain(`kernel ${(await import('node:os')).release()}\n`);
  });
});
