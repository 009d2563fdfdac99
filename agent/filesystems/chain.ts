import { readdirSync } from 'node:fs';
import path from 'node:path';

/** The block devices under a mount: its device, and for an md array the array and its member devices. */
export interface DeviceChain {
  device: string;
  /** `md2` when the device is an md array (or a partition of one). */
  array: string | null;
  members: string[];
}

/**
 * /dev/md2 → md2 with members from `<root>/sys/block/md2/slaves` (sda1, sdb1).
 * Non-block devices (tmpfs, overlay) have no chain beyond their name.
 */
export function deviceChain(root: string, device: string): DeviceChain {
  const name = device.startsWith('/dev/') ? path.basename(device) : null;
  if (!name) return { device, array: null, members: [] };
  const arrayName = /^(md\d+|md_[\w-]+)(p\d+)?$/.exec(name)?.[1] ?? null;
  if (!arrayName) return { device, array: null, members: [] };
  let members: string[] = [];
  try {
    members = readdirSync(path.join(root, 'sys', 'block', arrayName, 'slaves')).sort();
  } catch {
    // no sysfs under this root: the array is still named
  }
  return { device, array: arrayName, members };
}
