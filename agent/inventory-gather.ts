import si from 'systeminformation';

/**
 * The inventory itself, from systeminformation (run in a child process by
 * inventory.ts). Each call forks shells; with `pauseMs` they run one at a time
 * that far apart, so a refresh never takes a burst of a core on a busy host.
 */
export async function gatherInventory(pauseMs = 0): Promise<Record<string, unknown>> {
  const spaced = async <T>(call: () => Promise<T>): Promise<T> => {
    const value = await call();
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    return value;
  };
  const os = await spaced(() => si.osInfo());
  const cpu = await spaced(() => si.cpu());
  const mem = await spaced(() => si.mem());
  const blockDevices = await spaced(() => si.blockDevices());
  const fsSize = await si.fsSize();
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
