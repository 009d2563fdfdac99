/**
 * Pure parsers for the host inventory's sources (/etc/os-release,
 * /proc/cpuinfo, /proc/meminfo), so the inventory is read in the agent itself
 * with a few small reads instead of a child process that forks shells.
 */

/** os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): { distro: string; release: string } {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) kv.set(m[1]!, m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2'));
  }
  return { distro: kv.get('NAME') ?? 'unknown', release: kv.get('VERSION_ID') ?? 'unknown' };
}

export interface CpuInventory {
  manufacturer: string;
  brand: string;
  /** Logical CPUs. */
  cores: number;
  /** Distinct (physical id, core id) pairs; the logical count when cpuinfo does not say. */
  physicalCores: number;
  speedGHz: number;
}

const VENDORS: Record<string, string> = { GenuineIntel: 'Intel', AuthenticAMD: 'AMD', HygonGenuine: 'Hygon' };

/** /proc/cpuinfo: one block per logical CPU (x86 fields; other architectures name fewer). */
export function parseCpuinfo(text: string): CpuInventory {
  let cores = 0;
  const physical = new Set<string>();
  let vendor = '';
  let model = '';
  let mhz = 0;
  let physId = '';
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (key === 'processor') cores++;
    else if (key === 'vendor_id' && !vendor) vendor = value;
    else if ((key === 'model name' || key === 'Model') && !model) model = value;
    else if (key === 'cpu MHz' && !mhz) mhz = Number(value) || 0;
    else if (key === 'physical id') physId = value;
    else if (key === 'core id') physical.add(`${physId}/${value}`);
  }
  const atGHz = /@\s*([\d.]+)\s*GHz/i.exec(model);
  return {
    manufacturer: VENDORS[vendor] ?? vendor,
    // "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz" → "Xeon® E5-2680 v4", as systeminformation named it
    brand: model
      .replace(/@.*$/, '')
      .replace(/\(R\)/g, '®')
      .replace(/\(TM\)/gi, '™')
      .replace(/^(Intel|AMD)\s*®?\s*/, '')
      .replace(/\s+CPU\b/, '')
      .replace(/\s+/g, ' ')
      .trim(),
    cores,
    physicalCores: physical.size || cores,
    speedGHz: atGHz ? Number(atGHz[1]) : Math.round(mhz) / 1000,
  };
}

/** /proc/meminfo in bytes: total, available (MemAvailable) and swap total. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number; swapTotalBytes: number } {
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { totalBytes: kb('MemTotal'), availableBytes: kb('MemAvailable'), swapTotalBytes: kb('SwapTotal') };
}
