import { createRequire } from 'node:module';
import type * as Si from 'systeminformation';

const require = createRequire(import.meta.url);

/**
 * One of systeminformation's parts (lib/osinfo.js, …), loaded when first needed rather than its whole
 * index at once: loading the index is ~110 ms of CPU here, on top of the ~130 ms a Node process takes
 * to start, all in one second. Part by part, with the pauses, no second carries more than one of them.
 */
function part<K extends keyof typeof Si>(file: string): Pick<typeof Si, K> {
  return require(`systeminformation/lib/${file}`) as Pick<typeof Si, K>;
}

/**
 * The inventory itself, from systeminformation (run in a child process by
 * inventory.ts). Each call forks shells; with `pauseMs` they run one at a time
 * that far apart, each part of the library loaded just before its call and the
 * first only after a pause, so a refresh never takes a burst of a core on a busy
 * host (the child's own start-up is one step, the parts and calls the others).
 */
export async function gatherInventory(pauseMs = 0): Promise<Record<string, unknown>> {
  const pause = () => (pauseMs > 0 ? new Promise((r) => setTimeout(r, pauseMs)) : Promise.resolve());
  await pause();
  const os = await part<'osInfo'>('osinfo').osInfo();
  await pause();
  const cpu = await part<'cpu'>('cpu').cpu();
  await pause();
  const mem = await part<'mem'>('memory').mem();
  await pause();
  const fsPart = part<'blockDevices' | 'fsSize'>('filesystem');
  const blockDevices = await fsPart.blockDevices();
  await pause();
  const fsSize = await fsPart.fsSize();
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
