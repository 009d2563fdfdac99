import type { MongodInstance } from '../mongod/instances.js';
import type { Collector } from './collector.js';
import { collectorName, forInstance } from './instance.js';
import { registerCollector } from './registry.js';

/*
 * The two mongod collectors register here rather than in their own modules:
 * those load the driver, which is most of an idle agent's memory, and are
 * imported only on hosts that run a mongod.
 */

/** A collector whose module is imported on first use. */
function lazyCollector(name: string, load: () => Promise<Collector>): Collector {
  let inner: Promise<Collector> | null = null;
  const get = () => (inner ??= load());
  return {
    name,
    collect: async (ctx) => (await get()).collect(ctx),
    snapshot: async () => (await get()).snapshot(),
    close: async () => {
      if (inner) await (await inner).close?.();
    },
  };
}

/** serverStatus figures of one mongod, labelled when there are several; its replica set remembered in `stateDir`. */
function figures({ uri, instance }: MongodInstance, stateDir: string | null): Collector {
  const c = lazyCollector('mongod', async () => {
    const { ReplsetMemoryFile, replsetMemoryFile } = await import('../mongod/replset-memory.js');
    const memory = stateDir ? new ReplsetMemoryFile(replsetMemoryFile(stateDir, instance)) : null;
    return new (await import('./mongod.js')).MongodCollector({ uri, memory });
  });
  return instance ? forInstance(c, instance) : c;
}

registerCollector({
  name: 'mongod',
  help: 'serverStatus figures of each mongod: locks, tickets, cache, replication',
  defaultEnabled: true,
  create: (host) => host.instances.map((inst) => figures(inst, host.stateDir)),
});

registerCollector({
  name: 'mongod_running',
  help: "each running mongod's options and open log file against its config file",
  defaultEnabled: true,
  create: (host) =>
    host.instances.map((inst) =>
      lazyCollector(
        collectorName('mongod_running', inst.instance),
        async () =>
          new (await import('./mongod-running.js')).MongodRunningCollector({
            uri: inst.uri,
            root: host.root,
            configFile: inst.configFile,
            user: host.logPathOptions.mongodUser,
            instance: inst.instance,
            pid: inst.pid,
            checkFile: host.labelled,
          }),
      ),
    ),
});
