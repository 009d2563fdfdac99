import type { MetricDef } from './types.js';

/** File systems (statfs of every real mount, and of the mounts under mongod's dbPath and log directory). */
export const FILESYSTEM_METRICS = [
  ...(
    [
      ['fs_size_bytes', 'bytes', 'Size', 'Size of the file system (statfs blocks × block size).'],
      [
        'fs_avail_bytes',
        'bytes',
        'Available',
        'Bytes available to unprivileged writers such as mongod (statfs bavail × block size; root may have more).',
      ],
      ['fs_avail_percent', 'percent', 'Available %', '100 · bavail / blocks: what is left for mongod and its log.'],
      [
        'fs_inodes_free_percent',
        'percent',
        'Inodes free %',
        '100 · ffree / files. A file system out of inodes refuses new files with space left (a rotated log, a new WiredTiger file).',
      ],
      [
        'fs_time_to_full_seconds',
        'seconds',
        'Time to full',
        'Seconds until available bytes reach 0 on a least-squares line over the last 6 hours (Prometheus predict_linear); 31536000 (a year) when not filling, or with fewer than 10 samples.',
      ],
    ] as const
  ).map(([name, unit, title, help]) => ({
    name,
    unit,
    kind: 'gauge' as const,
    labels: ['mountpoint', 'device', 'fstype'] as const,
    domain: 'filesystem' as const,
    title,
    help,
  })),
] as const satisfies readonly MetricDef[];
