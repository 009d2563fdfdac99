import si from 'systeminformation';

/** The inventory itself, from systeminformation (run in a child process by inventory.ts). */
export async function gatherInventory(): Promise<Record<string, unknown>> {
  const [os, cpu, mem, blockDevices, fsSize] = await Promise.all([
    si.osInfo(),
    si.cpu(),
    si.mem(),
    si.blockDevices(),
    si.fsSize(),
  ]);
  return {
    os: {
      platform: os.platform,
      distro: os.distro,
      release: os.release,
      kernel: os.kernel,
      arch: os.arch,
      hostname: os.hostname,
    },
    cpu: {
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      speedGHz: cpu.speed,
    },
    memory: { totalBytes: mem.total, availableBytes: mem.available, swapTotalBytes: mem.swaptotal },
    blockDevices: blockDevices.map((d) => ({
      name: d.name,
      type: d.type,
      sizeBytes: d.size,
      fsType: d.fsType,
      mount: d.mount,
      model: d.model,
      removable: d.removable,
    })),
    filesystems: fsSize.map((f) => ({
      fs: f.fs,
      type: f.type,
      mount: f.mount,
      sizeBytes: f.size,
      usedBytes: f.used,
      availableBytes: f.available,
      usePercent: f.use,
    })),
    collectedAt: Date.now(),
  };
}
