import type { HostSettings } from '../host-settings.js';
import type { Collector } from './collector.js';

/**
 * One kind of collector as node_exporter registers them: a name (the
 * `--collector.NAME` / `--no-collector.NAME` flags), whether it runs unless
 * told otherwise, and a factory. A factory may make none (its source is not
 * configured) or several (one per mongod instance).
 */
export interface CollectorDefinition {
  readonly name: string;
  readonly help: string;
  readonly defaultEnabled: boolean;
  create(host: HostSettings): Collector[];
}

const definitions: CollectorDefinition[] = [];

/** Called once by each collector module as it loads; the order of loading is the order of output. */
export function registerCollector(def: CollectorDefinition): void {
  if (!/^[a-z][a-z0-9_]*$/.test(def.name)) throw new Error(`collector name ${JSON.stringify(def.name)}: a-z, 0-9, _`);
  if (definitions.some((d) => d.name === def.name)) throw new Error(`collector ${def.name} registered twice`);
  definitions.push(def);
}

export function registeredCollectors(): readonly CollectorDefinition[] {
  return definitions;
}

/** Per collector name, on (true) or off (false); names left out keep their default. */
export type CollectorChoice = Readonly<Record<string, boolean>>;

/**
 * The definitions that run under `choice`, in registration order. An unknown
 * name is an error here too; the CLI rejects it earlier with the nearest name.
 */
export function enabledCollectors(choice: CollectorChoice = {}): CollectorDefinition[] {
  for (const name of Object.keys(choice)) {
    if (!definitions.some((d) => d.name === name))
      throw new Error(`unknown collector ${JSON.stringify(name)} (collectors: ${collectorNames().join(', ')})`);
  }
  return definitions.filter((d) => choice[d.name] ?? d.defaultEnabled);
}

export function collectorNames(): string[] {
  return definitions.map((d) => d.name);
}
